"""Shared plumbing for the test servers: a JSONL request log, a keep-alive handler base, run-until-SIGTERM.

Each server is a real process. It prints `READY <port>` on stdout once it listens, so the
parent (tests.harness.servers) knows the port, and it exits cleanly on SIGTERM.
"""

from __future__ import annotations

import itertools
import json
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class JsonlLog:
    """Append one JSON object per line, flushed at once, from any thread."""

    def __init__(self, path: str | Path | None):
        self._lock = threading.Lock()
        self._path = Path(path) if path else None

    def write(self, record: dict[str, Any]) -> None:
        if self._path is None:
            return
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self._lock:
            # Open per write so a test may truncate the file between requests.
            with self._path.open("a", encoding="utf-8") as f:
                f.write(line)
                f.flush()


_connection_ids = itertools.count(1)


class KeepAliveHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 handler: one instance per connection, every answer carries Content-Length.

    A subclass puts the request's log record in `self.record` when the request starts. The record
    is written just before the answer's last byte (or before the headers when there is no body),
    so a client that has its complete answer always finds the request in the log.
    """

    protocol_version = "HTTP/1.1"
    server_version = "StacQuicklookTestServer/1.0"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # As production servers do (nginx's tcp_nodelay, on by default): every write goes out at once. Without it
        # an answer's last byte, written after its log record, waits for the client's delayed ACK of the bytes
        # before it (Nagle's algorithm): 40 ms on every answer of a kept-alive connection after its first few.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connection_id = next(_connection_ids)
        self.requests_on_connection = 0
        self.record: dict[str, Any] | None = None
        self._status, self._left, self._sent = 0, 0, 0

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # the JSONL log is the record; stderr stays quiet

    def begin_record(self, **fields: Any) -> None:
        self.record = {"t_start": time.time(), **fields, "status": None, "bytes": 0}
        self._status, self._left, self._sent = 0, 0, 0

    def commit_record(self, **fields: Any) -> None:
        """Write the pending record (once) with t_end = now."""
        if self.record is None:
            return
        if self._status:
            self.record.update(status=self._status, bytes=self._sent + self._left)
        self.record.update(fields, t_end=time.time())
        self.server.log.write(self.record)
        self.record = None

    def start_answer(self, status: int, content_type: str, length: int, headers: dict[str, str] | None = None) -> None:
        """Status line and headers; then `write_body` exactly `length` bytes (none for HEAD)."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self._status, self._sent = status, 0
        self._left = 0 if self.command == "HEAD" else length
        if self._left == 0:
            self.commit_record()
        self.end_headers()

    def write_body(self, data: bytes) -> None:
        if not data:
            return
        if len(data) < self._left:
            self.wfile.write(data)
            self._sent += len(data)
            self._left -= len(data)
            return
        self.wfile.write(data[:-1])
        self.wfile.flush()
        self._sent += len(data) - 1
        self._left = 1
        self.commit_record()
        self.wfile.write(data[-1:])
        self._sent, self._left = self._sent + 1, 0

    def sent_bytes(self) -> int:
        return self._sent

    def send_bytes(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> int:
        """Send a complete answer; returns its status."""
        self.start_answer(status, content_type, len(body), headers)
        if self.command != "HEAD":
            self.write_body(body)
        return status

    def send_json(self, status: int, obj: Any, content_type: str = "application/json; charset=utf-8",
                  headers: dict[str, str] | None = None) -> int:
        return self.send_bytes(status, json.dumps(obj).encode(), content_type, headers)


def serve(handler_cls: type[BaseHTTPRequestHandler], port: int, **server_attrs: Any) -> None:
    """Listen on 127.0.0.1:port (0 = free port), print READY <port>, serve until SIGTERM/SIGINT."""
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler_cls)
    httpd.daemon_threads = True
    for name, value in server_attrs.items():
        setattr(httpd, name, value)

    def stop(signum: int, frame: Any) -> None:
        # shutdown() blocks until serve_forever returns, so it cannot run on the serving thread.
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"READY {httpd.server_address[1]}", flush=True)
    try:
        httpd.serve_forever(poll_interval=0.1)
    finally:
        httpd.server_close()
        sys.stdout.flush()
