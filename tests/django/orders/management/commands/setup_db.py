"""`python -m django setup_db`: migrate, then load the seed data once (20
customers with ids 1-20, 40 orders, the orders counter). Idempotent."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.core.management.color import no_style
from django.db import connection, transaction

from orders.models import Counter, Customer, Order
from orders.views import ORDERS_COUNTER

CUSTOMERS = 20
ORDERS = 40


class Command(BaseCommand):
    help = "Migrates the test database and loads the seed data."

    def handle(self, *args, **options):
        call_command("migrate", verbosity=0, interactive=False)
        with transaction.atomic():
            if Customer.objects.exists():
                self.stdout.write("seed data already loaded")
                return
            Customer.objects.bulk_create(
                Customer(pk=i, email=f"customer{i}@shop.invalid", name=f"customer {i}")
                for i in range(1, CUSTOMERS + 1)
            )
            # Order i belongs to customer (i - 1) % 20 + 1: the first 20 orders
            # have 20 different customers.
            Order.objects.bulk_create(
                Order(
                    pk=i,
                    customer_id=(i - 1) % CUSTOMERS + 1,
                    reference=f"order-{i}",
                    total_cents=100 * i,
                )
                for i in range(1, ORDERS + 1)
            )
            Counter.objects.create(name=ORDERS_COUNTER, value=ORDERS)
            # Explicit ids do not move PostgreSQL's sequences: move them past.
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Customer, Order]):
                    cursor.execute(sql)
        self.stdout.write(f"seeded {CUSTOMERS} customers and {ORDERS} orders")
