"""A Landsat Collection 2 Level-2 world, generated deterministically at test time: three dates of one scene in
UTM 13N over the Sentinel-2 test area, as Planetary Computer serves ``landsat-c2-l2``: a COG per band (uint16,
256-pixel tiles, DEFLATE, internal overviews 2/4/8), surface reflectance stored as DN with scale 0.0000275 and
offset -0.2, and a ``qa_pixel`` bit field with designed cloud, shadow, cirrus and fill regions.

The truth of every test comes from here: ``reflectance(date, band)`` and the ``qa_pixel`` arrays written, never
from the code under test.
"""
from __future__ import annotations

import json
import pathlib
from typing import Any

import numpy as np

SCALE, OFFSET = 0.0000275, -0.2
EPSG = 32613
RES = 30.0
SIZE = 1200  # 36 km: the scene's footprint here (a real one is 185 km)
ULX, ULY = 420000.0, 4490010.0
BANDS = {"blue": ("SR_B2", 0.482), "green": ("SR_B3", 0.561), "red": ("SR_B4", 0.655), "nir08": ("SR_B5", 0.865)}
ETM_BANDS = {"blue": ("SR_B1", 0.485), "green": ("SR_B2", 0.56), "red": ("SR_B3", 0.66), "nir08": ("SR_B4", 0.835)}
FILL, DILATED, CIRRUS, CLOUD, SHADOW, CLEAR = 1, 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 6
# Three dates. "scene_cloud" is the item's eo:cloud_cover: the scene-level ranking prefers 2024-07-10, which is
# cloudy over the test view; 2024-06-24 is clear there.
DATES = [
    {"date": "2024-06-24", "id": "LC09_L2SP_034032_20240624_02_T1", "platform": "landsat-9", "scene_cloud": 30.0,
     "cloud_box": (0.0, 0.0, 0.2, 0.2)},
    {"date": "2024-07-10", "id": "LC08_L2SP_034032_20240710_02_T1", "platform": "landsat-8", "scene_cloud": 5.0,
     "cloud_box": (0.3, 0.3, 0.75, 0.75)},
    {"date": "2024-07-26", "id": "LC09_L2SP_034032_20240726_02_T1", "platform": "landsat-9", "scene_cloud": 80.0,
     "cloud_box": (0.0, 0.0, 1.0, 0.9)},
]
# Landsat 7 after its scan-line corrector failed (2003): no-data stripes across the scene, nearly along the scan
# lines, from nothing at the scene's centre to about 14 pixels wide at its east and west edges. Not in the
# default world (``make_items(dates=DATES)``); ``make_items(dates=ALL_DATES)`` adds it. No cloud: the least
# cloudy scene of its range, whose stripes the next scenes must fill.
L7_DATES = [
    {"date": "2024-07-02", "id": "LE07_L2SP_034032_20240702_02_T1", "platform": "landsat-7", "scene_cloud": 0.0,
     "cloud_box": (0.0, 0.0, 0.0, 0.0), "slc_off": True},
]
ALL_DATES = DATES + L7_DATES
SLC_PERIOD, SLC_MAX_GAP, SLC_TILT = 35, 14, 0.1
# The test view (lon/lat) lies inside the cloud box of 2024-07-10 for about half its area.
VIEW = (-105.78, 40.30, -105.62, 40.42)


def reflectance(date_index: int, band: str) -> np.ndarray:
    """The surface reflectance of a band on a date: smooth fields plus vegetation in a diagonal band."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64) / SIZE
    vegetation = np.clip(np.sin(6.0 * x + 3.0 * y + date_index) * 0.5 + 0.5, 0, 1)
    base = {"blue": 0.04, "green": 0.07, "red": 0.08, "nir08": 0.2}[band]
    swing = {"blue": -0.01, "green": 0.02, "red": -0.05, "nir08": 0.25}[band]
    return base + swing * vegetation + 0.01 * np.cos(9.0 * y)


def bands_of(date: dict[str, Any]) -> dict[str, tuple[str, float]]:
    """File names and wavelengths of a date's bands: Landsat 7's ETM+ numbers them one lower than OLI."""
    return ETM_BANDS if date["platform"] == "landsat-7" else BANDS


def slc_off_gaps() -> np.ndarray:
    """Where Landsat 7's scan-line gaps are (True: no data), on the scene's grid."""
    row, col = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    width = np.rint(SLC_MAX_GAP * np.abs(col / SIZE - 0.5) * 2)
    return ((row + SLC_TILT * col) % SLC_PERIOD) < width


def qa_pixel(date_index: int) -> np.ndarray:
    """The designed bit field of a date (an index into ``ALL_DATES``): cloud (with its dilation), cirrus at one
    edge of it, its shadow beside it, a fill corner, Landsat 7's gaps as fill; clear elsewhere."""
    qa = np.full((SIZE, SIZE), CLEAR, dtype=np.uint16)
    x0, y0, x1, y1 = (int(v * SIZE) for v in ALL_DATES[date_index]["cloud_box"])
    qa[y0:y1, x0:x1] = CLOUD | DILATED
    qa[y0:y0 + max(1, (y1 - y0) // 10), x0:x1] = CIRRUS
    shadow = slice(min(SIZE, y1), min(SIZE, y1 + 20)), slice(x0, x1)
    qa[shadow] = SHADOW
    qa[SIZE - 100:, SIZE - 100:] = FILL  # no data in one corner
    if ALL_DATES[date_index].get("slc_off"):
        qa[slc_off_gaps()] = FILL
    return qa


def _write_cog(path: pathlib.Path, array: np.ndarray, nodata: int | None) -> None:
    from osgeo import gdal, osr

    gdal.UseExceptions()
    mem = gdal.GetDriverByName("MEM").Create("", SIZE, SIZE, 1, gdal.GDT_UInt16)
    mem.SetGeoTransform((ULX, RES, 0.0, ULY, 0.0, -RES))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(EPSG)
    mem.SetProjection(srs.ExportToWkt())
    band = mem.GetRasterBand(1)
    if nodata is not None:
        band.SetNoDataValue(nodata)
    band.WriteArray(array)
    mem.BuildOverviews("NEAREST" if nodata is None else "AVERAGE", [2, 4, 8])
    gdal.Translate(str(path), mem, format="COG", creationOptions=[
        "BLOCKSIZE=256", "COMPRESS=DEFLATE", "OVERVIEWS=FORCE_USE_EXISTING"])


def build(root: pathlib.Path) -> pathlib.Path:
    """Write the files under ``root`` (once: reused when complete) and return it."""
    marker = root / "COMPLETE"
    if marker.exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    for index, date in enumerate(ALL_DATES):
        folder = root / date["id"]
        folder.mkdir(exist_ok=True)
        qa = qa_pixel(index)
        fill = (qa & FILL) != 0
        for band, (name, _) in bands_of(date).items():
            dn = np.rint((reflectance(index, band) - OFFSET) / SCALE).astype(np.uint16)
            dn[fill] = 0
            _write_cog(folder / f"{date['id']}_{name}.TIF", dn, 0)
        _write_cog(folder / f"{date['id']}_QA_PIXEL.TIF", qa, None)
    marker.write_text("")
    return root


def _footprint() -> tuple[dict[str, Any], list[float]]:
    from osgeo import osr

    utm, wgs84 = osr.SpatialReference(), osr.SpatialReference()
    utm.ImportFromEPSG(EPSG)
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_wgs84 = osr.CoordinateTransformation(utm, wgs84)
    corners = [(ULX, ULY), (ULX + SIZE * RES, ULY), (ULX + SIZE * RES, ULY - SIZE * RES), (ULX, ULY - SIZE * RES)]
    ring = [list(to_wgs84.TransformPoint(x, y)[:2]) for x, y in corners]
    ring.append(ring[0])
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    return {"type": "Polygon", "coordinates": [ring]}, [min(lons), min(lats), max(lons), max(lats)]


def make_items(root: pathlib.Path, files_url: str, api_url: str, dates: list[dict[str, Any]] = DATES
               ) -> list[dict[str, Any]]:
    """``landsat-c2-l2`` items shaped as Planetary Computer's (asset keys red, green, blue, nir08, qa_pixel;
    eo:bands common names; raster:bands scale/offset/nodata)."""
    geometry, bbox = _footprint()
    items = []
    for date in dates:
        assets: dict[str, Any] = {}
        for band, (name, wavelength) in bands_of(date).items():
            assets[band] = {
                "href": f"{files_url.rstrip('/')}/{date['id']}/{date['id']}_{name}.TIF",
                "type": "image/tiff; application=geotiff; profile=cloud-optimized", "roles": ["data"],
                "title": f"{band} band", "eo:bands": [{"name": name, "common_name": band,
                                                      "center_wavelength": wavelength}],
                "raster:bands": [{"scale": SCALE, "offset": OFFSET, "nodata": 0, "data_type": "uint16",
                                  "spatial_resolution": RES, "unit": "none"}],
                "proj:shape": [SIZE, SIZE], "proj:transform": [RES, 0.0, ULX, 0.0, -RES, ULY],
            }
        assets["qa_pixel"] = {
            "href": f"{files_url.rstrip('/')}/{date['id']}/{date['id']}_QA_PIXEL.TIF",
            "type": "image/tiff; application=geotiff; profile=cloud-optimized", "roles": ["cloud", "cloud-shadow",
                                                                                       "snow-ice", "water-mask"],
            "title": "Pixel Quality Assessment Band", "raster:bands": [{"data_type": "uint16", "unit": "bit index"}],
            "proj:shape": [SIZE, SIZE], "proj:transform": [RES, 0.0, ULX, 0.0, -RES, ULY],
        }
        items.append({
            "type": "Feature", "stac_version": "1.0.0", "id": date["id"], "collection": "landsat-c2-l2",
            "stac_extensions": ["https://stac-extensions.github.io/eo/v1.0.0/schema.json",
                                "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
                                "https://stac-extensions.github.io/projection/v1.1.0/schema.json"],
            "geometry": geometry, "bbox": bbox,
            "properties": {"datetime": f"{date['date']}T17:40:12.000000Z", "platform": date["platform"],
                           "eo:cloud_cover": date["scene_cloud"], "proj:epsg": EPSG,
                           "landsat:wrs_path": "034", "landsat:wrs_row": "032"},
            "links": [{"rel": "self", "href": f"{api_url.rstrip('/')}/collections/landsat-c2-l2/items/{date['id']}"}],
            "assets": assets,
        })
    return items


def write_items(items: list[dict[str, Any]], path: pathlib.Path) -> pathlib.Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    return path
