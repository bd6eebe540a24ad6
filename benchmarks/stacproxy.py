"""A logging, delaying reverse proxy in front of rustac, so STAC requests land in a JSONL log like COG requests.

    python -m benchmarks.stacproxy --upstream http://127.0.0.1:PORT/ --port P --log FILE.jsonl
        [--delay-ms N] [--connect-delay-ms M]

Prints `READY <port>`. rustac writes no request log and has no latency knob; this proxy adds both, with
the same per-request and per-new-connection delays as the COG server, and rewrites rustac's own base URL
in answers to the proxy's so every link a client follows comes back through here.
"""
from __future__ import annotations

import argparse
import http.client
import time
from pathlib import Path
from urllib.parse import urlsplit

from tests.harness.httpbase import JsonlLog, KeepAliveHandler, serve

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class ProxyHandler(KeepAliveHandler):
    server_version = "StacBenchProxy/1.0"

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        self.requests_on_connection += 1
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        self.begin_record(method=self.command, path=urlsplit(self.path).path, connection=self.connection_id,
                          request_bytes=length)
        try:
            delay = self.server.delay_s + (self.server.connect_delay_s if self.requests_on_connection == 1 else 0)
            if delay:
                time.sleep(delay)
            status, content_type, payload = self._forward(body)
            self.send_bytes(status, payload, content_type)
        except (BrokenPipeError, ConnectionResetError) as exc:
            self.close_connection = True
            self.commit_record(error=type(exc).__name__, bytes=self.sent_bytes())
        finally:
            self.commit_record()

    def _forward(self, body: bytes | None) -> tuple[int, str, bytes]:
        upstream = self.server.upstream
        conn = getattr(self, "_upstream", None)
        if conn is None:
            conn = self._upstream = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
        except (http.client.HTTPException, OSError):  # rustac closed the idle connection: one fresh try
            conn.close()
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
        payload = answer.read()
        own = f"http://127.0.0.1:{self.server.server_address[1]}".encode()
        payload = payload.replace(self.server.upstream_base, own)
        return answer.status, answer.getheader("Content-Type") or "application/json", payload


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", type=Path)
    parser.add_argument("--delay-ms", type=float, default=0)
    parser.add_argument("--connect-delay-ms", type=float, default=0)
    args = parser.parse_args(argv)
    upstream = urlsplit(args.upstream)
    serve(ProxyHandler, args.port, upstream=upstream,
          upstream_base=f"{upstream.scheme}://{upstream.netloc}".encode(), log=JsonlLog(args.log),
          delay_s=args.delay_ms / 1000, connect_delay_s=args.connect_delay_ms / 1000)


if __name__ == "__main__":
    main()
