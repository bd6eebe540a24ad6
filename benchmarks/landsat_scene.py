"""Case (n)'s Landsat world at a real scene's size and texture: the three dates of ``tests/harness/landsat.py``
written as 7681 x 7821 px files (a WRS-2 scene at 30 m, as USGS writes them: 256 px tiles, DEFLATE with the
horizontal predictor, overviews down to one tile), not the tests' 1200 px smooth fields.

Why: what a read costs in bytes depends on the files. On the tests' small smooth files a 32 KB header read is a
whole ``qa_pixel`` file and most of a band's, which no real scene is. Here:
- the surface-reflectance bands carry sensor-like noise (a deterministic 20 DN), so they do not compress to
  nothing: about 1.4 bytes a pixel (86 MB a band);
- ``qa_pixel`` carries USGS's confidence bits on every pixel and cumulus clouds with their shadows over the scene;
- the top-left 1200 x 1200 px are the tests' designed dates (the same cloud boxes, the same bits), so the view
  of case (n) is clear on the least cloudy scene as there.

Only the first date's bands are written; the other dates' bands are links to them (a quicklook reads the
winner's alone). About 30 s on two cores, once: the files are reused while ``COMPLETE`` is there.
"""
from __future__ import annotations

import os
import pathlib
from typing import Any

import numpy as np

from tests.harness import landsat

WIDTH, HEIGHT = 7681, 7821
DESIGNED = landsat.SIZE  # the top-left block that is the tests' world
CONFIDENCE = 0b0101010100000000  # USGS: low cloud, shadow, snow and cirrus confidence on a clear pixel (21824 - 64)
NOISE_DN = 20.0
ROWS_AT_ONCE = 512


def build(root: pathlib.Path) -> pathlib.Path:
    """Write the scene's files under ``root`` (once) and return it."""
    marker = root / "COMPLETE"
    if marker.exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    first = landsat.DATES[0]
    for index, date in enumerate(landsat.DATES):
        folder = root / date["id"]
        folder.mkdir(exist_ok=True)
        for band, (name, _) in landsat.bands_of(date).items():
            target = folder / f"{date['id']}_{name}.TIF"
            if index == 0:
                _write(target, lambda rows, b=band: _dn(rows, b), nodata=0)
            elif not target.exists():
                os.symlink(f"../{first['id']}/{first['id']}_{name}.TIF", target)
        _write(folder / f"{date['id']}_QA_PIXEL.TIF", lambda rows, i=index: _qa(rows, i), nodata=None)
    marker.write_text("")
    return root


def make_items(root: pathlib.Path, files_url: str, api_url: str) -> list[dict[str, Any]]:
    """``landsat.make_items``' items, their footprint, shape and bbox those of the real-size scene."""
    from osgeo import osr

    items = landsat.make_items(root, files_url, api_url)
    utm, wgs84 = osr.SpatialReference(), osr.SpatialReference()
    utm.ImportFromEPSG(landsat.EPSG)
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_wgs84 = osr.CoordinateTransformation(utm, wgs84)
    right, bottom = landsat.ULX + WIDTH * landsat.RES, landsat.ULY - HEIGHT * landsat.RES
    corners = [(landsat.ULX, landsat.ULY), (right, landsat.ULY), (right, bottom), (landsat.ULX, bottom)]
    ring = [list(to_wgs84.TransformPoint(x, y)[:2]) for x, y in corners]
    ring.append(ring[0])
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    for item in items:
        item["geometry"] = {"type": "Polygon", "coordinates": [ring]}
        item["bbox"] = [min(lons), min(lats), max(lons), max(lats)]
        for asset in item["assets"].values():
            asset["proj:shape"] = [HEIGHT, WIDTH]
    return items


def _dn(rows: slice, band: str) -> np.ndarray:
    """Surface reflectance as DN over ``rows``: the tests' smooth fields, continued past their block, plus noise."""
    y, x = np.mgrid[rows, 0:WIDTH].astype(np.float64) / DESIGNED
    vegetation = np.clip(np.sin(6.0 * x + 3.0 * y) * 0.5 + 0.5, 0, 1)
    base = {"blue": 0.04, "green": 0.07, "red": 0.08, "nir08": 0.2}[band]
    swing = {"blue": -0.01, "green": 0.02, "red": -0.05, "nir08": 0.25}[band]
    reflectance = base + swing * vegetation + 0.01 * np.cos(9.0 * y)
    noise = np.random.default_rng([rows.start, len(band)]).normal(0.0, NOISE_DN, size=reflectance.shape)
    return np.clip(np.rint((reflectance - landsat.OFFSET) / landsat.SCALE + noise), 1, 65535).astype(np.uint16)


def _qa(rows: slice, index: int) -> np.ndarray:
    """``qa_pixel`` over ``rows``: clear with USGS's confidence bits; the designed block top left; elsewhere
    cumulus (cloud and dilation, each with its shadow to the south-east), the same on every date."""
    qa = np.full((rows.stop - rows.start, WIDTH), landsat.CLEAR | CONFIDENCE, dtype=np.uint16)
    rng = np.random.default_rng(11)
    centres = rng.uniform((0, 0), (HEIGHT, WIDTH), size=(400, 2))
    radii = rng.uniform(4, 40, size=400)
    y, x = np.mgrid[rows, 0:WIDTH]
    for (cy, cx), r in zip(centres, radii):
        if cy < DESIGNED + 100 and cx < DESIGNED + 100:
            continue  # the designed block stays as designed
        if cy + 2 * r < rows.start or cy - 1.3 * r >= rows.stop:
            continue  # not in these rows (its shadow reaches 2 r south)
        near = slice(max(0, int(cx - 2 * r)), min(WIDTH, int(cx + 3 * r)))
        dy, dx = y[:, near] - cy, x[:, near] - cx
        block = qa[:, near]
        block[(dy - r) ** 2 + (dx - r) ** 2 < r * r] = landsat.SHADOW | CONFIDENCE
        block[dy ** 2 + dx ** 2 < (1.3 * r) ** 2] = landsat.DILATED | CONFIDENCE
        block[dy ** 2 + dx ** 2 < r * r] = landsat.CLOUD | landsat.DILATED | CONFIDENCE
    if rows.start < DESIGNED:
        designed = landsat.qa_pixel(index)[rows.start:min(rows.stop, DESIGNED)]
        with_bits = np.where(designed == landsat.FILL, designed, designed | CONFIDENCE)
        qa[:designed.shape[0], :DESIGNED] = with_bits
    return qa


def _write(path: pathlib.Path, rows_of: Any, nodata: int | None) -> None:
    from osgeo import gdal, osr

    gdal.UseExceptions()
    mem = gdal.GetDriverByName("MEM").Create("", WIDTH, HEIGHT, 1, gdal.GDT_UInt16)
    mem.SetGeoTransform((landsat.ULX, landsat.RES, 0.0, landsat.ULY, 0.0, -landsat.RES))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(landsat.EPSG)
    mem.SetProjection(srs.ExportToWkt())
    band = mem.GetRasterBand(1)
    if nodata is not None:
        band.SetNoDataValue(nodata)
    for start in range(0, HEIGHT, ROWS_AT_ONCE):
        band.WriteArray(rows_of(slice(start, min(HEIGHT, start + ROWS_AT_ONCE))), 0, start)
    partial = path.with_suffix(".partial.tif")
    gdal.Translate(str(partial), mem, format="COG", creationOptions=[
        "BLOCKSIZE=256", "COMPRESS=DEFLATE", "PREDICTOR=YES", "NUM_THREADS=ALL_CPUS",
        f"RESAMPLING={'NEAREST' if nodata is None else 'AVERAGE'}"])
    partial.rename(path)
