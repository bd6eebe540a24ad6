"""Two small servers for real-world access tests, run as processes:

- ``token``: a SAS token endpoint shaped like Planetary Computer's ``/api/sas/v1/token/{account}/{container}``
  (``{"msft:expiry": ..., "token": "st=..&se=..&sp=rl&sv=..&sr=c&skoid=..&sig=.."}``, see
  tests/fixtures/COG_LAYOUT.md); ``--lifetime-s`` sets how long a token lives.
- ``proxy``: a forward HTTP proxy (absolute-URI requests, Range passed through) that logs what went
  through it; ``--require-auth user:pass`` answers 407 without those Proxy-Authorization credentials.

``python -m tests.harness.netservers token|proxy --log FILE [--port 0] ...`` prints ``READY <port>``.
"""
from __future__ import annotations

import argparse
import base64
import http.client
import itertools
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

from tests.harness.httpbase import JsonlLog, KeepAliveHandler, serve

_serial = itertools.count(1)
TOKEN_PATH = re.compile(r"^/api/sas/v1/token/([^/]+)/([^/?]+)$")


class TokenHandler(KeepAliveHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.begin_record(method="GET", path=self.path)
        m = TOKEN_PATH.match(urlsplit(self.path).path)
        if not m:
            self.send_json(404, {"detail": "Not Found"})
            return
        account, container = m.groups()
        expiry = datetime.now(timezone.utc) + timedelta(seconds=self.server.lifetime_s)
        n = next(_serial)
        token = (f"st={datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ}&se={expiry:%Y-%m-%dT%H:%M:%SZ}"
                 f"&sp=rl&sv=2021-06-08&sr=c&skoid=test{n}&sig=SECRETSIG{n}%3D")
        self.send_json(200, {"msft:expiry": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"), "token": token},
                       headers={"X-Account": account, "X-Container": container})


class ProxyHandler(KeepAliveHandler):
    """Forward proxy for http:// URLs. One upstream connection per request; keep-alive to the client."""

    def _forward(self) -> None:
        self.begin_record(method=self.command, url=self.path, range=self.headers.get("Range"))
        need = self.server.require_auth
        if need:
            want = "Basic " + base64.b64encode(need.encode()).decode()
            if self.headers.get("Proxy-Authorization") != want:
                self.send_bytes(407, b"proxy authentication required", "text/plain",
                                {"Proxy-Authenticate": 'Basic realm="test"'})
                return
        target = urlsplit(self.path)
        if target.scheme != "http" or not target.hostname:
            self.send_bytes(400, b"only absolute http:// URLs", "text/plain")
            return
        body = None
        if self.headers.get("Content-Length"):
            body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("proxy-authorization", "proxy-connection", "connection", "host")}
        conn = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=30)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            conn.request(self.command, path or "/", body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
        except OSError as exc:
            self.send_bytes(502, f"upstream failed: {exc}".encode(), "text/plain")
            return
        finally:
            conn.close()
        passed = {k: v for k, v in answer.getheaders()
                  if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-type",
                                       "keep-alive")}
        self.start_answer(answer.status, answer.getheader("Content-Type", "application/octet-stream"),
                          int(answer.getheader("Content-Length") or len(data)) if self.command == "HEAD"
                          else len(data), passed)
        if self.command != "HEAD":
            self.write_body(data)

    do_GET = do_POST = do_HEAD = _forward


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("token", "proxy"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", type=Path)
    parser.add_argument("--lifetime-s", type=float, default=3600)
    parser.add_argument("--require-auth", default=None)
    args = parser.parse_args(argv)
    handler = TokenHandler if args.kind == "token" else ProxyHandler
    serve(handler, args.port, log=JsonlLog(args.log), lifetime_s=args.lifetime_s, require_auth=args.require_auth)


if __name__ == "__main__":
    main()
