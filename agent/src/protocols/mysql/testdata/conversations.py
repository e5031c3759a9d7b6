"""The MySQL conversations the golden tests replay: a real MariaDB
(mariadbd, started in a temporary directory on a free loopback port and a
unix socket) driven by real clients (PyMySQL, mysqlclient,
mysql-connector-python with server-side prepared statements, the mariadb
command-line client). Recorded by `../../testdata/record.py` (see there),
from this directory:

    python3 -m venv /tmp/venv
    /tmp/venv/bin/pip install pymysql mysqlclient mysql-connector-python
    /tmp/venv/bin/python ../../testdata/record.py mysql [CONVERSATION...]
"""

import contextlib
import os
import shutil
import subprocess
import tempfile

import MySQLdb
from MySQLdb.constants import CLIENT as MYSQLDB_CLIENT
import mysql.connector
import pymysql

from record import free_port, wait_for

USER = "app"
PASSWORD = "secret"


def pymysql_queries(relay):
    with relay.recording("pymysql_queries"):
        conn = pymysql.connect(host="127.0.0.1", port=relay.port, user=USER, password=PASSWORD,
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


def mysqlclient_queries(relay):
    with relay.recording("mysqlclient_queries"):
        conn = MySQLdb.connect(host="127.0.0.1", port=relay.port, user=USER, password=PASSWORD,
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


def prepared(relay):
    with relay.recording("prepared"):
        conn = mysql.connector.connect(host="127.0.0.1", port=relay.port, user=USER, password=PASSWORD,
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


def errors(relay):
    with relay.recording("errors"):
        conn = pymysql.connect(host="127.0.0.1", port=relay.port, user=USER, password=PASSWORD,
                               database="shop", autocommit=True)
        with conn.cursor() as cur:
            for sql in ["SELECT * FROM missing", "SELEC 1", "INSERT INTO products (id, name, price) VALUES (1, 'dup', 1)"]:
                try:
                    cur.execute(sql)
                except pymysql.MySQLError:
                    pass
            cur.execute("SELECT 1")
        conn.close()


def prepared_errors(relay):
    with relay.recording("prepared_errors"):
        conn = mysql.connector.connect(host="127.0.0.1", port=relay.port, user=USER, password=PASSWORD,
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


def transaction(relay):
    with relay.recording("transaction"):
        conn = pymysql.connect(host="127.0.0.1", port=relay.port, user=USER, password=PASSWORD,
                               database="shop", autocommit=False)
        with conn.cursor() as cur:
            conn.begin()
            for i in range(3):
                cur.execute("INSERT INTO orders (product, quantity) VALUES (%s, %s)", (1, i + 1))
            conn.commit()
        conn.close()


def large_result(relay):
    with relay.recording("large_result"):
        conn = pymysql.connect(host="127.0.0.1", port=relay.port, user=USER, password=PASSWORD,
                               database="shop", autocommit=True)
        with conn.cursor() as cur:
            cur.execute("SELECT seq, REPEAT('r', 20) FROM seq_1_to_3000")
            cur.execute("SELECT 2")
        conn.close()


def big_row(relay):
    with relay.recording("big_row", big_reads=True):
        conn = pymysql.connect(host="127.0.0.1", port=relay.port, user=USER, password=PASSWORD,
                               database="shop", autocommit=True, max_allowed_packet=64 << 20)
        with conn.cursor() as cur:
            cur.execute("SELECT REPEAT('x', 4 * 1024 * 1024) AS big, 1")
            cur.execute("INSERT INTO blobs (data) VALUES (%s)", ("y" * (4 << 20),))
            cur.execute("SELECT LENGTH(data) FROM blobs")
        conn.close()


def local_infile(relay):
    with relay.recording("local_infile"):
        with tempfile.NamedTemporaryFile("w", suffix=".csv") as data:
            data.write("".join("%d,item%d,%d\n" % (100 + i, i, i) for i in range(20)))
            data.flush()
            conn = pymysql.connect(host="127.0.0.1", port=relay.port, user=USER, password=PASSWORD,
                                   database="shop", autocommit=True, local_infile=True)
            with conn.cursor() as cur:
                cur.execute("LOAD DATA LOCAL INFILE %s INTO TABLE products FIELDS TERMINATED BY ','",
                            (data.name,))
                cur.execute("DELETE FROM products WHERE id >= 100")
            conn.close()


def mariadb_cli(relay):
    with relay.recording("mariadb_cli"):
        subprocess.run(
            ["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", str(relay.port), "-u", USER,
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


CONVERSATIONS = [pymysql_queries, mysqlclient_queries, prepared, errors, prepared_errors,
                 transaction, large_result, local_infile, mariadb_cli, big_row]


@contextlib.contextmanager
def serve():
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
        wait_for(lambda: os.path.exists(sock), "mariadbd")
        subprocess.run(["mariadb", "--no-defaults", "-S", sock, "-u", "root", "--delimiter=;;"],
                       input=SETUP.replace(";\n", ";;\n"), text=True, check=True)
        yield port
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(root, ignore_errors=True)
