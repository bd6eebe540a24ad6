"""Deadlines for a whole answer, not for each socket read: every connection a request uses is known to its
``Exchange``, so a caller watching the clock can shut those sockets when the answer runs past its deadline
(or the user cancels), and the body is read as it arrives, one socket read at a time, counting the bytes
sent. The JSON client (``net.http``) stands on it."""
from __future__ import annotations

import socket
import threading
import time
import zlib
from typing import Any, Iterator, Optional

import requests
from requests.adapters import HTTPAdapter

READ_CHUNK = 65536


class Exchange:
    """One request in flight: when it started, what has arrived, and the sockets to shut to end it."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.response: Optional[requests.Response] = None
        self.received = 0  # body bytes as sent (before gzip decoding)
        self.aborted = False
        self.connections: list[Any] = []

    def abort(self) -> None:
        self.aborted = True
        for conn in list(self.connections):
            sock = getattr(conn, "sock", None)
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the helper thread blocked in recv()
            except OSError:
                pass


tracking = threading.local()  # the exchange the current thread's request belongs to


class _TrackedConnection:
    """Mixed into urllib3's connection classes: a connection used by an exchange is known to it."""

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        _track(self)
        return super().connect(*args, **kwargs)  # type: ignore[misc]

    def putrequest(self, *args: Any, **kwargs: Any) -> Any:  # also for a reused keep-alive connection
        _track(self)
        return super().putrequest(*args, **kwargs)  # type: ignore[misc]


def _track(conn: Any) -> None:
    exchange = getattr(tracking, "exchange", None)
    if exchange is not None and conn not in exchange.connections:
        exchange.connections.append(conn)


_tracked_pools: dict[type, type] = {}
_tracked_lock = threading.Lock()


def _tracked_pool(pool_cls: type) -> type:
    with _tracked_lock:
        if pool_cls in _tracked_pools.values():
            return pool_cls
        if pool_cls not in _tracked_pools:
            base: type = pool_cls.ConnectionCls  # type: ignore[attr-defined]  # urllib3's pools have it
            conn_cls = type(f"Tracked{base.__name__}", (_TrackedConnection, base), {})
            _tracked_pools[pool_cls] = type(f"Tracked{pool_cls.__name__}", (pool_cls,), {"ConnectionCls": conn_cls})
        return _tracked_pools[pool_cls]


class TrackingAdapter(HTTPAdapter):
    """requests' adapter whose pools (direct, HTTP and SOCKS proxies) make tracked connections."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            k: _tracked_pool(v) for k, v in self.poolmanager.pool_classes_by_scheme.items()}

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = {k: _tracked_pool(v) for k, v in manager.pool_classes_by_scheme.items()}
        return manager


def body_chunks(response: requests.Response, exchange: Exchange, cap: int) -> Iterator[bytes]:
    """The body as it arrives, one socket read at a time, decoded (gzip), counting the bytes sent.

    ``iter_content`` would block until a whole chunk has arrived (a byte a second fills 64 KB in 18 hours);
    the deadline is enforced by the caller either way, this makes the byte count true and the cap prompt.
    """
    raw = response.raw
    fp = getattr(raw, "_fp", None)
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if fp is None or not hasattr(fp, "read1") or encoding not in ("identity", "", "gzip", "x-gzip"):
        for chunk in response.iter_content(chunk_size=READ_CHUNK):
            exchange.received += len(chunk)
            yield chunk
        return
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS) if "gzip" in encoding else None
    while True:
        data = fp.read1(READ_CHUNK)
        if not data:
            break
        exchange.received += len(data)
        if decoder is None:
            yield data
            continue
        out = decoder.decompress(data, cap + 1)  # a gzip bomb stops at the cap
        while out:
            yield out
            if not decoder.unconsumed_tail:
                break
            out = decoder.decompress(decoder.unconsumed_tail, cap + 1)
    if decoder is not None:
        tail = decoder.flush()
        if tail:
            yield tail
    if exchange.aborted:
        return
    try:  # the body is complete: the connection may serve the next request, as after urllib3's own read
        fp.close()
        raw.release_conn()
    except Exception:  # noqa: BLE001 - a connection that cannot be reused is simply not reused
        pass
