#!/usr/bin/env python3
"""Records the MySQL conversations the golden tests replay.

A real MariaDB (mariadbd, started here in a temporary directory on a free
loopback port and a unix socket) is driven by real clients (PyMySQL,
mysqlclient, mysql-connector-python with server-side prepared statements,
the mariadb command-line client) through a relay on loopback that logs every
recv() of each direction, as the kernel would see the syscalls. Each
connection is written to `NAME.conv`, one line per recv:

    > TOTAL "DATA" "TAIL"      client to server
    < TOTAL "DATA" "TAIL"      server to client

DATA is what a 4096-byte capture keeps of the TOTAL bytes received, TAIL the
last 64 bytes when TOTAL exceeds the capture (both escaped: \\r \\n \\t \\\\
\\" \\xNN). Usage, from this directory:

    python3 -m venv /tmp/venv
    /tmp/venv/bin/pip install pymysql mysqlclient mysql-connector-python
    /tmp/venv/bin/python record.py   # then: SONDE_BLESS=1 cargo test -p sonde-agent mysql::golden

Recordings differ from run to run where the server does (salts, ids).
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import MySQLdb
from MySQLdb.constants import CLIENT as MYSQLDB_CLIENT
import mysql.connector
import pymysql

CAPTURE = 4096
TAIL = 64
HERE = os.path.dirname(os.path.abspath(__file__))
USER = "app"
PASSWORD = "secret"


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
    """Accepts on `port`, relays to `upstream`, logs each connection's recvs."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.name = None
        self.recv_size = 65536
        self.done = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            client, _ = self.listener.accept()
            self.done.clear()
            args = (client, self.name, self.recv_size)
            threading.Thread(target=self.connection, args=args, daemon=True).start()

    def connection(self, client, name, recv_size):
        server = socket.create_connection(("127.0.0.1", self.upstream))
        for sock in (client, server):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, max(recv_size, 65536))
        records = []
        lock = threading.Lock()

        def pump(src, dst, arrow):
            while True:
                if recv_size > 65536:
                    time.sleep(0.02)  # let big writes pile up into big reads
                try:
                    data = src.recv(recv_size)
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
        with open(os.path.join(HERE, name + ".conv"), "w") as out:
            out.write("# recorded by record.py: %s\n" % name)
            for arrow, data in records:
                tail = data[-TAIL:] if len(data) > CAPTURE else b""
                out.write("%s %d %s %s\n" % (arrow, len(data), escape(data[:CAPTURE]), escape(tail)))
        self.done.set()

    def record(self, conversation, recv_size=65536):
        self.name = conversation.__name__
        self.recv_size = recv_size
        conversation(self.port)
        if not self.done.wait(10):
            sys.exit("connection %s did not end" % self.name)
        time.sleep(0.1)


def pymysql_queries(port):
    conn = pymysql.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                           database="shop", autocommit=True)
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
        cur.execute("SELECT id, name, price FROM products WHERE price > %s ORDER BY id", (2,))
        cur.execute("UPDATE products SET price = price + 1 WHERE id <= %s", (2,))
        cur.execute("SELECT COUNT(*) FROM products WHERE name LIKE %s", ("%a%",))
        cur.execute("SELECT * FROM products WHERE 1 = 0")
    conn.select_db("other")  # COM_INIT_DB
    with conn.cursor() as cur:
        cur.execute("SHOW TABLES")
    conn.ping()
    conn.close()


def mysqlclient_queries(port):
    conn = MySQLdb.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                           database="shop", autocommit=True,
                           client_flag=MYSQLDB_CLIENT.MULTI_STATEMENTS | MYSQLDB_CLIENT.MULTI_RESULTS)
    cur = conn.cursor()
    cur.execute("SELECT name FROM products ORDER BY id")
    cur.fetchall()
    cur.execute("INSERT INTO products (name, price) VALUES (%s, %s)", ("pear", 7))
    cur.execute("DELETE FROM products WHERE name = %s", ("pear",))
    # Several results in one call: a multi-statement, a procedure.
    cur.execute("SELECT 1; SELECT 2, 3; UPDATE products SET price = price WHERE id = 1")
    while cur.nextset():
        pass
    cur.execute("CALL two_results()")
    while cur.nextset():
        pass
    conn.select_db("other")
    conn.ping()
    conn.close()


def prepared(port):
    conn = mysql.connector.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                                   database="shop", ssl_disabled=True, use_pure=True)
    cur = conn.cursor(prepared=True)
    cur.execute("SELECT id, name, price FROM products WHERE id < ? ORDER BY id", (3,))
    cur.fetchall()
    cur.execute("SELECT id, name, price FROM products WHERE id < ? ORDER BY id", (4,))
    cur.fetchall()
    cur.execute("UPDATE products SET price = ? WHERE id = ?", (9, 1))
    cur.close()
    conn.commit()
    conn.close()


def errors(port):
    conn = pymysql.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                           database="shop", autocommit=True)
    with conn.cursor() as cur:
        for sql in ["SELECT * FROM missing", "SELEC 1", "INSERT INTO products (id, name, price) VALUES (1, 'dup', 1)"]:
            try:
                cur.execute(sql)
            except pymysql.MySQLError:
                pass
        cur.execute("SELECT 1")
    conn.close()


def prepared_errors(port):
    conn = mysql.connector.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                                   database="shop", ssl_disabled=True, use_pure=True)
    cur = conn.cursor(prepared=True)
    try:
        cur.execute("SELECT name FROM missing WHERE id = ?", (1,))
    except mysql.connector.Error:
        pass
    cur.execute("SELECT name FROM products WHERE id = ?", (1,))
    cur.fetchall()
    cur.close()
    conn.close()


def transaction(port):
    conn = pymysql.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                           database="shop", autocommit=False)
    with conn.cursor() as cur:
        conn.begin()
        for i in range(3):
            cur.execute("INSERT INTO orders (product, quantity) VALUES (%s, %s)", (1, i + 1))
        conn.commit()
    conn.close()


def large_result(port):
    conn = pymysql.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                           database="shop", autocommit=True)
    with conn.cursor() as cur:
        cur.execute("SELECT seq, REPEAT('r', 20) FROM seq_1_to_3000")
        cur.execute("SELECT 2")
    conn.close()


def big_row(port):
    conn = pymysql.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                           database="shop", autocommit=True, max_allowed_packet=64 << 20)
    with conn.cursor() as cur:
        cur.execute("SELECT REPEAT('x', 4 * 1024 * 1024) AS big, 1")
        cur.execute("INSERT INTO blobs (data) VALUES (%s)", ("y" * (4 << 20),))
        cur.execute("SELECT LENGTH(data) FROM blobs")
    conn.close()


def local_infile(port):
    with tempfile.NamedTemporaryFile("w", suffix=".csv") as data:
        data.write("".join("%d,item%d,%d\n" % (100 + i, i, i) for i in range(20)))
        data.flush()
        conn = pymysql.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                               database="shop", autocommit=True, local_infile=True)
        with conn.cursor() as cur:
            cur.execute("LOAD DATA LOCAL INFILE %s INTO TABLE products FIELDS TERMINATED BY ','",
                        (data.name,))
            cur.execute("DELETE FROM products WHERE id >= 100")
        conn.close()


def mariadb_cli(port):
    subprocess.run(
        ["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", str(port), "-u", USER,
         "-p" + PASSWORD, "shop", "-e",
         "SELECT name, price FROM products ORDER BY id; USE other; SELECT DATABASE();"
         " PREPARE s FROM 'SELECT ? + 1'; SET @a = 41; EXECUTE s USING @a; DEALLOCATE PREPARE s;"],
        check=True, stdout=subprocess.DEVNULL,
    )


SETUP = """
CREATE DATABASE shop;
CREATE DATABASE other;
CREATE USER 'app'@'localhost' IDENTIFIED BY 'secret';
GRANT ALL ON *.* TO 'app'@'localhost';
CREATE TABLE shop.products (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40), price INT);
INSERT INTO shop.products (name, price) VALUES ('apple', 3), ('banana', 2), ('cherry', 5);
CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, product INT, quantity INT);
CREATE TABLE shop.blobs (id INT AUTO_INCREMENT PRIMARY KEY, data LONGBLOB);
CREATE TABLE other.notes (id INT);
CREATE PROCEDURE shop.two_results() BEGIN SELECT 1; SELECT name FROM shop.products; END;
"""


def main():
    root = tempfile.mkdtemp()
    data = os.path.join(root, "data")
    sock = os.path.join(root, "mysqld.sock")
    subprocess.run(["mysql_install_db", "--no-defaults", "--datadir=" + data, "--user=root",
                    "--auth-root-authentication-method=normal"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(
        ["mariadbd", "--no-defaults", "--datadir=" + data, "--user=root",
         "--bind-address=127.0.0.1", "--port=%d" % port, "--socket=" + sock,
         "--pid-file=" + os.path.join(root, "mysqld.pid"), "--skip-log-bin",
         "--local-infile=1", "--max-allowed-packet=64M", "--log-error=" + os.path.join(root, "err.log")],
    )
    try:
        wait_for(sock)
        subprocess.run(["mariadb", "--no-defaults", "-S", sock, "-u", "root", "--delimiter=;;"],
                       input=SETUP.replace(";\n", ";;\n"), text=True, check=True)
        relay = Relay(port)
        for conversation in [pymysql_queries, mysqlclient_queries, prepared, errors,
                             prepared_errors, transaction, large_result, local_infile, mariadb_cli]:
            relay.record(conversation)
        relay.record(big_row, recv_size=1 << 20)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(root, ignore_errors=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(path):
    for _ in range(300):
        if os.path.exists(path):
            return
        time.sleep(0.1)
    sys.exit("mariadbd did not start")


if __name__ == "__main__":
    main()
