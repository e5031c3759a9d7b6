"""The /db/ views (see tests/django/README.md): each makes a known number of
queries, so that the tests can count them per request."""

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.http import HttpResponseBadRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from orders.models import Counter, Customer, Order

# The counter /db/transaction increments (seeded by `setup_db`).
ORDERS_COUNTER = "orders"
# The key /db/cached keeps its value under (after the cache's KEY_PREFIX).
CACHED_KEY = "order-count"
# How many orders /db/n-plus-one lists.
LISTED_ORDERS = 20


def one(request):
    """Exactly 1 query."""
    customer = Customer.objects.get(pk=1)
    return JsonResponse({"customer": customer.email})


def ten(request):
    """Exactly 10 queries: the same statement with ids 1 to 10."""
    emails = [Customer.objects.get(pk=pk).email for pk in range(1, 11)]
    return JsonResponse({"customers": emails})


def n_plus_one(request):
    """1 query for the first 20 orders, then 1 per order for its customer: 21."""
    orders = list(Order.objects.order_by("id")[:LISTED_ORDERS])
    rows = [{"order": o.reference, "customer": o.customer.email} for o in orders]
    return JsonResponse({"orders": rows})


@csrf_exempt
@require_POST
def create_order(request):
    """In one transaction, exactly 3 writes: a customer with the form's `email`,
    an order, and the orders counter."""
    email = request.POST.get("email", "")
    if "@" not in email:
        return HttpResponseBadRequest(b"an email form field is required\n")
    with transaction.atomic():
        customer = Customer.objects.create(email=email, name="canary")
        order = Order.objects.create(customer=customer, reference="tx", total_cents=4200)
        updated = Counter.objects.filter(name=ORDERS_COUNTER).update(value=F("value") + 1)
        if updated != 1:
            raise RuntimeError(f"the {ORDERS_COUNTER!r} counter is missing: run setup_db")
    return JsonResponse({"customer": customer.pk, "order": order.pk})


def error(request):
    """Raw SQL on a table that does not exist: the driver raises, Django answers 500."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM sonde_no_such_table")
    return JsonResponse({"unexpected": "the table exists"})


def cached(request):
    """The order count through Django's Redis cache: 1 query on a miss, 0 on a hit."""
    count = cache.get_or_set(CACHED_KEY, lambda: Order.objects.count(), timeout=3600)
    return JsonResponse({"orders": count})
