"""Where a tiled GeoTIFF keeps its tiles, read from the first bytes of the file (classic TIFF and BigTIFF):
each image's size, tile size and tile offsets/byte counts. It lets the engine fetch a header and then
exactly the tiles of a window, instead of GDAL asking for the file's size first. Anything this parser
does not find inside the bytes it was given makes it answer None: the caller then leaves the file to GDAL."""
from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Optional

# TIFF tags (baseline and tiled-image extension)
NEW_SUBFILE_TYPE, IMAGE_WIDTH, IMAGE_LENGTH = 254, 256, 257
BITS_PER_SAMPLE, COMPRESSION, SAMPLES_PER_PIXEL, PLANAR_CONFIG = 258, 259, 277, 284
PREDICTOR, SAMPLE_FORMAT = 317, 339
TILE_WIDTH, TILE_LENGTH, TILE_OFFSETS, TILE_BYTE_COUNTS = 322, 323, 324, 325
# GeoTIFF and GDAL's own: pixel size, the tie point of pixel (0, 0), the GeoKey directory, nodata (text)
PIXEL_SCALE, TIEPOINT, GEOKEYS, GDAL_NODATA = 33550, 33922, 34735, 42113
MASK_BIT = 4  # NewSubfileType: transparency mask
MAX_IMAGES = 64  # a COG has a handful; a loop of IFDs or a hostile chain stops here
MAX_TILES = 4_000_000
TYPE_FORMATS = {2: "B", 3: "H", 4: "I", 12: "d", 16: "Q"}  # ASCII, SHORT, LONG, DOUBLE, LONG8
INTEGERS = frozenset({3, 4, 16})
# The types each tag read here may have; another type is as if the tag were absent (a GDAL file never has one)
TAG_TYPES = {**{tag: INTEGERS for tag in (NEW_SUBFILE_TYPE, IMAGE_WIDTH, IMAGE_LENGTH, BITS_PER_SAMPLE, COMPRESSION,
                                          SAMPLES_PER_PIXEL, PLANAR_CONFIG, PREDICTOR, SAMPLE_FORMAT, TILE_WIDTH,
                                          TILE_LENGTH, TILE_OFFSETS, TILE_BYTE_COUNTS)},
             PIXEL_SCALE: frozenset({12}), TIEPOINT: frozenset({12}), GEOKEYS: frozenset({3}),
             GDAL_NODATA: frozenset({2})}
OPTIONAL = frozenset({PIXEL_SCALE, TIEPOINT, GEOKEYS, GDAL_NODATA})  # beyond the bytes fetched: as if absent
NODATA_UNREAD = -1  # a key of no TIFF tag: GDAL_NODATA is there but was not read (past the bytes, another type)


@dataclass(frozen=True)
class Geo:
    """A GeoTIFF's georeferencing as its tags give it, and GDAL's nodata text."""

    pixel_scale: tuple[float, ...]
    tiepoint: tuple[float, ...]
    geokeys: tuple[int, ...]
    nodata: Optional[str]
    nodata_unread: bool = False  # a nodata tag this parser could not read: what GDAL makes of it is unknown

    def geokey(self, key: int) -> Optional[int]:
        """A GeoKey's value when the directory holds it inline (as every EPSG code is)."""
        keys = self.geokeys
        for i in range(4, min(len(keys), 4 + 4 * keys[3] if len(keys) > 3 else 0), 4):
            if i + 3 < len(keys) and keys[i] == key and keys[i + 1] == 0:
                return keys[i + 3]
        return None


@dataclass(frozen=True)
class Image:
    """One IFD: a full-resolution image, an overview or a mask (``mask``)."""

    width: int
    height: int
    tile_width: int
    tile_height: int
    planes: int  # 1 for pixel-interleaved files, else one tile grid per band
    mask: bool
    offsets: tuple[int, ...]
    counts: tuple[int, ...]
    bits: int = 0  # bits per sample
    compression: int = 1  # 1 none, 8 / 32946 DEFLATE, others GDAL's
    predictor: int = 1  # 2: horizontal differencing
    sample_format: int = 1  # 1 unsigned integer
    samples: int = 1
    geo: Optional[Geo] = None  # the first image's georeferencing (GeoTIFF tags)
    subfile: int = 0  # NewSubfileType: 1 a reduced-resolution image (an overview), 4 a mask

    def tile_ranges(self, window: tuple[float, float, float, float]) -> list[tuple[int, int]]:
        """(offset, length) of every non-empty tile under ``window`` (col, row, width, height in pixels)."""
        col, row, w, h = window
        across, down = math.ceil(self.width / self.tile_width), math.ceil(self.height / self.tile_height)
        c0, r0 = max(0, int(math.floor(col)) // self.tile_width), max(0, int(math.floor(row)) // self.tile_height)
        c1 = min(across - 1, (int(math.ceil(col + w)) - 1) // self.tile_width)
        r1 = min(down - 1, (int(math.ceil(row + h)) - 1) // self.tile_height)
        ranges = []
        for plane in range(self.planes):
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    i = plane * across * down + r * across + c
                    if i < len(self.offsets) and self.counts[i] > 0:
                        ranges.append((self.offsets[i], self.counts[i]))
        return ranges


def is_tiff(head: bytes) -> bool:
    """Whether ``head`` starts like a TIFF or a BigTIFF."""
    return head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


def parse(head: bytes) -> Optional[list[Image]]:
    """Every tiled image of the TIFF whose first bytes are ``head``, in file order; None when it is not a
    tiled TIFF or any IFD or tile index lies beyond ``head``."""
    try:
        return _parse(head)
    except (struct.error, ValueError, KeyError, OverflowError, TypeError):
        return None


def _parse(head: bytes) -> Optional[list[Image]]:
    order = {b"II": "<", b"MM": ">"}.get(head[:2])
    if order is None:
        return None
    version = struct.unpack(order + "H", head[2:4])[0]
    if version == 42:
        big, offset = False, struct.unpack(order + "I", head[4:8])[0]
    elif version == 43 and struct.unpack(order + "HH", head[4:8]) == (8, 0):
        big, offset = True, struct.unpack(order + "Q", head[8:16])[0]
    else:
        return None
    images: list[Image] = []
    seen = set()
    while offset:
        if offset in seen or len(images) >= MAX_IMAGES:
            return None
        seen.add(offset)
        tags, offset = _read_ifd(head, order, big, offset)
        image = _image(tags)
        if image is None:
            return None
        images.append(image)
    return images or None


def _read_ifd(head: bytes, order: str, big: bool, offset: int) -> tuple[dict[int, tuple[int, ...]], int]:
    count_fmt, entry_size, value_fmt, value_size = ("Q", 20, "Q", 8) if big else ("H", 12, "I", 4)
    count_size = struct.calcsize(count_fmt)
    (entries,) = struct.unpack_from(order + count_fmt, _need(head, offset, count_size))
    table = _need(head, offset + count_size, entries * entry_size + value_size)
    tags: dict[int, tuple[int, ...]] = {}
    for i in range(entries):
        base = i * entry_size
        tag, kind = struct.unpack_from(order + "HH", table, base)
        if kind not in TAG_TYPES.get(tag, ()):
            if tag == GDAL_NODATA:
                tags[NODATA_UNREAD] = (1,)  # a nodata GDAL would read (another type): not "no nodata"
            continue
        fmt = TYPE_FORMATS[kind]
        (count,) = struct.unpack_from(order + value_fmt, table, base + 4)
        if count > MAX_TILES:
            raise ValueError("tile index too large")
        size = count * struct.calcsize(fmt)
        if size <= value_size:  # the values sit in the entry itself
            data = table[base + 4 + value_size: base + 4 + value_size + size]
        else:
            (where,) = struct.unpack_from(order + value_fmt, table, base + 4 + value_size)
            if tag in OPTIONAL and not 0 <= where <= len(head) - size:
                if tag == GDAL_NODATA:
                    tags[NODATA_UNREAD] = (1,)  # past the bytes fetched: unknown, not absent
                continue  # georeferencing past the bytes fetched: the fast paths do without, GDAL reads it
            data = _need(head, where, size)
        tags[tag] = struct.unpack(order + fmt * count, data)
    (next_offset,) = struct.unpack_from(order + value_fmt, table, entries * entry_size)
    return tags, next_offset


def _image(tags: dict[int, tuple[int, ...]]) -> Optional[Image]:
    needed = (IMAGE_WIDTH, IMAGE_LENGTH, TILE_WIDTH, TILE_LENGTH, TILE_OFFSETS, TILE_BYTE_COUNTS)
    if not all(tags.get(t) for t in needed):
        return None  # a stripped image: not worth a guess
    width, height = tags[IMAGE_WIDTH][0], tags[IMAGE_LENGTH][0]
    tile_width, tile_height = tags[TILE_WIDTH][0], tags[TILE_LENGTH][0]
    if min(width, height, tile_width, tile_height) <= 0:
        return None
    separate = tags.get(PLANAR_CONFIG, (1,))[0] == 2
    planes = tags.get(SAMPLES_PER_PIXEL, (1,))[0] if separate else 1
    offsets, counts = tags[TILE_OFFSETS], tags[TILE_BYTE_COUNTS]
    if len(offsets) != len(counts):
        return None
    subfile = tags.get(NEW_SUBFILE_TYPE, (0,))[0]
    mask = bool(subfile & MASK_BIT)
    geo = None
    if PIXEL_SCALE in tags and TIEPOINT in tags:
        text = bytes(tags.get(GDAL_NODATA, ())).split(b"\0")[0].decode("ascii", "replace").strip()
        geo = Geo(tuple(float(v) for v in tags[PIXEL_SCALE]), tuple(float(v) for v in tags[TIEPOINT]),
                  tuple(int(v) for v in tags.get(GEOKEYS, ())), text or None, NODATA_UNREAD in tags)
    samples = tags.get(SAMPLES_PER_PIXEL, (1,))[0]
    return Image(width, height, tile_width, tile_height, planes, mask, offsets, counts,
                 bits=tags.get(BITS_PER_SAMPLE, (0,))[0], compression=tags.get(COMPRESSION, (1,))[0],
                 predictor=tags.get(PREDICTOR, (1,))[0], sample_format=tags.get(SAMPLE_FORMAT, (1,))[0],
                 samples=samples, geo=geo, subfile=subfile)


class _Short(ValueError):
    """The header goes on past the bytes fetched: ``end`` is the first byte offset known to be needed."""

    def __init__(self, end: int):
        super().__init__("beyond the bytes fetched")
        self.end = end


def bytes_needed(head: bytes) -> Optional[int]:
    """When ``head`` is the start of a tiled TIFF whose IFDs or tile arrays go on past it: how many bytes from
    the start would hold what the parser stopped at (more may follow); None when that is not why it failed."""
    try:
        _parse(head)
    except _Short as short:
        return short.end
    except (struct.error, ValueError, KeyError, OverflowError, TypeError):
        return None
    return None


def _need(head: bytes, start: int, size: int) -> bytes:
    if start < 0:
        raise ValueError("a negative offset")
    if start + size > len(head):
        raise _Short(start + size)
    return head[start:start + size]
