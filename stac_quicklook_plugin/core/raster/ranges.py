"""The engine's own byte-range reads of remote GeoTIFFs, handed to GDAL.

GDAL's ``/vsicurl/`` asks for a file's size (a HEAD) before it reads the header: search, size, header,
tiles. Here one ranged GET gives both the size (``Content-Range``) and the header, the header says where
the view's tiles lie (``core.tiff_index``), and a second round of GETs fetches exactly those tiles, all
files at once. GDAL then reads a ``/vsisparse/`` file (``core.sparse``): the fetched bytes from memory, any other byte
from the original ``/vsicurl/`` path, so a wrong guess costs a round trip, never a wrong pixel.

Fetched bytes are kept per asset href (bounded, ``clear()`` forgets them): a repeat of a view fetches
nothing, a pan or a zoom fetches only tiles. Every failure this module does not understand leaves the
file to GDAL, whose errors the engine already explains (``core.read_errors``).
"""
from __future__ import annotations

import math
import os
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Optional
from urllib.parse import quote, urlsplit

import requests

from stac_quicklook_plugin.core.errors import Cancelled, ReadError
from stac_quicklook_plugin.core.net import transport
from stac_quicklook_plugin.core.net.redact import redact
from stac_quicklook_plugin.core.net.transport import Exchange, body_chunks
from stac_quicklook_plugin.core.raster import tiff_index
from stac_quicklook_plugin.core.raster.remote import RemoteFile
from stac_quicklook_plugin.core.threads import LazyPool

HEAD_BYTES = 32768  # as GDAL_INGESTED_BYTES_AT_OPEN: the IFDs and tile index of a 10980 px COG are a few KB
MAX_HEAD_BYTES = 4 * 1024 * 1024  # the most a grown header read fetches (a longer tile index is left to GDAL)
GROWN_HEAD_BYTES = 65536  # at least this much once grown: GDAL's first reads of a file then find it all in memory
CACHE_BYTES = 96 * 1024 * 1024  # fetched bytes kept across quicklooks, all files together
ENTRY_SECONDS = 30 * 60  # a file's size and header are trusted this long
FETCH_THREADS = 16  # ranged GETs at once, over all the reads of the process
TILE_MARGIN = 4
MAX_REFUSED = 1024  # files remembered as not placeable
MAX_WINDOW_BYTES = 128 * 1024 * 1024  # the most one read fetches ahead (a view's tiles are a few MB)
RANGES_ENV = "STAC_QUICKLOOK_RANGES"  # "gdal": leave every read to GDAL's /vsicurl/ (comparisons, a bad proxy)
# GDAL options through which a user configures GDAL's HTTP in ways this module does not copy: their
# presence (in the read's options or the environment) leaves the reads to GDAL.
GDAL_OWN_HTTP = ("GDAL_HTTP_HEADERS", "GDAL_HTTP_HEADER_FILE", "GDAL_HTTP_AUTH", "GDAL_HTTP_USERPWD",
                 "GDAL_HTTP_COOKIE", "GDAL_HTTP_COOKIEFILE", "GDAL_HTTP_BEARER",
                 "GDAL_HTTP_SSLCERT", "GDAL_HTTP_SSLKEY")
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+)\s*$")


class _Unusable(Exception):
    """This file is better left to GDAL (a status, a redirect, an answer this module does not expect)."""


@dataclass
class RemoteTiff:
    """What is known of one remote file: its size, its tile index and the byte ranges fetched so far."""

    size: int
    images: list[tiff_index.Image]
    pieces: dict[int, bytes]  # start offset -> bytes, never overlapping
    fetched_at: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def nbytes(self) -> int:
        return sum(len(p) for p in list(self.pieces.values()))

    def missing(self, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Of ``ranges`` (offset, length), those not wholly inside a fetched piece, merged where they touch."""
        with self.lock:
            wanted = sorted((o, n) for o, n in ranges if not self._holds(o, n))
        merged: list[tuple[int, int]] = []
        for offset, length in wanted:
            if merged and offset <= merged[-1][0] + merged[-1][1]:
                start = merged[-1][0]
                merged[-1] = (start, max(merged[-1][1], offset + length - start))
            else:
                merged.append((offset, length))
        return merged

    def covering(self, ranges: list[tuple[int, int]]) -> list[tuple[int, bytes]]:
        """The fetched pieces (offset, bytes) that hold any of ``ranges``, sorted by offset."""
        with self.lock:
            return sorted((start, data) for start, data in self.pieces.items()
                          if any(start < o + n and o < start + len(data) for o, n in ranges))

    def _holds(self, offset: int, length: int) -> bool:
        return any(start <= offset and offset + length <= start + len(data) for start, data in self.pieces.items())


class _Cache:
    """Remote files by asset href, least recently used first out, bounded by the bytes they hold."""

    def __init__(self) -> None:
        self.entries: OrderedDict[str, RemoteTiff] = OrderedDict()
        self.not_placeable: OrderedDict[str, float] = OrderedDict()  # TIFFs whose tiles the head does not place
        self.loading: dict[str, threading.Lock] = {}
        self.lock = threading.Lock()

    def placeable(self, key: str) -> bool:
        """False for a file whose first bytes were fetched once already and held no tile index (it is
        left to GDAL without asking again for ENTRY_SECONDS)."""
        with self.lock:
            seen = self.not_placeable.get(key)
            return seen is None or time.monotonic() - seen > ENTRY_SECONDS

    def refuse(self, key: str) -> None:
        with self.lock:
            self.not_placeable[key] = time.monotonic()
            while len(self.not_placeable) > MAX_REFUSED:
                self.not_placeable.popitem(last=False)
            self.loading.pop(key, None)

    def get(self, key: str) -> Optional[RemoteTiff]:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None and time.monotonic() - entry.fetched_at > ENTRY_SECONDS:
                del self.entries[key]
                entry = None
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def loader(self, key: str) -> threading.Lock:
        with self.lock:
            return self.loading.setdefault(key, threading.Lock())

    def put(self, key: str, entry: RemoteTiff) -> None:
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            self.loading.pop(key, None)
            self.trim()

    def trim(self) -> None:
        total = sum(e.nbytes for e in self.entries.values())
        while total > CACHE_BYTES and len(self.entries) > 1:
            _, old = self.entries.popitem(last=False)
            total -= old.nbytes

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.not_placeable.clear()


_cache = _Cache()
_fetchers = LazyPool(FETCH_THREADS, "stac-quicklook-range")


def clear() -> None:
    """Forget every file's size, header and tiles (the dock's refresh, a changed API)."""
    _cache.clear()


def cached_bytes() -> int:
    """The fetched bytes kept, all files together (at most CACHE_BYTES)."""
    with _cache.lock:
        return sum(e.nbytes for e in _cache.entries.values())


def usable(file: RemoteFile) -> bool:
    """Whether this module may read ``file``: plain http(s) through /vsicurl/, no HTTP settings of the user's
    for GDAL that it would not honour."""
    if os.environ.get(RANGES_ENV, "").strip().lower() == "gdal":
        return False
    path = file.gdal_path
    if not path.startswith("/vsicurl/") or urlsplit(path[9:]).scheme not in ("http", "https"):
        return False
    return not any(file.options.get(k) or os.environ.get(k) for k in GDAL_OWN_HTTP)


@dataclass
class Transfer:
    """How this read talks HTTP: the GDAL options it would have run with, turned into requests' terms."""

    href: str  # the asset href as the catalog gave it (messages, cache key)
    url: str  # what is fetched (signed where signing applies)
    timeout: float
    connect_timeout: float
    proxies: Optional[dict[str, str]]
    verify: Any  # True, or the CA bundle GDAL was told to trust
    is_cancelled: Callable[[], bool]

    @classmethod
    def of(cls, file: RemoteFile, is_cancelled: Callable[[], bool]) -> Transfer:
        """The transfer of ``file``: its connection's timeout, proxy and CA bundle as they are (GDAL's own
        variables in the user's environment, or in the caller's own GDAL options, where the connection says
        nothing)."""
        timeout = float(max(1, math.ceil(file.timeout))) if file.timeout >= 1 else file.timeout
        if os.environ.get("GDAL_HTTP_TIMEOUT"):
            try:
                timeout = max(0.1, float(os.environ["GDAL_HTTP_TIMEOUT"]))
            except ValueError:
                pass
        proxy = file.proxy
        if not proxy:
            own = file.options.get("GDAL_HTTP_PROXY") or os.environ.get("GDAL_HTTP_PROXY")
            credentials = file.options.get("GDAL_HTTP_PROXYUSERPWD") or os.environ.get("GDAL_HTTP_PROXYUSERPWD")
            if own and credentials:
                user, _, password = credentials.partition(":")
                parts = urlsplit(own if "://" in own else f"http://{own}")
                own = f"{parts.scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{parts.netloc}"
            proxy = own
        return cls(file.href, file.gdal_path[len("/vsicurl/"):], timeout, min(timeout, 10.0),
                   {"http": proxy, "https": proxy} if proxy else None, file.ca or True, is_cancelled)

    def get(self, offset: int, length: int) -> tuple[bytes, int]:
        """Bytes [offset, offset + length) and the file's size; _Unusable when the answer is not a 206 of
        that range, ReadError when the server ignores Range or is too slow."""
        if self.is_cancelled():
            raise Cancelled("Cancelled before reading.")
        exchange = Exchange(self.timeout, self.is_cancelled)
        wanted = {"Range": f"bytes={offset}-{offset + length - 1}", "Accept-Encoding": "identity"}
        try:
            with transport.watched(exchange):
                response = transport.session(self.proxies is not None).get(
                    self.url, headers=wanted, proxies=self.proxies, verify=self.verify, allow_redirects=False,
                    stream=True, timeout=(self.connect_timeout, self.timeout))
                exchange.response = response
                with response:
                    if response.status_code == 200 and tiff_index.is_tiff(self._body(response, exchange, 4)):
                        raise ReadError(f"The server of {redact(self.href)} does not support HTTP range requests, "
                                        "so the file cannot be streamed; a quicklook will not download whole files.")
                    match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
                    if response.status_code != 206 or not match or int(match.group(1)) != offset:
                        raise _Unusable()
                    size = int(match.group(3))
                    data = self._body(response, exchange, min(length, size - offset))
        except (requests.exceptions.RequestException, OSError, ValueError) as exc:
            if exchange.aborted:
                raise self._ended(exchange) from None
            if isinstance(exc, (requests.exceptions.Timeout, TimeoutError)) or "timed out" in str(exc):
                raise self._too_slow(exchange.received, exchange.started) from None
            raise _Unusable() from None  # refused, TLS, proxy, a broken answer...: GDAL will say what went wrong
        if exchange.aborted:  # ended by the watchdog: what arrived may look whole and is not
            raise self._ended(exchange)
        return data, size

    @staticmethod
    def _body(response: requests.Response, exchange: Exchange, expected: int) -> bytes:
        """The first ``expected`` bytes of the body as they arrive; _Unusable when it is cut short. A body of
        exactly ``expected`` bytes is read to its end, so that its connection serves the next request."""
        chunks, received = [], 0
        for chunk in body_chunks(response, exchange, expected):
            chunks.append(chunk)
            received += len(chunk)
            if received > expected:
                break  # more than asked for (a whole file): the connection is closed, not kept
        if received < expected and not exchange.aborted:
            raise _Unusable()  # cut short: GDAL's read will name the damage
        return b"".join(chunks)[:expected]

    def _ended(self, exchange: Exchange) -> Exception:
        if exchange.cancelled:
            return Cancelled("Cancelled while reading.")
        return self._too_slow(exchange.received, exchange.started)

    def _too_slow(self, received: int, started: float) -> ReadError:
        host = urlsplit(self.url).hostname or "the server"
        return ReadError(f"Could not read {redact(self.href)}: {host} sent {received} bytes in "
                         f"{time.monotonic() - started:.1f} s, too slowly (each request must finish within "
                         f"{self.timeout:g} s). The server may be overloaded: try again later, or raise the timeout.")


def remote_tiff(transfer: Transfer) -> Optional[RemoteTiff]:
    """The file's size and tile index from one ranged GET (or from the cache); None: leave it to GDAL."""
    entry = _cache.get(transfer.href)
    if entry is not None or not _cache.placeable(transfer.href):
        return entry
    with _cache.loader(transfer.href):  # concurrent reads of one file wait for one header
        entry = _cache.get(transfer.href)
        if entry is not None or not _cache.placeable(transfer.href):
            return entry
        try:
            head, size = transfer.get(0, HEAD_BYTES)
        except _Unusable:
            return None  # a status or an answer GDAL will explain: asked again next time
        images = tiff_index.parse(head)
        needed = tiff_index.bytes_needed(head) if images is None else None
        if images is None and needed is not None and len(head) < needed <= MAX_HEAD_BYTES and len(head) < size:
            # The tile index goes on past the first bytes (small tiles, a big image): one more ranged GET, as
            # large again as what the parser already knows it needs, before giving the file to GDAL.
            end = min(size, MAX_HEAD_BYTES, max(needed * 2, len(head) * 2, GROWN_HEAD_BYTES))
            try:
                more, _ = transfer.get(len(head), end - len(head))
            except _Unusable:
                return None
            head += more
            images = tiff_index.parse(head)
        if images is None:  # not a COG (or a JPEG 2000): GDAL reads it, now and next time
            _cache.refuse(transfer.href)
            return None
        entry = RemoteTiff(size, images, {0: head})
        _cache.put(transfer.href, entry)
        return entry


def fetch(transfer: Transfer, entry: RemoteTiff, ranges: list[tuple[int, int]]) -> bool:
    """Fetch the missing ones of ``ranges`` in parallel into ``entry``; False if any could not be had."""
    wanted = entry.missing(ranges)
    if not wanted:
        return True
    pool = _fetchers.get()
    futures = [pool.submit(transfer.get, offset, length) for offset, length in wanted]
    ok = True
    for (offset, _), future in zip(wanted, futures):
        try:
            data, _ = future.result()
        except _Unusable:
            ok = False
            continue
        with entry.lock:
            entry.pieces[offset] = data
    _cache.trim()
    return ok
