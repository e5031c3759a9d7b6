"""Settings of `shop` with a database and a cache (issue 4): everything of
`shop.settings`, plus the `orders` app and its /db/ views, with DEBUG on (so
that Django records `connection.queries`) and the query-log middleware.

The database and the cache come from the environment (the test harness sets it;
see tests/django/README.md):

- SONDE_TEST_DB: `postgresql-psycopg2`, `postgresql-psycopg3` (server-side
  parameter binding) or `mysql` (MariaDB through mysqlclient);
- SONDE_TEST_DB_HOST: an address, or a Unix socket (PostgreSQL: the socket's
  directory; MariaDB: the socket file); SONDE_TEST_DB_PORT, SONDE_TEST_DB_NAME,
  SONDE_TEST_DB_USER, SONDE_TEST_DB_PASSWORD;
- SONDE_TEST_CONN_MAX_AGE: Django's CONN_MAX_AGE in seconds (default 0: a
  connection per request);
- SONDE_TEST_REDIS_URL: `redis://127.0.0.1:PORT/0` or `unix:///PATH?db=0`;
  SONDE_TEST_CACHE_PREFIX: the cache's KEY_PREFIX (default `shop`);
- SONDE_TEST_QUERY_LOG: the file the middleware appends its lines to.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured

from shop.settings import *  # noqa: F403
from shop.settings import MIDDLEWARE as SHOP_MIDDLEWARE


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"shop.settings_db needs ${name}")
    return value


DEBUG = True
INSTALLED_APPS = ["orders"]
MIDDLEWARE = ["orders.middleware.QueryLogMiddleware", *SHOP_MIDDLEWARE]
ROOT_URLCONF = "shop.urls_db"

DRIVER = env("SONDE_TEST_DB")
if DRIVER == "postgresql-psycopg2":
    # Django's backend imports psycopg (3) when it can and falls back to
    # psycopg2: make psycopg unimportable before the backend is loaded.
    sys.modules["psycopg"] = None
    ENGINE = "django.db.backends.postgresql"
    OPTIONS = {}
elif DRIVER == "postgresql-psycopg3":
    import psycopg  # noqa: F401  (fails here, not in the backend, when missing)

    ENGINE = "django.db.backends.postgresql"
    # Extended protocol with the parameters bound by the server.
    OPTIONS = {"server_side_binding": True}
elif DRIVER == "mysql":
    ENGINE = "django.db.backends.mysql"
    OPTIONS = {"charset": "utf8mb4"}
else:
    raise ImproperlyConfigured(
        f"SONDE_TEST_DB={DRIVER!r}: expected postgresql-psycopg2, postgresql-psycopg3 or mysql"
    )

DATABASES = {
    "default": {
        "ENGINE": ENGINE,
        "HOST": env("SONDE_TEST_DB_HOST"),
        "PORT": env("SONDE_TEST_DB_PORT", ""),
        "NAME": env("SONDE_TEST_DB_NAME"),
        "USER": env("SONDE_TEST_DB_USER"),
        "PASSWORD": env("SONDE_TEST_DB_PASSWORD"),
        "CONN_MAX_AGE": int(env("SONDE_TEST_CONN_MAX_AGE", "0")),
        "OPTIONS": OPTIONS,
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("SONDE_TEST_REDIS_URL"),
        "KEY_PREFIX": env("SONDE_TEST_CACHE_PREFIX", "shop"),
    }
}
