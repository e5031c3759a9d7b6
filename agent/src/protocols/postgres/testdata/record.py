#!/usr/bin/env python3
"""Records the PostgreSQL conversations the golden tests replay.

Real clients (psql, psycopg2, psycopg 3) talk to a real PostgreSQL 15,
started here in a temporary directory (initdb, unix socket and TCP on a
free loopback port, SCRAM authentication over TCP), through a relay on
loopback that logs every recv() of each direction, as the kernel would see
the syscalls. Each connection is written to `NAME.conv`, one line per recv:

    > TOTAL "DATA" "TAIL"      client to server
    < TOTAL "DATA" "TAIL"      server to client

DATA is what a 4096-byte capture keeps of the TOTAL bytes received, TAIL the
last 64 bytes when TOTAL exceeds the capture (both escaped: \\r \\n \\t \\\\
\\" \\xNN). Bulk conversations read the server's bytes in large recv()s
after a short pause, like a client with a big buffer, so that each recv is
only partly captured (and the recordings stay small). Usage, as root (the
server runs as the `postgres` user), from this directory:

    python3 -m venv /tmp/pg-venv && /tmp/pg-venv/bin/pip install psycopg2-binary 'psycopg[binary]'
    /tmp/pg-venv/bin/python record.py [CONVERSATION...]   # then: SONDE_BLESS=1 cargo test -p sonde-agent postgres::golden

Recordings differ from run to run where the server does (process ids,
cancel keys, SCRAM nonces, timestamps in ParameterStatus).
"""

import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import psycopg
import psycopg2

CAPTURE = 4096
TAIL = 64
HERE = os.path.dirname(os.path.abspath(__file__))
BIN = "/usr/lib/postgresql/15/bin"
USER = "sonde"
PASSWORD = "sonde-secret"
DATABASE = "shop"


def escape(data):
    out = []
    for byte in data:
        char = chr(byte)
        if char == "\r":
            out.append("\\r")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char in "\\\"":
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append("\\x%02x" % byte)
    return '"' + "".join(out) + '"'


class Relay:
    """Accepts on `port`, relays to `upstream`; names each connection from
    `expect()` in accept order and logs its recvs."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.names = queue.Queue()
        self.finished = queue.Queue()
        threading.Thread(target=self.serve, daemon=True).start()

    def expect(self, name, bulk=False):
        self.names.put((name, bulk))

    def serve(self):
        while True:
            client, _ = self.listener.accept()
            name, bulk = self.names.get_nowait() if not self.names.empty() else ("unnamed", False)
            threading.Thread(target=self.connection, args=(client, name, bulk), daemon=True).start()

    def connection(self, client, name, bulk):
        server = socket.create_connection(("127.0.0.1", self.upstream))
        records = []
        lock = threading.Lock()

        def pump(src, dst, arrow):
            while True:
                if bulk and arrow == "<":
                    # Let the server's writes pile up: one large recv.
                    time.sleep(0.02)
                try:
                    data = src.recv(1 << 20 if bulk else 65536)
                except OSError:
                    data = b""
                if not data:
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
                with lock:
                    records.append((arrow, data))
                dst.sendall(data)

        threads = [
            threading.Thread(target=pump, args=(client, server, ">")),
            threading.Thread(target=pump, args=(server, client, "<")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        client.close()
        server.close()
        if name != "unnamed":
            with open(os.path.join(HERE, name + ".conv"), "w") as out:
                out.write("# recorded by record.py: %s\n" % name)
                for arrow, data in records:
                    tail = data[-TAIL:] if len(data) > CAPTURE else b""
                    out.write("%s %d %s %s\n" % (arrow, len(data), escape(data[:CAPTURE]), escape(tail)))
        self.finished.put(name)

    def wait(self, count):
        for _ in range(count):
            try:
                self.finished.get(timeout=20)
            except queue.Empty:
                sys.exit("a connection did not end")


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


# --- Conversations: each opens the connections it names, in order. ---


def psql_simple(relay, port):
    relay.expect("psql_simple")
    psql(port, "SELECT 1", "SELECT name, price FROM products ORDER BY id",
         "SELECT 1; SELECT 2; SELECT 3", "", "SELECT * FROM nowhere", "SELECT 4")
    relay.wait(1)


def psycopg2_simple(relay, port):
    relay.expect("psycopg2_simple")
    with psycopg2.connect(dsn(port)) as conn:
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
    relay.wait(1)


def psycopg3_extended(relay, port):
    relay.expect("psycopg3_extended")
    with psycopg.connect(dsn(port), autocommit=True) as conn:
        conn.execute("SELECT name FROM products WHERE price > %s", (2,)).fetchall()
        conn.execute("SELECT %s::int + %s", (1, 2)).fetchall()
        for product in (1, 2, 3):
            conn.execute("SELECT name, price FROM products WHERE id = %s", (product,),
                         prepare=True).fetchall()
        conn.execute("UPDATE products SET price = price WHERE id = %s", (1,))
    relay.wait(1)


def psycopg3_error(relay, port):
    relay.expect("psycopg3_error")
    with psycopg.connect(dsn(port), autocommit=True) as conn:
        try:
            conn.execute("SELECT * FROM nowhere WHERE id = %s", (1,))
        except psycopg.errors.UndefinedTable:
            pass
        try:
            conn.execute("SELECT 1 / %s", (0,), prepare=True)
        except psycopg.errors.DivisionByZero:
            pass
        conn.execute("SELECT %s", ("still fine",)).fetchall()
    relay.wait(1)


def psycopg3_pipeline(relay, port):
    relay.expect("psycopg3_pipeline")
    with psycopg.connect(dsn(port), autocommit=True) as conn:
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
    relay.wait(1)


def transaction(relay, port):
    relay.expect("transaction")
    with psycopg.connect(dsn(port)) as conn:
        with conn.transaction():
            conn.execute("INSERT INTO orders (product, quantity) VALUES (%s, %s)", (3, 2))
            conn.execute("UPDATE orders SET quantity = quantity + 1 WHERE product = %s", (3,))
            conn.execute("DELETE FROM orders WHERE product = %s", (3,))
    relay.wait(1)


def copy(relay, port):
    relay.expect("copy")
    with psycopg.connect(dsn(port), autocommit=True) as conn:
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
    relay.wait(1)


def listen_notify(relay, port):
    relay.expect("listen_notify")
    relay.expect("notify_sender")
    listener = psycopg.connect(dsn(port), autocommit=True)
    listener.execute("LISTEN prices")
    with psycopg.connect(dsn(port), autocommit=True) as sender:
        sender.execute("NOTIFY prices, 'product 1'")
        sender.execute("SELECT pg_notify('prices', 'product 2')")
    time.sleep(0.3)
    for _ in listener.notifies(timeout=0.5, stop_after=2):
        pass
    listener.execute("SELECT 1").fetchall()
    listener.close()
    relay.wait(2)


def large_result(relay, port):
    relay.expect("large_result", bulk=True)
    with psycopg2.connect(dsn(port)) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT i, repeat('x', 200) FROM generate_series(1, 1500) AS i")
            cur.fetchall()
            cur.execute("SELECT 1")
            cur.fetchall()
    conn.close()
    relay.wait(1)


def big_row(relay, port):
    relay.expect("big_row", bulk=True)
    with psycopg.connect(dsn(port), autocommit=True) as conn:
        conn.execute("SELECT repeat('r', 4 * 1024 * 1024)").fetchall()
        conn.execute("SELECT %s::int", (9,)).fetchall()
    relay.wait(1)


def cancel(relay, port):
    relay.expect("cancel_query")
    relay.expect("cancel_request")
    with psycopg.connect(dsn(port), autocommit=True) as conn:
        # cancel_safe() waits without holding the GIL, which the relay needs.
        timer = threading.Timer(0.5, conn.cancel_safe)
        timer.start()
        try:
            conn.execute("SELECT pg_sleep(5)")
        except psycopg.errors.QueryCanceled:
            pass
        timer.join()
        conn.execute("SELECT 1").fetchall()
    relay.wait(2)


def tls(relay, port):
    relay.expect("tls")
    with psycopg.connect(dsn(port, sslmode="require"), autocommit=True) as conn:
        conn.execute("SELECT 1").fetchall()
    relay.wait(1)


# --- The server. ---


def main():
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
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(as_postgres + [BIN + "/initdb", "-D", data, "-U", USER, "--pwfile", pwfile,
                                  "--auth-local=trust", "--auth-host=scram-sha-256"],
                   check=True, stdout=subprocess.DEVNULL)
    make_certificate(data)
    port = free_port()
    ctl = as_postgres + [BIN + "/pg_ctl", "-D", data, "-w", "-l", os.path.join(base, "log")]
    options = "-c listen_addresses=127.0.0.1 -p %d -k %s" % (port, sockets)
    subprocess.run(ctl + ["-o", options + " -c ssl=off", "start"], check=True,
                   stdout=subprocess.DEVNULL)
    try:
        setup(port)
        relay = Relay(port)
        only = sys.argv[1:]
        for conversation in [psql_simple, psycopg2_simple, psycopg3_extended, psycopg3_error,
                             psycopg3_pipeline, transaction, copy, listen_notify, large_result,
                             big_row, cancel]:
            if not only or conversation.__name__ in only:
                print(conversation.__name__, flush=True)
                conversation(relay, relay.port)
        if not only or "tls" in only:
            print("tls", flush=True)
            subprocess.run(ctl + ["-o", options + " -c ssl=on", "restart"], check=True,
                           stdout=subprocess.DEVNULL)
            tls(relay, relay.port)
    finally:
        subprocess.run(ctl + ["stop"], check=False, stdout=subprocess.DEVNULL)
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


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    main()
