"""What each request did to the database and the cache, as Django and redis-py
see it: the per-thread state behind `orders.middleware.QueryLogMiddleware`.

- Statements come from `connection.queries` (DEBUG is on). The statements that
  Django itself runs, and logs, while it opens a connection inside a request
  (MySQL: `SET SESSION TRANSACTION ISOLATION LEVEL ...`, and the server-variable
  query on a thread's first connection) are told apart with the
  `connection_created` signal: they are `setup_sql`, not the view's `sql`.
- Cache commands are counted where the cache hands them to redis-py,
  `redis.Redis.execute_command`: one call per command sent to Redis (the
  connection handshake, which redis-py sends itself, is not counted).
"""

import threading

import redis
from django.db import DEFAULT_DB_ALIAS
from django.db.backends.signals import connection_created

_state = threading.local()


def reset():
    """Called at the start of every request, in its thread."""
    _state.connected = False
    _state.setup_count = 0
    _state.redis_commands = []


def connected():
    """Whether Django opened a database connection during this request."""
    return getattr(_state, "connected", False)


def setup_count():
    """How many of this request's logged statements Django ran to set up the
    connection it opened (0 when it opened none)."""
    return getattr(_state, "setup_count", 0)


def redis_commands():
    """The Redis commands this request's cache calls sent, by name."""
    return list(getattr(_state, "redis_commands", []))


def _on_connection_created(sender, connection, **kwargs):
    if connection.alias == DEFAULT_DB_ALIAS:
        _state.connected = True
        # Everything logged so far in this request was part of connect().
        _state.setup_count = len(connection.queries_log)


def install():
    """Hooks the signal and redis-py (once per process)."""
    if getattr(redis.Redis.execute_command, "_sonde_counted", False):
        return
    connection_created.connect(_on_connection_created, dispatch_uid="sonde-querylog")
    original = redis.Redis.execute_command

    def execute_command(self, *args, **options):
        commands = getattr(_state, "redis_commands", None)
        if commands is not None and args:
            name = args[0]
            commands.append(name.decode() if isinstance(name, bytes) else str(name))
        return original(self, *args, **options)

    execute_command._sonde_counted = True
    redis.Redis.execute_command = execute_command
