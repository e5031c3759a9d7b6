"""The HTTP/1.x conversations the golden tests replay: real clients (python
`requests`, curl, raw sockets for pipelining and HTTP/1.0) and a real server
(gunicorn with gthread workers, serving the small WSGI app below). Recorded
by `../../testdata/record.py` (see there), from this directory:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install gunicorn requests
    /tmp/venv/bin/python ../../testdata/record.py http1 [CONVERSATION...]
"""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time

import requests

from record import free_port, listening, wait_for

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


def url(relay):
    return "http://127.0.0.1:%d" % relay.port


def raw(port, payload, read_until_close=True, pause=0.3):
    sock = socket.create_connection(("127.0.0.1", port))
    for part in payload:
        sock.sendall(part)
        time.sleep(pause)
    sock.shutdown(socket.SHUT_WR) if read_until_close else None
    while sock.recv(65536):
        pass
    sock.close()


def keepalive(relay):
    with relay.recording("keepalive"), requests.Session() as session:
        for _ in range(3):
            session.get(url(relay) + "/hello")
        session.get(url(relay) + "/nowhere")
        session.post(url(relay) + "/upload", json={"name": "sonde", "n": 1})
        session.get(
            url(relay) + "/hello?x=1",
            headers={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
        )


def chunked_stream(relay):
    with relay.recording("chunked_stream"), requests.Session() as session:
        session.get(url(relay) + "/stream?5")
        session.get(url(relay) + "/hello")


def chunked_stream_big(relay):
    # Many small chunks that the relay reads many at a time.
    with relay.recording("chunked_stream_big"), requests.Session() as session:
        session.get(url(relay) + "/stream?3000")
        session.get(url(relay) + "/hello")


def no_body(relay):
    with relay.recording("no_body"), requests.Session() as session:
        session.head(url(relay) + "/hello")
        session.get(url(relay) + "/empty")
        session.get(url(relay) + "/etag", headers={"If-None-Match": '"v1"'})
        session.get(url(relay) + "/hello")


def big_upload(relay):
    with relay.recording("big_upload"), requests.Session() as session:
        session.post(url(relay) + "/upload", data=b"u" * (1 << 20))
        session.get(url(relay) + "/hello")


def big_download(relay):
    with relay.recording("big_download"), requests.Session() as session:
        session.get(url(relay) + "/big")
        session.get(url(relay) + "/hello")


def expect_continue(relay):
    with relay.recording("expect_continue"), tempfile.NamedTemporaryFile() as body:
        body.write(b"c" * 200000)
        body.flush()
        subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-H", "Expect: 100-continue",
             "--data-binary", "@" + body.name, url(relay) + "/upload"],
            check=True,
        )


def pipelined(relay):
    with relay.recording("pipelined"):
        raw(relay.port, [
            b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n"
            b"HEAD /hello HTTP/1.1\r\nHost: a\r\n\r\n"
            b"GET /empty HTTP/1.1\r\nHost: a\r\n\r\n"
            b"GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        ], read_until_close=False)


def http10(relay):
    with relay.recording("http10"):
        raw(relay.port, [b"GET /stream?4 HTTP/1.0\r\nHost: a\r\n\r\n"], read_until_close=False)


CONVERSATIONS = [keepalive, chunked_stream, chunked_stream_big, no_body, big_upload, big_download,
                 expect_continue, pipelined, http10]


@contextlib.contextmanager
def serve():
    port = free_port()
    with tempfile.TemporaryDirectory() as app:
        with open(os.path.join(app, "app.py"), "w") as out:
            out.write(APP)
        server = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--worker-class", "gthread",
             "--threads", "4", "--workers", "1", "--bind", "127.0.0.1:%d" % port,
             "--chdir", app, "app:app"],
            env=dict(os.environ, PYTHONPATH=app),
        )
        try:
            wait_for(lambda: listening(port), "gunicorn")
            yield port
        finally:
            server.terminate()
            server.wait()
