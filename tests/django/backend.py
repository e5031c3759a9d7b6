"""The service /call-backend calls: a plain WSGI app, no framework.

GET /orders/<n> answers a small JSON document; anything else is 404.
"""

import json


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    parts = path.strip("/").split("/")
    if environ["REQUEST_METHOD"] == "GET" and len(parts) == 2 and parts[0] == "orders":
        body = json.dumps({"order": parts[1], "status": "shipped"}).encode()
        status = "200 OK"
    else:
        body = b"not found\n"
        status = "404 Not Found"
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response(status, headers)
    return [body]
