#!/usr/bin/env python3
"""Records the conversations the parsers' golden tests replay.

    python3 record.py PARSER [CONVERSATION...]

PARSER is a parser's directory next to this one (http1, postgres, mysql,
redis). Its `testdata/conversations.py` starts a real server and drives real
clients through a relay on loopback that logs every recv() of each
direction, as the kernel would see the syscalls. Each recorded connection is
written to `PARSER/testdata/NAME.conv`, one line per recv:

    > TOTAL "DATA" "TAIL"      client to server
    < TOTAL "DATA" "TAIL"      server to client

DATA is what a 4096-byte capture keeps of the TOTAL bytes received, TAIL the
last 64 bytes when TOTAL exceeds the capture (both escaped: \\r \\n \\t \\\\
\\" \\xNN). Without CONVERSATION, every conversation is recorded. Then
`SONDE_BLESS=1 cargo test -p sonde-agent PARSER::golden` rewrites the
expected files: review the diff. Recordings differ from run to run where
the server does (dates, ids, nonces). The server and the client libraries
each parser's recordings need are named at the top of its
`conversations.py`.

A `conversations.py` defines:

- `serve()`: a context manager that starts the server, yields its port,
  and stops it;
- `CONVERSATIONS`: functions `conversation(relay)`, each opening its
  connections to `relay.port` inside `with relay.recording(NAME, ...)`.
"""

import contextlib
import importlib.util
import os
import queue
import socket
import sys
import threading
import time

CAPTURE = 4096
TAIL = 64
PROTOCOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIG_READ = 1 << 20


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
    """Accepts on `port`, relays to `upstream`; records the connections
    named by `recording()`, in accept order, to DIRECTORY/NAME.conv (the
    others are relayed only)."""

    def __init__(self, upstream, directory):
        self.upstream = upstream
        self.directory = directory
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.names = queue.Queue()
        self.finished = queue.Queue()
        threading.Thread(target=self.serve, daemon=True).start()

    @contextlib.contextmanager
    def recording(self, *names, big_reads=False):
        """The next connections accepted are recorded as `names`; waits for
        them to end. `big_reads`: each recv() waits a little and reads up to
        1 MiB, like a reader with a big buffer, so that large transfers come
        in recvs only partly captured (and the recordings stay small)."""
        for name in names:
            self.names.put((name, big_reads))
        yield
        for _ in names:
            try:
                self.finished.get(timeout=20)
            except queue.Empty:
                sys.exit("a connection of %s did not end" % ", ".join(names))
        time.sleep(0.1)

    def serve(self):
        while True:
            client, _ = self.listener.accept()
            try:
                name, big_reads = self.names.get_nowait()
            except queue.Empty:
                name, big_reads = None, False
            args = (client, name, big_reads)
            threading.Thread(target=self.connection, args=args, daemon=True).start()

    def connection(self, client, name, big_reads):
        server = socket.create_connection(("127.0.0.1", self.upstream))
        recv_size = BIG_READ if big_reads else 65536
        if big_reads:
            for sock in (client, server):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BIG_READ)
        records = []
        lock = threading.Lock()

        def pump(src, dst, arrow):
            while True:
                if big_reads:
                    time.sleep(0.02)  # let writes pile up into big reads
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
        if name is None:
            return
        with open(os.path.join(self.directory, name + ".conv"), "w") as out:
            out.write("# recorded by record.py: %s\n" % name)
            for arrow, data in records:
                tail = data[-TAIL:] if len(data) > CAPTURE else b""
                out.write("%s %d %s %s\n" % (arrow, len(data), escape(data[:CAPTURE]), escape(tail)))
        self.finished.put(name)


# --- Helpers for the conversations. ---


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(ready, what):
    """Waits up to 30 s for `ready()` to be true, or exits: `what` did not
    start."""
    for _ in range(300):
        if ready():
            return
        time.sleep(0.1)
    sys.exit("%s did not start" % what)


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port)).close()
        return True
    except OSError:
        return False


def main():
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__)
    parser, only = sys.argv[1], sys.argv[2:]
    directory = os.path.join(PROTOCOLS, parser, "testdata")
    path = os.path.join(directory, "conversations.py")
    if not os.path.isfile(path):
        sys.exit("no %s" % path)
    # The conversations import their helpers from this module, as `record`;
    # no __pycache__ is left next to the recordings.
    sys.modules.setdefault("record", sys.modules[__name__])
    sys.dont_write_bytecode = True
    spec = importlib.util.spec_from_file_location("conversations", path)
    conversations = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conversations)
    names = [conversation.__name__ for conversation in conversations.CONVERSATIONS]
    unknown = sorted(set(only) - set(names))
    if unknown:
        sys.exit("no conversation %s: the conversations are %s" % (", ".join(unknown), ", ".join(names)))
    with conversations.serve() as port:
        relay = Relay(port, directory)
        for conversation in conversations.CONVERSATIONS:
            if not only or conversation.__name__ in only:
                print(conversation.__name__, flush=True)
                conversation(relay)


if __name__ == "__main__":
    main()
