"""One JSON line per request in `$SONDE_TEST_QUERY_LOG` (see tests/django/README.md
for the fields): what the tests compare the agent's database spans with."""

import fcntl
import json
import os
import threading

from django.db import connection, reset_queries

from orders import querylog

REQUEST_ID_HEADER = "X-Sonde-Request"


class QueryLogMiddleware:
    """The outermost middleware: it sees every request, and the 500 that Django
    makes of a view's exception."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.path = os.environ["SONDE_TEST_QUERY_LOG"]

    def __call__(self, request):
        reset_queries()
        querylog.reset()
        response = self.get_response(request)
        logged = [entry["sql"] for entry in connection.queries]
        setup = querylog.setup_count() if querylog.connected() else 0
        commands = querylog.redis_commands()
        request_id = request.headers.get(REQUEST_ID_HEADER, "")
        record = {
            "request_id": int(request_id) if request_id.isdigit() else None,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "pid": os.getpid(),
            "thread_id": threading.get_native_id(),
            "driver": connection.Database.__name__,
            "connected": querylog.connected(),
            "setup_sql": logged[:setup],
            "queries": len(logged) - setup,
            "sql": logged[setup:],
            "cache_calls": len(commands),
            "cache_commands": commands,
        }
        self.write(json.dumps(record, separators=(",", ":")) + "\n")
        return response

    def write(self, line):
        """Appends one whole line: O_APPEND, one write under an exclusive lock,
        so lines of several workers and threads never interleave."""
        data = line.encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            while data:
                data = data[os.write(fd, data) :]
        finally:
            os.close(fd)
