#!/usr/bin/env bash
# Creates the Python environment of the HTTP acceptance tests: a venv with the
# pinned Django, gunicorn, uwsgi and requests of requirements.txt, built on
# Debian's python3 (apt: python3 python3-venv python3-dev build-essential).
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
"$venv/bin/uwsgi" --version
(cd "$here" && DJANGO_SETTINGS_MODULE=shop.settings PYTHONDONTWRITEBYTECODE=1 \
    "$venv/bin/python" -c 'import shop.wsgi, backend')

printf '%s\n' "$wanted" >"$stamp"
echo "test venv ready: $venv"
