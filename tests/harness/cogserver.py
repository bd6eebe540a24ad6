"""A static file server for COGs that behaves like an object store, with faults on demand.

    python -m tests.harness.cogserver --root DIR [--port 0] --log FILE.jsonl
        [--delay-ms N] [--connect-delay-ms M] [--max-body-bytes B]

Prints `READY <port>`. HTTP/1.1 keep-alive, byte ranges (single, multi -> multipart/byteranges,
suffix, 416), HEAD, ETag/Last-Modified. Every request is one JSON line in the log.

Faults: `/_fault/<mode>/<relpath>` with mode one of FAULT_MODES (see `_fault_answer`).
`--max-body-bytes` refuses (400, S3-style XML) any answer whose body would exceed B bytes,
so a test can prove a client never fetches a whole file.
"""

from __future__ import annotations

import argparse
import email.utils
import mimetypes
import re
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.harness.httpbase import JsonlLog, KeepAliveHandler, serve

FAULT_MODES = ("403", "404", "500", "truncated", "html", "ignore-range", "trickle", "slow")
TRICKLE_CHUNK = 1024
TRICKLE_PAUSE_S = 0.1
SLOW_S = 2.0

_RANGE_RE = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


def parse_range(header: str, size: int) -> list[tuple[int, int]] | None:
    """Byte ranges as inclusive (start, end) pairs clamped to the file.

    None means "ignore the header, send the whole file" (absent or malformed, as RFC 9110 allows);
    an empty list means unsatisfiable (416).
    """
    if not header or not header.strip().lower().startswith("bytes="):
        return None
    ranges = []
    for spec in header.split("=", 1)[1].split(","):
        m = _RANGE_RE.match(spec)
        if not m or (m.group(1) == "" and m.group(2) == ""):
            return None
        first, last = m.group(1), m.group(2)
        if first == "":  # suffix range: the last N bytes
            n = int(last)
            if n > 0 and size > 0:
                ranges.append((max(0, size - n), size - 1))
            continue
        start = int(first)
        end = int(last) if last else size - 1
        if last and end < start:
            return None
        if start < size:
            ranges.append((start, min(end, size - 1)))
    return ranges


def _s3_error(code: str, message: str, key: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message><Key>{key}</Key>"
        "<RequestId>TESTREQUEST0001</RequestId><HostId>test-host-id</HostId></Error>"
    ).encode()


class CogHandler(KeepAliveHandler):
    server_version = "AmazonS3"

    # --- request entry points -------------------------------------------------------------
    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def _handle(self) -> None:
        self.requests_on_connection += 1
        url = urlsplit(self.path)
        self.begin_record(
            method=self.command, path=unquote(url.path), query=url.query, range=self.headers.get("Range"),
            connection=self.connection_id, authorization="Authorization" in self.headers,
        )
        try:
            delay = self.server.delay_s
            if self.requests_on_connection == 1:
                delay += self.server.connect_delay_s
            if delay:
                time.sleep(delay)
            self._answer(unquote(url.path))
        except (BrokenPipeError, ConnectionResetError) as exc:
            self.close_connection = True
            self.commit_record(error=type(exc).__name__, bytes=self.sent_bytes())
        finally:
            self.commit_record()

    # --- answers ------------------------------------------------------------------------
    def _answer(self, path: str) -> int:
        fault = None
        if path.startswith("/_fault/"):
            parts = path.split("/", 3)
            if len(parts) < 4 or parts[2] not in FAULT_MODES:
                return self.send_bytes(400, _s3_error("InvalidArgument", "Unknown fault mode", path), "application/xml")
            fault, path = parts[2], "/" + parts[3]
        file = self._resolve(path)
        if file is None:
            return self.send_bytes(404, _s3_error("NoSuchKey", "The specified key does not exist.", path.lstrip("/")), "application/xml")
        if fault:
            answered = self._fault_answer(fault, path, file)
            if answered:
                return answered
        return self._send_file(file, fault)

    def _resolve(self, path: str) -> Path | None:
        root: Path = self.server.root
        candidate = (root / path.lstrip("/")).resolve()
        if root not in candidate.parents or not candidate.is_file():
            return None
        return candidate

    def _fault_answer(self, fault: str, path: str, file: Path) -> int | None:
        """Answer the faults that replace the file; None for those that only change how it is sent."""
        key = path.lstrip("/")
        if fault == "403":
            return self.send_bytes(403, _s3_error("AccessDenied", "Access Denied", key), "application/xml")
        if fault == "404":
            return self.send_bytes(404, _s3_error("NoSuchKey", "The specified key does not exist.", key), "application/xml")
        if fault == "500":
            return self.send_bytes(500, _s3_error("InternalError", "We encountered an internal error. Please try again.", key), "application/xml")
        if fault == "html":
            page = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Please sign in</h1></body></html>"
            return self.send_bytes(200, page, "text/html; charset=utf-8")
        if fault == "slow":
            time.sleep(SLOW_S)
        return None

    def _send_file(self, file: Path, fault: str | None) -> int:
        stat = file.stat()
        size = stat.st_size // 2 if fault == "truncated" else stat.st_size
        headers = {
            "Accept-Ranges": "bytes",
            "ETag": f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"',
            "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
        }
        ranges = None if fault == "ignore-range" else parse_range(self.headers.get("Range", ""), size)
        if ranges is not None and not ranges:
            headers["Content-Range"] = f"bytes */{size}"
            return self.send_bytes(416, _s3_error("InvalidRange", "The requested range is not satisfiable", file.name), "application/xml", headers)
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if ranges is None:
            status, parts = 200, [(0, size - 1)]
        else:
            status, parts = 206, ranges
        if len(parts) == 1:
            start, end = parts[0]
            length = end - start + 1
            if status == 206:
                headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            pieces = [(None, start, length)]
        else:
            boundary = "COGSERVERBOUNDARY"
            content_type = f"multipart/byteranges; boundary={boundary}"
            pieces = []
            for start, end in parts:
                head = (f"\r\n--{boundary}\r\nContent-Type: {mimetypes.guess_type(file.name)[0] or 'application/octet-stream'}\r\n"
                        f"Content-Range: bytes {start}-{end}/{size}\r\n\r\n").encode()
                pieces.append((head, start, end - start + 1))
            pieces.append((f"\r\n--{boundary}--\r\n".encode(), 0, 0))
            length = sum(len(h or b"") + n for h, _, n in pieces)
        limit = self.server.max_body_bytes
        if limit is not None and length > limit and self.command == "GET":
            msg = f"Answer of {length} bytes exceeds --max-body-bytes {limit}"
            return self.send_bytes(400, _s3_error("RequestTooLarge", msg, file.name), "application/xml")
        self.start_answer(status, content_type, length, headers)
        if self.command != "HEAD":
            self._write_pieces(file, pieces, trickle=(fault == "trickle"))
        return status

    def _write_pieces(self, file: Path, pieces: list[tuple[bytes | None, int, int]], trickle: bool) -> None:
        chunk = TRICKLE_CHUNK if trickle else 1 << 20
        with file.open("rb") as f:
            for head, start, n in pieces:
                self.write_body(head or b"")
                f.seek(start)
                while n > 0:
                    data = f.read(min(chunk, n))
                    if not data:
                        break
                    self.write_body(data)
                    self.wfile.flush()
                    n -= len(data)
                    if trickle and n > 0:
                        time.sleep(TRICKLE_PAUSE_S)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", type=Path)
    parser.add_argument("--delay-ms", type=float, default=0)
    parser.add_argument("--connect-delay-ms", type=float, default=0)
    parser.add_argument("--max-body-bytes", type=int)
    args = parser.parse_args(argv)
    serve(
        CogHandler, args.port,
        root=args.root.resolve(), log=JsonlLog(args.log), delay_s=args.delay_ms / 1000,
        connect_delay_s=args.connect_delay_ms / 1000, max_body_bytes=args.max_body_bytes,
    )


if __name__ == "__main__":
    main()
