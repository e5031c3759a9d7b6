"""Records the SQL a Django 5.2 app sends, for the normalizer's golden tests.

Runs the migrations and a tour of ORM queries against a real server, with
DEBUG=True, and writes every statement Django executed (connection.queries:
the text as sent, literals interpolated by the driver) to
`../django_<vendor>.sql` as golden cases without expectations; bless them with
`SONDE_BLESS=1 cargo test -p sonde-agent protocols::sql` and review the diff.

    python capture.py postgresql 127.0.0.1 55433   # psycopg2-binary
    python capture.py mysql 127.0.0.1 33307        # PyMySQL (as MySQLdb)

The servers are throwaway ones on loopback: PostgreSQL (initdb -A trust, user
postgres) and MariaDB (user shop/shop with every grant); the script drops and
recreates the database `shop` first.
"""

import datetime
import decimal
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

vendor, host, port = sys.argv[1], sys.argv[2], sys.argv[3]
if vendor == "mysql":
    import pymysql

    pymysql.install_as_MySQLdb()
    database = {
        "ENGINE": "django.db.backends.mysql",
        "NAME": "shop",
        "USER": "shop",
        "PASSWORD": "shop",
        "HOST": host,
        "PORT": port,
        "OPTIONS": {"charset": "utf8mb4"},
    }
else:
    database = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "postgres",
        "HOST": host,
        "PORT": port,
    }

import django
from django.conf import settings

settings.configure(
    DEBUG=True,
    SECRET_KEY="golden-tests-only",
    USE_TZ=True,
    DATABASES={"default": database},
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "django.contrib.sessions",
        "shop",
    ],
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
)
django.setup()

from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Avg, Case, Count, F, Max, Q, Sum, Value, When
from django.db.models.functions import ExtractYear, Lower, TruncDate
from django.test.utils import CaptureQueriesContext

from shop.models import Customer, Item, Order, OrderLine, Tag


def tour():
    """The ORM calls of a typical web shop, odd values included."""
    customers = [
        Customer.objects.create(email="ann@example.com", name="Ann", profile={"vip": True}),
        Customer.objects.create(email="o'reilly@example.org", name="Tim O'Reilly"),
        Customer.objects.create(email="zoë@example.net", name='Zoë "Z" Back\\slash', profile={"a": [1, 2]}),
    ]
    tags = Tag.objects.bulk_create([Tag(label=label) for label in ["new", "sale", "50% off", "it's"]])
    items = Item.objects.bulk_create(
        [
            Item(sku=f"SKU-{i:04}", name=f"Item {i}", price=decimal.Decimal("9.99") * i, stock=i * 3)
            for i in range(1, 8)
        ]
    )
    items[0].tags.add(*tags[:3])
    items[1].tags.set(tags[1:])
    Item.objects.filter(pk=items[2].pk).update(picture=b"\x00\x01'\\binary")
    order = Order.objects.create(customer=customers[0], note="leave at the door; code 4711")
    OrderLine.objects.bulk_create([OrderLine(order=order, item=item, quantity=2) for item in items[:3]])
    OrderLine.objects.create(order=order, item=items[4], quantity=1)

    Item.objects.get(pk=items[0].pk)
    Item.objects.get(sku="SKU-0002")
    list(Item.objects.filter(pk__in=[item.pk for item in items[:5]]))
    list(Item.objects.filter(pk__in=[items[0].pk]))
    list(Item.objects.filter(name__icontains="item 1", price__gte=5).order_by("-price")[:10])
    list(Item.objects.filter(name__startswith="It_m%").exclude(stock=0))
    list(Item.objects.filter(Q(stock__lt=5) | Q(active=False), price__range=(1, 100)))
    list(Customer.objects.filter(email__iexact="O'REILLY@EXAMPLE.ORG"))
    list(Customer.objects.filter(name__regex=r"^Zo\w+"))
    list(Customer.objects.filter(profile__vip=True))
    list(Customer.objects.filter(profile__has_key="a"))
    list(Customer.objects.filter(joined__year=2024))
    list(Customer.objects.filter(joined__date=datetime.date(2024, 2, 29)))
    list(Customer.objects.filter(joined__gte=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)))
    list(Order.objects.select_related("customer").filter(customer__email="ann@example.com"))
    list(Order.objects.prefetch_related("lines__item").all())
    list(Item.objects.prefetch_related("tags").filter(active=True))
    list(Tag.objects.filter(items__name="Item 1").distinct())
    Item.objects.count()
    Item.objects.filter(stock__gt=3).exists()
    Item.objects.aggregate(Sum("stock"), Avg("price"), Max("price"))
    list(Customer.objects.annotate(n=Count("orders")).filter(n__gt=0).order_by("-n"))
    list(Item.objects.values("active").annotate(total=Sum("stock")).order_by())
    list(Item.objects.values_list("sku", flat=True).order_by("sku"))
    list(Item.objects.annotate(lower=Lower("name")).filter(lower="item 2"))
    list(Order.objects.annotate(day=TruncDate("created"), year=ExtractYear("created")).values("day", "year"))
    list(Item.objects.annotate(label=Case(When(stock__gt=10, then=Value("many")), default=Value("few"))))
    list(Item.objects.filter(tags__in=Tag.objects.filter(label__contains="sale")))
    Item.objects.filter(pk=items[0].pk).update(stock=F("stock") - 1)
    Item.objects.filter(active=True).update(price=F("price") * decimal.Decimal("1.1"))
    for item in items[:3]:
        item.stock += 1
    Item.objects.bulk_update(items[:3], ["stock"])
    items[5].name = "Renamed 'six'"
    items[5].save()
    items[5].save(update_fields=["name"])
    Tag.objects.get_or_create(label="new")
    Tag.objects.get_or_create(label="clearance")
    Tag.objects.update_or_create(label="sale", defaults={"label": "sale"})
    with transaction.atomic():
        locked = Item.objects.select_for_update().get(pk=items[1].pk)
        locked.stock = 0
        locked.save()
        with transaction.atomic():
            Order.objects.create(customer=customers[1], note="")
    try:
        with transaction.atomic():
            Tag.objects.create(label="new")
    except Exception:
        pass
    Customer.objects.filter(pk=customers[2].pk).delete()
    order.delete()
    Item.objects.filter(sku__in=["SKU-0006", "SKU-0007"]).delete()
    user = User.objects.create_user("ann", "ann@example.com", "s3cret-Pa55")
    session = SessionStore()
    session["user"] = user.pk
    session.create()
    SessionStore(session_key=session.session_key).load()
    list(Item.objects.raw("SELECT * FROM shop_item WHERE price > %s AND name <> %s", [10, "x"]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 + %s, %s", [987654321, "two\nlines"])


def fresh_database():
    """Drops and recreates `shop`, so that every run records the same statements."""
    if vendor == "mysql":
        import MySQLdb

        admin = MySQLdb.connect(host=host, port=int(port), user="shop", password="shop")
    else:
        import psycopg2

        admin = psycopg2.connect(host=host, port=port, user="postgres", dbname="postgres")
        admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS shop")
        cursor.execute("CREATE DATABASE shop")
    admin.close()


def main():
    fresh_database()
    with CaptureQueriesContext(connection) as captured:
        call_command("migrate", verbosity=0, run_syncdb=True)
        tour()
        call_command("flush", verbosity=0, interactive=False)
    seen = set()
    cases = []
    for query in captured.captured_queries:
        sql = query["sql"]
        # A savepoint rollback through PyMySQL is logged without its text.
        if sql in seen or sql in (None, "None"):
            continue
        seen.add(sql)
        cases.append(sql)
    dialect = "mysql" if vendor == "mysql" else "postgresql"
    path = os.path.join(HERE, "..", f"django_{dialect}.sql")
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"# Recorded by django/capture.py: Django {django.get_version()}, {connection.display_name} "
                  f"{'.'.join(map(str, connection.mysql_version)) if vendor == 'mysql' else connection.pg_version}.\n")
        for number, sql in enumerate(cases, 1):
            out.write(f"\n=== {dialect}: django {number}\n{sql}\n")
    print(f"{len(cases)} statements -> {path}")


main()
