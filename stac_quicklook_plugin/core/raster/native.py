"""Nearest reads of a one-band classification (a scene classification, a ``qa_pixel`` bit field) straight from
the bytes the range reader fetched, without opening the file in GDAL: the tiles under the grid inflated with
zlib, the predictor undone with numpy, each output pixel given the value of the source pixel under its centre.

A cloud mask is read for every candidate scene of a run (and each date of a list); in GDAL each read is two
opens of the file, a VRT-less windowed read and their set-up. Here it is the tile index already parsed, one
ranged GET of the tiles and a few milliseconds of numpy.

Only what it fully understands: a tiled, north-up, one-band 8- or 16-bit unsigned GeoTIFF, DEFLATE or
uncompressed, predictor 1 or 2, pixel-is-area, in the grid's own CRS (by EPSG code), nodata given by GDAL's tag.
Anything else answers None, and the caller reads the file with GDAL as before.
"""
from __future__ import annotations

import math
import zlib
from typing import Any, Callable, Optional

import numpy as np
from numpy.typing import NDArray

from stac_quicklook_plugin.core.raster import ranges
from stac_quicklook_plugin.core.raster.grid import Grid, choose_overview, crs_wkt
from stac_quicklook_plugin.core.raster.header import epsg_of, north_up_origin
from stac_quicklook_plugin.core.raster.ranges import RemoteTiff, Transfer
from stac_quicklook_plugin.core.raster.read import ReadResult
from stac_quicklook_plugin.core.raster.remote import RemoteFile
from stac_quicklook_plugin.core.raster.tiff_index import Geo, Image

DEFLATE = (8, 32946)
MAX_TILE_BYTES = 64 * 1024 * 1024  # an inflated tile larger than this is no classification tile
MAX_BLOCK_BYTES = 256 * 1024 * 1024  # the tiles under one grid, side by side: more is GDAL's to read


def read_classes(file: RemoteFile, grid: Grid, is_cancelled: Callable[[], bool] = lambda: False
                 ) -> Optional[ReadResult]:
    """The file's one band on ``grid``, nearest; None when this reader does not handle the file."""
    if not ranges.usable(file):
        return None
    transfer = Transfer.of(file, is_cancelled)
    entry = ranges.remote_tiff(transfer)
    if entry is None:
        return None
    images = [i for i in entry.images if not i.mask]
    full = images[0] if images else None
    if full is None or full.geo is None or not _supported(images, entry) or not _same_crs(full.geo, grid):
        return None
    geo = full.geo
    if geo.nodata_unread:
        return None  # a nodata tag not read: which pixels are data is GDAL's to say
    nodata = _nodata(geo.nodata)
    if nodata is None and len(images) != len(entry.images):
        return None  # an internal mask says which pixels are data: GDAL reads it
    if nodata is not None and nodata >= 1 << full.bits:
        return None  # a nodata no pixel can hold: GDAL's to make sense of
    ulx, res_x, uly, res_y = north_up_origin(geo) or (0.0, 1.0, 0.0, 1.0)  # _same_crs saw it is not None
    factors = [full.width / image.width for image in images[1:]]
    level = choose_overview(res_x, [round(f) for f in factors], abs(grid.transform[0]))
    image = images[0] if level is None else images[level + 1]
    scale_x, scale_y = full.width / image.width, full.height / image.height  # as GDAL derives an overview's size
    cols, rows = _sources(grid, (ulx, res_x * scale_x, uly, res_y * scale_y))
    in_cols, in_rows = (cols >= 0) & (cols < image.width), (rows >= 0) & (rows < image.height)
    inside = in_rows[:, None] & in_cols[None, :]
    if not inside.any():
        values = np.zeros((grid.height, grid.width), dtype=f"u{image.bits // 8}")
        return ReadResult(values[None], inside, nodata, str(values.dtype), 1, {})
    mosaic = _mosaic(transfer, entry, image, (int(rows[in_rows].min()), int(rows[in_rows].max())),
                     (int(cols[in_cols].min()), int(cols[in_cols].max())), nodata)
    if mosaic is None:
        return None
    pixels, (row0, col0) = mosaic
    # every output row takes one source row, every column one source column: one gather
    values = pixels[np.ix_(np.clip(rows - row0, 0, pixels.shape[0] - 1), np.clip(cols - col0, 0, pixels.shape[1] - 1))]
    values[~inside] = 0 if nodata is None else nodata
    valid = inside if nodata is None else inside & (values != nodata)
    factor = 1 if level is None else int(round(factors[level]))
    return ReadResult(values[None], valid, nodata, str(values.dtype), factor, {})


def _supported(images: list[Image], entry: RemoteTiff) -> bool:
    head = entry.pieces.get(0, b"")
    return head[:2] in (b"II", b"MM") and all(
        i.samples == 1 and i.planes == 1 and i.bits in (8, 16) and i.sample_format == 1
        and (i.compression in DEFLATE and i.predictor in (1, 2) or i.compression == 1 and i.predictor == 1)
        for i in images)  # libtiff applies a predictor only with a codec that has one


def _same_crs(geo: Geo, grid: Grid) -> bool:
    """North-up, pixel-is-area, and the grid's own CRS by EPSG code (as the engine builds it: ``crs_wkt``)."""
    epsg = epsg_of(geo)
    if epsg is None or north_up_origin(geo) is None:
        return False
    a, b, _, d, e, _ = grid.transform
    if b or d or a <= 0 or e >= 0:
        return False
    try:
        return crs_wkt(f"EPSG:{epsg}") == grid.crs
    except Exception:  # an EPSG code PROJ does not know
        return False


def _nodata(text: Optional[str]) -> Optional[int]:
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        return None
    return int(value) if value.is_integer() and 0 <= value <= 65535 else None


def _sources(grid: Grid, level: tuple[float, float, float, float]) -> tuple[NDArray[Any], NDArray[Any]]:
    """The source column under each output column's centre, and the source row under each output row's."""
    ulx, res_x, uly, res_y = level
    a, _, left, _, e, top = grid.transform
    cols = np.floor((left + (np.arange(grid.width) + 0.5) * a - ulx) / res_x).astype(np.int64)
    rows = np.floor((uly - (top + (np.arange(grid.height) + 0.5) * e)) / res_y).astype(np.int64)
    return cols, rows


def _mosaic(transfer: Transfer, entry: RemoteTiff, image: Image, row_span: tuple[int, int],
            col_span: tuple[int, int], nodata: Optional[int]) -> Optional[tuple[NDArray[Any], tuple[int, int]]]:
    """The decoded tiles under those source rows and columns, side by side (a sparse tile as nodata, else 0), and
    the pixel (row, column) of the block's corner; None when any tile cannot be had or the block is too large."""
    th, tw = image.tile_height, image.tile_width
    across = math.ceil(image.width / tw)
    tr0, tr1, tc0, tc1 = row_span[0] // th, row_span[1] // th, col_span[0] // tw, col_span[1] // tw
    if (tr1 - tr0 + 1) * th * (tc1 - tc0 + 1) * tw * image.bits // 8 > MAX_BLOCK_BYTES:
        return None
    places = {}
    for index in (tr * across + tc for tr in range(tr0, tr1 + 1) for tc in range(tc0, tc1 + 1)):
        if index >= len(image.offsets) or image.offsets[index] + image.counts[index] > entry.size:
            return None  # the header is the server's word: a tile past the end is GDAL's to refuse
        places[index] = (image.offsets[index], image.counts[index])
    sizes = [n for _, n in places.values()]
    if sum(sizes) > ranges.MAX_WINDOW_BYTES or any(n > MAX_TILE_BYTES for n in sizes):
        return None  # more than a view's tiles: GDAL's, under the engine's other limits
    # GDAL's COG layout puts each tile's size before it and its last 4 bytes after: fetched alike (sparse.py)
    margin = ranges.TILE_MARGIN
    wanted = [(max(0, o - margin), min(entry.size, o + n + margin) - max(0, o - margin))
              for o, n in places.values() if n > 0]
    if entry.missing(wanted) and not ranges.fetch(transfer, entry, wanted):
        return None
    little = entry.pieces[0][:2] == b"II"
    block = np.full(((tr1 - tr0 + 1) * th, (tc1 - tc0 + 1) * tw), 0 if nodata is None else nodata,
                    dtype=f"u{image.bits // 8}")
    for index, (offset, count) in places.items():
        if count == 0:
            continue  # a sparse tile: GDAL reads it as nodata, else 0
        raw = _bytes(entry, offset, count)
        tile = _decode(raw, image, little) if raw is not None else None
        if tile is None:
            return None
        r, c = (index // across - tr0) * th, (index % across - tc0) * tw
        block[r:r + th, c:c + tw] = tile
    return block, (tr0 * th, tc0 * tw)


def _bytes(entry: RemoteTiff, offset: int, count: int) -> Optional[bytes]:
    for start, data in entry.covering([(offset, count)]):
        if start <= offset and offset + count <= start + len(data):
            return data[offset - start:offset - start + count]
    return None


def _decode(raw: bytes, image: Image, little: bool) -> Optional[NDArray[Any]]:
    """One tile's pixels (tile_height, tile_width); None when the bytes are not what the tags say."""
    size = image.tile_width * image.tile_height * image.bits // 8
    if size > MAX_TILE_BYTES:  # before inflating: a header is the server's word
        return None
    try:  # never more than one tile's bytes out, whatever the stream says
        data = zlib.decompressobj().decompress(raw, size) if image.compression in DEFLATE else raw
    except zlib.error:
        return None
    if len(data) != size:
        return None
    dtype = np.dtype(f"{'<' if little else '>'}u{image.bits // 8}")
    tile = np.frombuffer(data, dtype=dtype).reshape(image.tile_height, image.tile_width).astype(dtype.newbyteorder("="))
    if image.predictor == 2:  # horizontal differencing: each sample is the sum of those before it (wrapping)
        tile = np.cumsum(tile, axis=1, dtype=tile.dtype)
    return tile
