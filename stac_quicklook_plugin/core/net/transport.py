"""The engine's one HTTP transport, under both the JSON client (``net.http``) and the byte-range reads
(``raster.ranges``).

- **A session per connection kind** (direct or through an explicit proxy), per process, kept alive across
  requests, files and quicklooks, with a pool as large as the reads in flight.
- **A deadline for the whole answer**, not for each socket read: every connection a request uses is known
  to its ``Exchange``, and one watchdog thread shuts those sockets when the answer runs past its deadline
  or the caller cancels; the blocked read then returns at once, and no helper thread per request lingers.
- **A bounded body**, read as it arrives, one socket read at a time, counting the bytes sent.
"""
from __future__ import annotations

import os
import socket
import threading
import time
import zlib
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional

import requests
from requests.adapters import HTTPAdapter

from stac_quicklook_plugin.core.models import USER_AGENT

READ_CHUNK = 65536
POOL_SIZE = 24  # connections kept per host: the range reads in flight at once (engine.run.SHARED_THREADS)
WATCH_INTERVAL_S = 0.05  # how often the watchdog looks for a cancel or a passed deadline


class Exchange:
    """One request in flight: when it started, its deadline, what has arrived, and the sockets to shut to
    end it. ``reason`` says why it was ended: "cancelled" or "deadline"."""

    def __init__(self, seconds: float = float("inf"), is_cancelled: Optional[Callable[[], bool]] = None) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + seconds
        self.is_cancelled = is_cancelled or (lambda: False)
        self.response: Optional[requests.Response] = None
        self.received = 0  # body bytes as sent (before gzip decoding)
        self.aborted = False
        self.reason = ""
        self.connections: list[Any] = []

    @property
    def cancelled(self) -> bool:
        return self.reason == "cancelled"

    def abort(self, reason: str = "deadline") -> None:
        self.reason = self.reason or reason
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


class _Watchdog:
    """One thread for the process that ends the exchanges whose caller cancelled or whose deadline passed
    (it runs only while an exchange is watched)."""

    def __init__(self) -> None:
        self.watched: set[Exchange] = set()
        self.lock = threading.Lock()
        self.wake = threading.Condition(self.lock)
        self.thread: Optional[threading.Thread] = None

    def add(self, exchange: Exchange) -> None:
        with self.lock:
            self.watched.add(exchange)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, daemon=True, name="stac-quicklook-watchdog")
                self.thread.start()
            self.wake.notify()

    def discard(self, exchange: Exchange) -> None:
        with self.lock:
            self.watched.discard(exchange)

    def _loop(self) -> None:
        while True:
            with self.lock:
                if not self.watched:
                    self.wake.wait(1.0)
                    if not self.watched:
                        self.thread = None
                        return
                current = list(self.watched)
            now = time.monotonic()
            for exchange in current:
                if exchange.aborted:
                    continue
                try:
                    cancelled = exchange.is_cancelled()
                except Exception:  # noqa: BLE001 - a broken cancel callable cancels
                    cancelled = True
                if cancelled:
                    exchange.abort("cancelled")
                elif now >= exchange.deadline:
                    exchange.abort("deadline")
            time.sleep(WATCH_INTERVAL_S)


_watchdog = _Watchdog()


@contextmanager
def watched(exchange: Exchange) -> Iterator[Exchange]:
    """Within this block, the connections the current thread opens or reuses belong to ``exchange``, and the
    watchdog ends them at its deadline or its caller's cancel."""
    tracking.exchange = exchange
    _watchdog.add(exchange)
    try:
        yield exchange
    finally:
        tracking.exchange = None
        _watchdog.discard(exchange)


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


_session_lock = threading.Lock()
_sessions: dict[tuple[int, bool], requests.Session] = {}


def session(explicit_proxy: bool) -> requests.Session:
    """The process's keep-alive session for direct requests, or for requests through a proxy from the
    user's settings (then the environment's proxies and no_proxy do not apply, as for GDAL). Proxies, CA
    bundle and headers are given per request, by each request's ``Connection``."""
    key = (os.getpid(), explicit_proxy)  # a forked process opens its own connections
    with _session_lock:
        found = _sessions.get(key)
        if found is None:
            found = requests.Session()
            found.trust_env = not explicit_proxy
            for prefix in ("http://", "https://"):
                found.mount(prefix, TrackingAdapter(pool_connections=8, pool_maxsize=POOL_SIZE, max_retries=0))
            found.headers["User-Agent"] = USER_AGENT
            _sessions[key] = found
        return found


def close_connections() -> None:
    """Close the kept-alive connections (they are opened again when needed)."""
    with _session_lock:
        sessions = list(_sessions.values())
        _sessions.clear()
    for each in sessions:
        each.close()
