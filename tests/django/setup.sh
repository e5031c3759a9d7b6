#!/usr/bin/env bash
# Creates the Python environment of the HTTP and database acceptance tests: a
# venv with the pinned Django, gunicorn, uwsgi, requests and database drivers of
# requirements.txt, built on Debian's python3 (apt: python3 python3-venv
# python3-dev build-essential; mysqlclient builds against libmariadb-dev, found
# with pkg-config).
#
#   tests/django/setup.sh            # idempotent: returns at once when up to date
#
# The venv lives at $SONDE_TEST_VENV, default /opt/sonde-test-venv (outside the
# work tree, so `cargo clean` keeps it and checkouts share it); the tests look in
# the same place. A stamp written last records what was installed, so a venv
# whose install was interrupted, or whose requirements changed, is rebuilt.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=${SONDE_TEST_VENV:-/opt/sonde-test-venv}
python=${SONDE_TEST_PYTHON:-/usr/bin/python3}
stamp="$venv/.sonde-stamp"

if [[ ! -x $python ]]; then
    echo "error: $python not found: apt-get install python3 python3-venv python3-dev build-essential" >&2
    exit 1
fi

# What the stamp must say for the venv to be current: the interpreter's version
# and the exact requirements.
wanted=$(
    "$python" -c 'import sys; print("python", sys.version.split()[0])'
    cat "$here/requirements.txt"
)

if [[ -x $venv/bin/python && -f $stamp && "$(cat "$stamp")" == "$wanted" ]]; then
    echo "test venv up to date: $venv"
    exit 0
fi

echo "building the test venv at $venv"
rm -rf "$venv"
"$python" -m venv "$venv"
# A pip cache shared with the user's would hide a requirement that no longer
# installs from the registry; the build is a minute at most anyway.
"$venv/bin/pip" install --no-cache-dir --disable-pip-version-check --quiet --upgrade pip
"$venv/bin/pip" install --no-cache-dir --disable-pip-version-check --quiet \
    -r "$here/requirements.txt"

# Everything the tests run must import or start.
"$venv/bin/python" -c 'import django, gunicorn, requests; print("django", django.__version__, "gunicorn", gunicorn.__version__, "requests", requests.__version__)'
"$venv/bin/python" -c 'import psycopg2, psycopg, MySQLdb, redis; print("psycopg2", psycopg2.__version__, "psycopg", psycopg.__version__, psycopg.pq.__impl__, "mysqlclient", MySQLdb.version_info, "redis", redis.__version__)'
"$venv/bin/uwsgi" --version
(cd "$here" && DJANGO_SETTINGS_MODULE=shop.settings PYTHONDONTWRITEBYTECODE=1 \
    "$venv/bin/python" -c 'import shop.wsgi, backend')
# shop.settings_db loads the backend of each driver (no server needed): the
# module in use must be the one asked for (psycopg2 although psycopg imports).
for pair in postgresql-psycopg2=psycopg2 postgresql-psycopg3=psycopg mysql=MySQLdb; do
    loaded=$(cd "$here" && DJANGO_SETTINGS_MODULE=shop.settings_db PYTHONDONTWRITEBYTECODE=1 \
        SONDE_TEST_DB=${pair%%=*} SONDE_TEST_DB_HOST=127.0.0.1 SONDE_TEST_DB_NAME=shop \
        SONDE_TEST_DB_USER=sonde SONDE_TEST_DB_PASSWORD=- SONDE_TEST_QUERY_LOG=/dev/null \
        SONDE_TEST_REDIS_URL=redis://127.0.0.1:1/0 "$venv/bin/python" -c \
        'import django; django.setup(); import shop.wsgi; from django.db import connection; print(connection.Database.__name__)')
    if [[ $loaded != "${pair#*=}" ]]; then
        echo "error: SONDE_TEST_DB=${pair%%=*} loaded the driver '$loaded', not ${pair#*=}" >&2
        exit 1
    fi
done

printf '%s\n' "$wanted" >"$stamp"
echo "test venv ready: $venv"
