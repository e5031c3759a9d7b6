"""The views the HTTP acceptance tests drive (see tests/tests/http/main.rs)."""

import itertools
import os
import time

import requests
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

# How many chunks /stream sends, and the size of each.
STREAM_CHUNKS = 8
STREAM_CHUNK = b"0123456789abcdef" * 64 + b"\n"

_order_ids = itertools.count(1)


def hello(request):
    """The fast 200."""
    return HttpResponse(b"hello\n", content_type="text/plain")


def slow(request):
    """200 after 50 ms."""
    time.sleep(0.050)
    return HttpResponse(b"slow\n", content_type="text/plain")


def error(request):
    """Raises: Django answers 500."""
    raise RuntimeError("the /error view always fails")


def item(request, id):
    """An id in the path; item 0 does not exist (a view raising Http404)."""
    if id == 0:
        raise Http404("no item 0")
    return JsonResponse({"id": id, "name": f"item {id}"})


@csrf_exempt
@require_POST
def upload(request):
    """Reads the whole body as a stream and answers its size in bytes (GET: 405)."""
    size = 0
    while chunk := request.read(64 * 1024):
        size += len(chunk)
    return HttpResponse(f"{size}\n".encode(), content_type="text/plain")


def stream(request):
    """A streaming response: no Content-Length, so HTTP/1.1 clients get it chunked."""

    def chunks():
        for _ in range(STREAM_CHUNKS):
            yield STREAM_CHUNK

    return StreamingHttpResponse(chunks(), content_type="text/plain")


def call_backend(request):
    """Calls the backend at $BACKEND_URL with requests (a new connection each time)."""
    base = os.environ["BACKEND_URL"].rstrip("/")
    order = next(_order_ids)
    reply = requests.get(f"{base}/orders/{order}", params={"from": "shop"}, timeout=10)
    status = 200 if reply.status_code == 200 else 502
    body = f"backend answered {reply.status_code} with {len(reply.content)} bytes\n"
    return HttpResponse(body.encode(), status=status, content_type="text/plain")
