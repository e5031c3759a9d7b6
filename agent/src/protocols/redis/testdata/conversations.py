"""The Redis conversations the golden tests replay: a real redis-server
(started in a temporary directory on a free loopback port and a unix
socket) driven by real clients (redis-py, with RESP2 and RESP3; redis-cli;
raw sockets for inline commands). Other connections (publishers, a second
client) go to the server directly. Recorded by `../../testdata/record.py`
(see there), from this directory:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install redis
    /tmp/venv/bin/python ../../testdata/record.py redis [CONVERSATION...]
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import redis

from record import free_port, listening, wait_for


def connect(port, **options):
    return redis.Redis(host="127.0.0.1", port=port, protocol=options.pop("protocol", 2), **options)


def basics(relay):
    with relay.recording("basics"):
        r = connect(relay.port)
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


def errors(relay):
    with relay.recording("errors"):
        r = connect(relay.port)
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


def pipeline(relay):
    with relay.recording("pipeline"):
        r = connect(relay.port)
        with r.pipeline(transaction=False) as pipe:
            for i in range(40):
                pipe.set("key:%d" % i, i)
            for i in range(40):
                pipe.get("key:%d" % i)
            pipe.execute()
        r.close()


def multi_exec(relay):
    with relay.recording("multi_exec"):
        r = connect(relay.port)
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


def pubsub(relay):
    with relay.recording("pubsub"):
        r = connect(relay.port)
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


def resp3(relay):
    with relay.recording("resp3"):
        r = connect(relay.port, protocol=3)
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


def resp3_types(relay):
    # Every RESP3 type, as DEBUG PROTOCOL sends them (redis-py reads no
    # attributes): a raw client.
    with relay.recording("resp3_types"):
        kinds = ["string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib",
                 "push", "verbatim", "true", "false"]
        commands = [command("DEBUG", "PROTOCOL", kind) for kind in kinds]
        raw(relay.port, [command("HELLO", "3")] + commands + [command("QUIT")])


def blocking(relay):
    with relay.recording("blocking"):
        r = connect(relay.port)
        other = redis.Redis(host="127.0.0.1", port=SERVER_PORT)
        threading.Timer(0.5, lambda: other.rpush("jobs", "job-1")).start()
        r.blpop(["jobs"], timeout=5)
        r.blpop(["empty"], timeout=1)
        r.close()
        time.sleep(0.1)
        other.close()


def big_value(relay):
    with relay.recording("big_value", big_reads=True):
        r = connect(relay.port)
        r.set("big", b"v" * (4 << 20))
        r.get("big")
        r.strlen("big")
        r.close()


def large_array(relay):
    with relay.recording("large_array"):
        r = connect(relay.port)
        other = redis.Redis(host="127.0.0.1", port=SERVER_PORT)
        other.delete("long")
        other.rpush("long", *["item-%05d" % i for i in range(5000)])
        r.lrange("long", 0, -1)
        r.llen("long")
        r.close()
        other.close()


def redis_cli(relay):
    with relay.recording("redis_cli"):
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(relay.port)],
                       input="PING\nSET greeting hello\nGET greeting\nTYPE greeting\nDBSIZE\n",
                       text=True, check=True, stdout=subprocess.DEVNULL)


def inline(relay):
    with relay.recording("inline"):
        raw(relay.port,
            [b"PING\r\n", b"SET inline value\r\n", b"GET inline\r\n", b"\r\n", b"QUIT\r\n"])


CONVERSATIONS = [basics, errors, pipeline, multi_exec, pubsub, resp3, resp3_types, blocking,
                 large_array, redis_cli, inline, big_value]

# The server's own port, for the connections that are not recorded.
SERVER_PORT = None


@contextlib.contextmanager
def serve():
    global SERVER_PORT
    root = tempfile.mkdtemp()
    SERVER_PORT = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(SERVER_PORT), "--bind", "127.0.0.1",
         "--unixsocket", os.path.join(root, "redis.sock"), "--dir", root,
         "--save", "", "--appendonly", "no", "--enable-debug-command", "local"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: listening(SERVER_PORT), "redis-server")
        yield SERVER_PORT
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(root, ignore_errors=True)
