#!/usr/bin/env python3
"""Records the Redis conversations the golden tests replay.

A real redis-server (started here in a temporary directory on a free
loopback port and a unix socket) is driven by real clients (redis-py, with
RESP2 and RESP3; redis-cli; raw sockets for inline commands) through a relay
on loopback that logs every recv() of each direction, as the kernel would
see the syscalls. Other connections (publishers, a second client) go to the
server directly. Each recorded connection is written to `NAME.conv`, one
line per recv:

    > TOTAL "DATA" "TAIL"      client to server
    < TOTAL "DATA" "TAIL"      server to client

DATA is what a 4096-byte capture keeps of the TOTAL bytes received, TAIL the
last 64 bytes when TOTAL exceeds the capture (both escaped: \\r \\n \\t \\\\
\\" \\xNN). Usage, from this directory:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install redis
    /tmp/venv/bin/python record.py   # then: SONDE_BLESS=1 cargo test -p sonde-agent redis::golden

Recordings differ from run to run where the server does (ids, times).
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import redis

CAPTURE = 4096
TAIL = 64
HERE = os.path.dirname(os.path.abspath(__file__))


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


def connect(port, **options):
    return redis.Redis(host="127.0.0.1", port=port, protocol=options.pop("protocol", 2), **options)


def basics(port):
    r = connect(port)
    r.set("user:1:name", "alice")
    r.get("user:1:name")
    r.get("missing")
    r.incr("counter")
    r.hset("user:1", mapping={"name": "alice", "age": "30"})
    r.hgetall("user:1")
    r.rpush("list", "a", "b", "c")
    r.lrange("list", 0, -1)
    r.exists("user:1", "missing")
    r.client_setname("worker-1")
    r.config_get("maxmemory")
    r.object("encoding", "list")
    r.delete("user:1:name", "counter")
    r.close()


def errors(port):
    r = connect(port)
    r.set("s", "text")
    for call in [lambda: r.lpush("s", "x"), lambda: r.execute_command("NOSUCHCOMMAND", "a"),
                 lambda: r.evalsha("0" * 40, 0),
                 lambda: r.incr("s")]:
        try:
            call()
        except redis.RedisError:
            pass
    r.ping()
    r.close()


def pipeline(port):
    r = connect(port)
    with r.pipeline(transaction=False) as pipe:
        for i in range(40):
            pipe.set("key:%d" % i, i)
        for i in range(40):
            pipe.get("key:%d" % i)
        pipe.execute()
    r.close()


def multi_exec(port):
    r = connect(port)
    with r.pipeline(transaction=True) as pipe:
        pipe.set("balance", 10)
        pipe.incrby("balance", 5)
        pipe.lpush("balance", "x")  # WRONGTYPE inside EXEC's array
        pipe.get("balance")
        try:
            pipe.execute()
        except redis.RedisError:
            pass
    r.execute_command("MULTI")
    r.execute_command("SET", "a", "1")
    r.execute_command("DISCARD")
    r.close()


def pubsub(port):
    r = connect(port)
    publisher = redis.Redis(host="127.0.0.1", port=SERVER_PORT)
    p = r.pubsub()
    p.subscribe("news", "alerts")
    p.psubscribe("sport.*")
    p.get_message(timeout=1)
    p.get_message(timeout=1)
    p.get_message(timeout=1)
    publisher.publish("news", "hello")
    publisher.publish("sport.tennis", "match")
    p.get_message(timeout=1)
    p.get_message(timeout=1)
    p.ping()
    p.get_message(timeout=1)
    p.unsubscribe()
    p.punsubscribe()
    time.sleep(0.2)
    while p.get_message(timeout=0.2):
        pass
    p.close()
    r.close()
    publisher.close()


def resp3(port):
    r = connect(port, protocol=3)
    other = redis.Redis(host="127.0.0.1", port=SERVER_PORT)
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.hgetall("h")
    r.sadd("set", "x", "y")
    r.smembers("set")
    r.zadd("z", {"m": 1.5})
    r.zscore("z", "m")
    r.get("missing")
    r.execute_command("CLIENT", "TRACKING", "ON")
    r.get("tracked")
    other.set("tracked", "changed")  # an invalidation push follows
    time.sleep(0.2)
    r.ping()
    p = r.pubsub()
    p.subscribe("news")
    p.get_message(timeout=1)
    other.publish("news", "pushed")
    p.get_message(timeout=1)
    p.unsubscribe("news")
    p.get_message(timeout=1)
    p.close()
    r.close()
    other.close()


def command(*words):
    out = b"*%d\r\n" % len(words)
    for word in words:
        word = word.encode() if isinstance(word, str) else word
        out += b"$%d\r\n%s\r\n" % (len(word), word)
    return out


def raw(port, commands, pause=0.1):
    sock = socket.create_connection(("127.0.0.1", port))
    for request in commands:
        sock.sendall(request)
        time.sleep(pause)
    sock.shutdown(socket.SHUT_WR)
    while sock.recv(65536):
        pass
    sock.close()


def resp3_types(port):
    # Every RESP3 type, as DEBUG PROTOCOL sends them (redis-py reads no
    # attributes): a raw client.
    kinds = ["string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib",
             "push", "verbatim", "true", "false"]
    raw(port, [command("HELLO", "3")] + [command("DEBUG", "PROTOCOL", kind) for kind in kinds]
        + [command("QUIT")])


def blocking(port):
    r = connect(port)
    other = redis.Redis(host="127.0.0.1", port=SERVER_PORT)
    threading.Timer(0.5, lambda: other.rpush("jobs", "job-1")).start()
    r.blpop(["jobs"], timeout=5)
    r.blpop(["empty"], timeout=1)
    r.close()
    time.sleep(0.1)
    other.close()


def big_value(port):
    r = connect(port)
    r.set("big", b"v" * (4 << 20))
    r.get("big")
    r.strlen("big")
    r.close()


def large_array(port):
    r = connect(port)
    other = redis.Redis(host="127.0.0.1", port=SERVER_PORT)
    other.delete("long")
    other.rpush("long", *["item-%05d" % i for i in range(5000)])
    r.lrange("long", 0, -1)
    r.llen("long")
    r.close()
    other.close()


def redis_cli(port):
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port)],
                   input="PING\nSET greeting hello\nGET greeting\nTYPE greeting\nDBSIZE\n",
                   text=True, check=True, stdout=subprocess.DEVNULL)


def inline(port):
    raw(port, [b"PING\r\n", b"SET inline value\r\n", b"GET inline\r\n", b"\r\n", b"QUIT\r\n"])


SERVER_PORT = None


def main():
    global SERVER_PORT
    root = tempfile.mkdtemp()
    port = free_port()
    SERVER_PORT = port
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
         "--unixsocket", os.path.join(root, "redis.sock"), "--dir", root,
         "--save", "", "--appendonly", "no", "--enable-debug-command", "local"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for(port)
        relay = Relay(port)
        for conversation in [basics, errors, pipeline, multi_exec, pubsub, resp3, resp3_types, blocking,
                             large_array, redis_cli, inline]:
            relay.record(conversation)
        relay.record(big_value, recv_size=1 << 20)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(root, ignore_errors=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port):
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("redis-server did not start")


if __name__ == "__main__":
    main()
