"""The PostgreSQL conversations the golden tests replay: real clients (psql,
psycopg2, psycopg 3) and a real PostgreSQL 15, started in a temporary
directory (initdb, unix socket and TCP on a free loopback port, SCRAM
authentication over TCP). Bulk conversations read in big recv()s (see
`Relay.recording`). Recorded by `../../testdata/record.py` (see there), as
root (the server runs as the `postgres` user), from this directory:

    python3 -m venv /tmp/pg-venv && /tmp/pg-venv/bin/pip install psycopg2-binary 'psycopg[binary]'
    /tmp/pg-venv/bin/python ../../testdata/record.py postgres [CONVERSATION...]

Recordings differ from run to run where the server does (process ids,
cancel keys, SCRAM nonces, timestamps in ParameterStatus).
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time

import psycopg
import psycopg2

from record import free_port

BIN = "/usr/lib/postgresql/15/bin"
USER = "sonde"
PASSWORD = "sonde-secret"
DATABASE = "shop"


def dsn(port, **extra):
    params = dict(host="127.0.0.1", port=port, user=USER, password=PASSWORD, dbname=DATABASE,
                  sslmode="prefer", gssencmode="disable", application_name="record")
    params.update(extra)
    return " ".join("%s=%s" % item for item in params.items())


def psql(port, *commands):
    args = ["psql", "-X", "-q", dsn(port)]
    for command in commands:
        args += ["-c", command]
    subprocess.run(args, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, PGPASSWORD=PASSWORD))


# --- Conversations: each records the connections it names, in order. ---


def psql_simple(relay):
    with relay.recording("psql_simple"):
        psql(relay.port, "SELECT 1", "SELECT name, price FROM products ORDER BY id",
             "SELECT 1; SELECT 2; SELECT 3", "", "SELECT * FROM nowhere", "SELECT 4")


def psycopg2_simple(relay):
    with relay.recording("psycopg2_simple"):
        with psycopg2.connect(dsn(relay.port)) as conn:
            with conn.cursor() as cur:
                cur.execute("SELECT name FROM products WHERE price > %s", (2,))
                cur.fetchall()
                cur.execute("INSERT INTO orders (product, quantity) VALUES (%s, %s)", (1, 3))
                cur.execute("UPDATE products SET price = price WHERE id = %s", (1,))
            conn.commit()
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM orders")
                cur.fetchall()
        conn.close()


def psycopg3_extended(relay):
    with relay.recording("psycopg3_extended"):
        with psycopg.connect(dsn(relay.port), autocommit=True) as conn:
            conn.execute("SELECT name FROM products WHERE price > %s", (2,)).fetchall()
            conn.execute("SELECT %s::int + %s", (1, 2)).fetchall()
            for product in (1, 2, 3):
                conn.execute("SELECT name, price FROM products WHERE id = %s", (product,),
                             prepare=True).fetchall()
            conn.execute("UPDATE products SET price = price WHERE id = %s", (1,))


def psycopg3_error(relay):
    with relay.recording("psycopg3_error"):
        with psycopg.connect(dsn(relay.port), autocommit=True) as conn:
            try:
                conn.execute("SELECT * FROM nowhere WHERE id = %s", (1,))
            except psycopg.errors.UndefinedTable:
                pass
            try:
                conn.execute("SELECT 1 / %s", (0,), prepare=True)
            except psycopg.errors.DivisionByZero:
                pass
            conn.execute("SELECT %s", ("still fine",)).fetchall()


def psycopg3_pipeline(relay):
    with relay.recording("psycopg3_pipeline"):
        with psycopg.connect(dsn(relay.port), autocommit=True) as conn:
            with conn.pipeline():
                conn.execute("INSERT INTO orders (product, quantity) VALUES (%s, %s)", (2, 1))
                conn.execute("SELECT count(*) FROM orders")
                conn.execute("SELECT %s::int", (7,))
            try:
                with conn.pipeline():
                    conn.execute("SELECT 1 WHERE %s", (True,))
                    conn.execute("INSERT INTO nowhere VALUES (%s)", (1,))
                    conn.execute("SELECT 2 WHERE %s", (True,))
                    conn.execute("SELECT 3 WHERE %s", (True,))
            except psycopg.Error:
                pass
            conn.execute("SELECT %s::int", (8,)).fetchall()


def transaction(relay):
    with relay.recording("transaction"):
        with psycopg.connect(dsn(relay.port)) as conn:
            with conn.transaction():
                conn.execute("INSERT INTO orders (product, quantity) VALUES (%s, %s)", (3, 2))
                conn.execute("UPDATE orders SET quantity = quantity + 1 WHERE product = %s", (3,))
                conn.execute("DELETE FROM orders WHERE product = %s", (3,))


def copy(relay):
    with relay.recording("copy"):
        with psycopg.connect(dsn(relay.port), autocommit=True) as conn:
            with conn.cursor() as cur:
                with cur.copy("COPY orders (product, quantity) FROM STDIN") as copy:
                    for i in range(20):
                        copy.write_row((1 + i % 3, i))
                with cur.copy("COPY (SELECT id, name FROM products) TO STDOUT") as copy:
                    for _ in copy.rows():
                        pass
                try:
                    with cur.copy("COPY orders (product, quantity) FROM STDIN") as copy:
                        copy.write_row((1, 1))
                        raise RuntimeError("abandoned by the client")
                except (RuntimeError, psycopg.Error):
                    pass
                cur.execute("SELECT count(*) FROM orders").fetchall()


def listen_notify(relay):
    with relay.recording("listen_notify", "notify_sender"):
        listener = psycopg.connect(dsn(relay.port), autocommit=True)
        listener.execute("LISTEN prices")
        with psycopg.connect(dsn(relay.port), autocommit=True) as sender:
            sender.execute("NOTIFY prices, 'product 1'")
            sender.execute("SELECT pg_notify('prices', 'product 2')")
        time.sleep(0.3)
        for _ in listener.notifies(timeout=0.5, stop_after=2):
            pass
        listener.execute("SELECT 1").fetchall()
        listener.close()


def large_result(relay):
    with relay.recording("large_result", big_reads=True):
        with psycopg2.connect(dsn(relay.port)) as conn:
            with conn.cursor() as cur:
                cur.execute("SELECT i, repeat('x', 200) FROM generate_series(1, 1500) AS i")
                cur.fetchall()
                cur.execute("SELECT 1")
                cur.fetchall()
        conn.close()


def big_row(relay):
    with relay.recording("big_row", big_reads=True):
        with psycopg.connect(dsn(relay.port), autocommit=True) as conn:
            conn.execute("SELECT repeat('r', 4 * 1024 * 1024)").fetchall()
            conn.execute("SELECT %s::int", (9,)).fetchall()


def cancel(relay):
    with relay.recording("cancel_query", "cancel_request"):
        with psycopg.connect(dsn(relay.port), autocommit=True) as conn:
            # cancel_safe() waits without holding the GIL, which the relay needs.
            timer = threading.Timer(0.5, conn.cancel_safe)
            timer.start()
            try:
                conn.execute("SELECT pg_sleep(5)")
            except psycopg.errors.QueryCanceled:
                pass
            timer.join()
            conn.execute("SELECT 1").fetchall()


def tls(relay):
    SERVER.restart(ssl=True)
    with relay.recording("tls"):
        with psycopg.connect(dsn(relay.port, sslmode="require"), autocommit=True) as conn:
            conn.execute("SELECT 1").fetchall()


CONVERSATIONS = [psql_simple, psycopg2_simple, psycopg3_extended, psycopg3_error, psycopg3_pipeline,
                 transaction, copy, listen_notify, large_result, big_row, cancel, tls]


# --- The server. ---


class Server:
    """A PostgreSQL 15 in `base`, run as the `postgres` user."""

    def __init__(self, base, port):
        self.data = os.path.join(base, "data")
        self.sockets = os.path.join(base, "sockets")
        self.port = port
        self.ctl = ["runuser", "-u", "postgres", "--", BIN + "/pg_ctl", "-D", self.data, "-w",
                    "-l", os.path.join(base, "log")]

    def options(self, ssl):
        return "-c listen_addresses=127.0.0.1 -p %d -k %s -c ssl=%s" % (
            self.port, self.sockets, "on" if ssl else "off")

    def start(self):
        subprocess.run(self.ctl + ["-o", self.options(False), "start"], check=True,
                       stdout=subprocess.DEVNULL)

    def restart(self, ssl):
        subprocess.run(self.ctl + ["-o", self.options(ssl), "restart"], check=True,
                       stdout=subprocess.DEVNULL)

    def stop(self):
        subprocess.run(self.ctl + ["stop"], check=False, stdout=subprocess.DEVNULL)


SERVER = None


@contextlib.contextmanager
def serve():
    global SERVER
    base = tempfile.mkdtemp(prefix="sonde-pg-")
    os.chmod(base, 0o755)
    data = os.path.join(base, "data")
    sockets = os.path.join(base, "sockets")
    os.mkdir(sockets)
    shutil.chown(base, "postgres")
    shutil.chown(sockets, "postgres")
    pwfile = os.path.join(base, "pw")
    with open(pwfile, "w") as out:
        out.write(PASSWORD)
    shutil.chown(pwfile, "postgres")
    subprocess.run(["runuser", "-u", "postgres", "--", BIN + "/initdb", "-D", data, "-U", USER,
                    "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256"],
                   check=True, stdout=subprocess.DEVNULL)
    make_certificate(data)
    SERVER = Server(base, free_port())
    SERVER.start()
    try:
        setup(SERVER.port)
        yield SERVER.port
    finally:
        SERVER.stop()
        shutil.rmtree(base, ignore_errors=True)


def setup(port):
    with psycopg.connect(dsn(port, dbname="postgres"), autocommit=True) as conn:
        conn.execute("CREATE DATABASE %s" % DATABASE)
    with psycopg.connect(dsn(port), autocommit=True) as conn:
        conn.execute("CREATE TABLE products (id serial PRIMARY KEY, name text, price numeric)")
        conn.execute("INSERT INTO products (name, price) VALUES ('tea', 3), ('milk', 1), ('jam', 4)")
        conn.execute("CREATE TABLE orders (id serial PRIMARY KEY, product int, quantity int)")


def make_certificate(data):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", os.path.join(data, "server.key"),
                    "-out", os.path.join(data, "server.crt")],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for name in ("server.key", "server.crt"):
        shutil.chown(os.path.join(data, name), "postgres")
    os.chmod(os.path.join(data, "server.key"), 0o600)
