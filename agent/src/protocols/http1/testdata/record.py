#!/usr/bin/env python3
"""Records the HTTP/1.x conversations the golden tests replay.

Real clients (python `requests`, curl, raw sockets for pipelining and
HTTP/1.0) talk to a real server (gunicorn with gthread workers, serving the
small WSGI app below) through a relay on loopback that logs every recv() of
each direction, as the kernel would see the syscalls. Each connection is
written to `NAME.conv`, one line per recv:

    > TOTAL "DATA" "TAIL"      client to server
    < TOTAL "DATA" "TAIL"      server to client

DATA is what a 4096-byte capture keeps of the TOTAL bytes received, TAIL the
last 64 bytes when TOTAL exceeds the capture (both escaped: \\r \\n \\t \\\\
\\" \\xNN). Usage, from this directory:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install gunicorn requests
    /tmp/venv/bin/python record.py          # then: SONDE_BLESS=1 cargo test -p sonde-agent golden

Recordings differ from run to run only where the server does (dates).
"""

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests

CAPTURE = 4096
TAIL = 64
HERE = os.path.dirname(os.path.abspath(__file__))

APP = r'''
import time

def app(environ, start_response):
    path = environ["PATH_INFO"]
    method = environ["REQUEST_METHOD"]
    if path == "/hello":
        body = b"hello, world\n"
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    if path == "/stream":
        count = int(environ.get("QUERY_STRING") or 3)
        start_response("200 OK", [("Content-Type", "text/plain")])
        def chunks():
            for i in range(count):
                yield (b"line %d " % i) + b"x" * 40 + b"\n"
        return chunks()
    if path == "/upload":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        received = 0
        while received < length:
            data = environ["wsgi.input"].read(min(65536, length - received))
            if not data:
                break
            received += len(data)
        body = b"received %d\n" % received
        start_response("201 Created", [("Content-Length", str(len(body)))])
        return [body]
    if path == "/big":
        body = b"b" * 300000
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]
    if path == "/empty":
        start_response("204 No Content", [])
        return []
    if path == "/etag":
        if environ.get("HTTP_IF_NONE_MATCH") == '"v1"':
            start_response("304 Not Modified", [("ETag", '"v1"')])
            return []
        body = b"versioned\n"
        start_response("200 OK", [("ETag", '"v1"'), ("Content-Length", str(len(body)))])
        return [body]
    body = b"not found\n"
    start_response("404 Not Found", [("Content-Length", str(len(body)))])
    return [body]
'''


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
        self.done = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            client, _ = self.listener.accept()
            name = self.name
            self.done.clear()
            threading.Thread(target=self.connection, args=(client, name), daemon=True).start()

    def connection(self, client, name):
        server = socket.create_connection(("127.0.0.1", self.upstream))
        records = []
        lock = threading.Lock()

        def pump(src, dst, arrow):
            while True:
                try:
                    data = src.recv(65536)
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

    def record(self, name, conversation):
        self.name = name
        conversation("http://127.0.0.1:%d" % self.port, self.port)
        if not self.done.wait(10):
            sys.exit("connection %s did not end" % name)
        time.sleep(0.1)


def raw(port, payload, read_until_close=True, pause=0.3):
    sock = socket.create_connection(("127.0.0.1", port))
    for part in payload:
        sock.sendall(part)
        time.sleep(pause)
    sock.shutdown(socket.SHUT_WR) if read_until_close else None
    while sock.recv(65536):
        pass
    sock.close()


def keepalive(url, port):
    with requests.Session() as session:
        for _ in range(3):
            session.get(url + "/hello")
        session.get(url + "/nowhere")
        session.post(url + "/upload", json={"name": "sonde", "n": 1})
        session.get(
            url + "/hello?x=1",
            headers={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
        )


def chunked_stream(url, port):
    with requests.Session() as session:
        session.get(url + "/stream?5")
        session.get(url + "/hello")


def chunked_stream_big(url, port):
    # Many small chunks that the relay reads many at a time.
    with requests.Session() as session:
        session.get(url + "/stream?3000")
        session.get(url + "/hello")


def no_body(url, port):
    with requests.Session() as session:
        session.head(url + "/hello")
        session.get(url + "/empty")
        session.get(url + "/etag", headers={"If-None-Match": '"v1"'})
        session.get(url + "/hello")


def big_upload(url, port):
    with requests.Session() as session:
        session.post(url + "/upload", data=b"u" * (1 << 20))
        session.get(url + "/hello")


def big_download(url, port):
    with requests.Session() as session:
        session.get(url + "/big")
        session.get(url + "/hello")


def expect_continue(url, port):
    with tempfile.NamedTemporaryFile() as body:
        body.write(b"c" * 200000)
        body.flush()
        subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-H", "Expect: 100-continue",
             "--data-binary", "@" + body.name, url + "/upload"],
            check=True,
        )


def pipelined(url, port):
    raw(port, [
        b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n"
        b"HEAD /hello HTTP/1.1\r\nHost: a\r\n\r\n"
        b"GET /empty HTTP/1.1\r\nHost: a\r\n\r\n"
        b"GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    ], read_until_close=False)


def http10(url, port):
    raw(port, [b"GET /stream?4 HTTP/1.0\r\nHost: a\r\n\r\n"], read_until_close=False)


def main():
    port = free_port()
    server = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--worker-class", "gthread",
         "--threads", "4", "--workers", "1", "--bind", "127.0.0.1:%d" % port,
         "--chdir", tempfile.mkdtemp(), "app:app"],
        cwd=None,
        env=dict(os.environ, PYTHONPATH=write_app()),
    )
    try:
        wait_for(port)
        relay = Relay(port)
        for conversation in [keepalive, chunked_stream, chunked_stream_big, no_body, big_upload,
                             big_download, expect_continue, pipelined, http10]:
            relay.record(conversation.__name__, conversation)
    finally:
        server.terminate()
        server.wait()


def write_app():
    directory = tempfile.mkdtemp()
    with open(os.path.join(directory, "app.py"), "w") as out:
        out.write(APP)
    return directory


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
    sys.exit("gunicorn did not start")


if __name__ == "__main__":
    main()
