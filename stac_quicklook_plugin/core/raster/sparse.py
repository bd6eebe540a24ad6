"""A remote GeoTIFF as GDAL opens it for one read: a ``/vsisparse/`` file over the bytes ``core.ranges``
fetched (from memory), with the original ``/vsicurl/`` path behind every other byte; or that path itself
when the engine leaves the file to GDAL."""
from __future__ import annotations

import os
import re
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, Callable, Optional
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from stac_quicklook_plugin.core.raster.header import Header, from_index
from stac_quicklook_plugin.core.raster.ranges import (
    HEAD_BYTES,
    MAX_WINDOW_BYTES,
    TILE_MARGIN,
    RemoteTiff,
    Transfer,
    fetch,
    remote_tiff,
    usable,
)
from stac_quicklook_plugin.core.raster.remote import RemoteFile


def sparse_xml(pieces: list[tuple[int, bytes]], size: int, blob_path: str, fallback: str) -> bytes:
    """The /vsisparse/ description of a file of ``size`` bytes: ``pieces`` (offset, bytes; sorted, stored
    one after another in ``blob_path``) from memory, every byte between them from ``fallback``."""
    regions, at, cursor = [], 0, 0
    for start, data in pieces:
        if start > cursor:
            regions.append(_region(escape(fallback), cursor, cursor, start - cursor))
        regions.append(_region(escape(blob_path), start, at, len(data)))
        at += len(data)
        cursor = max(cursor, start + len(data))
    if cursor < size:
        regions.append(_region(escape(fallback), cursor, cursor, size - cursor))
    return f"<VSISparseFile><Length>{size}</Length>{''.join(regions)}</VSISparseFile>".encode()


def _region(path: str, destination: int, source: int, length: int) -> str:
    return (f'<SubfileRegion><Filename relative="0">{path}</Filename><DestinationOffset>{destination}'
            f"</DestinationOffset><SourceOffset>{source}</SourceOffset><RegionLength>{length}</RegionLength>"
            "</SubfileRegion>")


@dataclass(frozen=True)
class LevelGeometry:
    """Where the pixels of one level of a file (the full image or an overview) lie: affine transform
    (a, b, c, d, e, f), size, nodata."""

    transform: tuple[float, ...]
    width: int
    height: int
    nodata: Optional[float]


class SourceFile:
    """The GDAL path one read opens, as a context manager: a /vsisparse/ file over what this module
    fetched, or the original path when the file is left to GDAL. ``fetch_window`` adds a window's tiles."""

    def __init__(self, file: RemoteFile, mem_file: Callable[[bytes, str], Any],
                 is_cancelled: Callable[[], bool] = lambda: False):
        self.gdal_path = file.gdal_path
        self.mem_file = mem_file  # the backend's: (bytes, name) -> context manager of a /vsimem path
        self.stack = ExitStack()
        self.transfer: Optional[Transfer] = None
        self.entry: Optional[RemoteTiff] = None
        self.current: Optional[str] = None
        self.wanted: list[tuple[int, int]] = [(0, HEAD_BYTES)]  # the header, then each window's tiles
        self.window_in_memory = False  # the last fetch_window has every tile of its window in memory
        if usable(file):
            self.transfer = Transfer.of(file, is_cancelled)
            self.entry = remote_tiff(self.transfer)

    def __enter__(self) -> SourceFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def path(self) -> str:
        if self.entry is None:
            return self.gdal_path
        if self.current is None:
            pieces = self.entry.covering(self.wanted)
            blob_path = self.stack.enter_context(self.mem_file(b"".join(d for _, d in pieces), "pieces.bin"))
            xml = sparse_xml(pieces, self.entry.size, blob_path, self.gdal_path)
            name = os.path.basename(urlsplit(self.gdal_path[9:]).path) or "source.tif"
            self.current = "/vsisparse/" + self.stack.enter_context(self.mem_file(xml, f"sparse-{_safe(name)}"))
        return self.current

    def header(self) -> Optional[Header]:
        """The file's facts from the tile index the engine fetched (``core.header``); None when it cannot say."""
        return from_index(self.entry.images) if self.entry is not None else None

    def level_geometry(self, full: LevelGeometry, level: Optional[int]) -> Optional[LevelGeometry]:
        """The geometry of overview ``level`` (None: the full image) from the file's own tile index, as GDAL
        derives it (the full image's pixel size times the ratio of the sizes); None when the index cannot say
        (the file left to GDAL, a rotated transform, overviews out of order)."""
        if level is None:
            return full
        a, b, c, d, e, f = full.transform[:6]
        images = [i for i in self.entry.images if not i.mask] if self.entry is not None else []
        if b or d or len(images) < 2 or (images[0].width, images[0].height) != (full.width, full.height):
            return None
        overviews = images[1:]  # GDAL lists a GeoTIFF's overviews in file order; a COG's shrink one by one
        if level >= len(overviews) or any(o.width >= p.width for p, o in zip(images, overviews)):
            return None
        view = overviews[level]
        return LevelGeometry((a * (full.width / view.width), 0.0, c, 0.0, e * (full.height / view.height), f),
                             view.width, view.height, full.nodata)

    def fetch_window(self, width: int, height: int, window: tuple[float, float, float, float],
                     with_mask: bool) -> None:
        """Fetch the tiles under ``window`` (pixels) of the image of that size (and its mask)."""
        if self.entry is None or self.transfer is None:
            return
        tiles: list[tuple[int, int]] = []
        for image in self.entry.images:
            if (image.width, image.height) == (width, height) and (with_mask or not image.mask):
                tiles += image.tile_ranges(window)
        # A header is the server's word: tiles past the end of the file or a window larger than any
        # quicklook needs are not fetched here (GDAL reads them, under the engine's other limits).
        size = self.entry.size
        if not tiles or any(o + n > size for o, n in tiles) or sum(n for _, n in tiles) > MAX_WINDOW_BYTES:
            return
        # GDAL's COG layout puts 4 bytes (the tile's size) before each tile and repeats its last 4 after;
        # GDAL reads them where the file says so: 8 bytes a tile, fetched either way.
        ranges = [(max(0, o - TILE_MARGIN), min(size, o + n + TILE_MARGIN) - max(0, o - TILE_MARGIN))
                  for o, n in tiles]
        if self.entry.missing(ranges) and not fetch(self.transfer, self.entry, ranges):
            return
        self.wanted += ranges
        self.window_in_memory = True
        self.current = None  # the next path() describes the new pieces


def _safe(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", name)[-80:]
    return cleaned if cleaned.lower().endswith((".tif", ".tiff")) else cleaned + ".tif"
