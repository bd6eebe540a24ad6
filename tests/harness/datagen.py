"""Deterministic Sentinel-2 L2A-like test data: COGs laid out like s3://sentinel-cogs, and STAC items.

Two adjacent MGRS tiles over Rocky Mountain National Park (13TDE, 13TEE), five dates each.
`build_dataset` writes the files once into a cache folder keyed by GENERATOR_VERSION;
`make_items`/`make_collection` turn its scenes.json into Earth Search-shaped STAC JSON
pointing at any base URL. See `python -m tests.harness.datagen --help`.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import fcntl
import json
import multiprocessing
import os
import pathlib
import shutil
import sys
import time
from typing import Any, Iterator

import numpy as np

GENERATOR_VERSION = "2"

TILES: dict[str, dict] = {
    "13TDE": {"epsg": 32613, "ulx": 399960, "uly": 4500000},
    "13TEE": {"epsg": 32613, "ulx": 499980, "uly": 4500000},
}
TILE_EXTENT_M = 109800

# Target cloud cover over both tiles; the least cloudy date (06-23) is not the newest (09-16).
DATES: list[dict[str, Any]] = [
    {"date": "2024-05-14", "platform": "S2B", "cloud": 45.0, "snowline": 3000.0, "greenness": 0.45,
     "tint": (1.0, 1.0, 1.02, 0.95)},
    {"date": "2024-06-23", "platform": "S2B", "cloud": 1.2, "snowline": 3550.0, "greenness": 1.0,
     "tint": (1.0, 1.0, 1.0, 1.0)},
    {"date": "2024-07-18", "platform": "S2A", "cloud": 90.0, "snowline": 3950.0, "greenness": 0.9,
     "tint": (1.0, 1.01, 1.0, 1.0)},
    {"date": "2024-08-22", "platform": "S2B", "cloud": 18.0, "snowline": 4050.0, "greenness": 0.65,
     "tint": (1.0, 1.0, 1.03, 0.97)},
    {"date": "2024-09-16", "platform": "S2A", "cloud": 8.5, "snowline": 3750.0, "greenness": 0.35,
     "tint": (0.98, 1.0, 1.06, 0.92)},
]
# Orbit edge: on these dates 13TEE has no data east of a line from (545000, top) to (600000, bottom).
WEDGE = {"tiles": ("13TEE",), "dates": ("2024-06-23", "2024-09-16"),
         "x_top": 545000.0, "x_bottom": 600000.0}
SENSING_TIME = {"13TDE": "17:52:31.024000", "13TEE": "17:52:27.441000"}

# Asset key -> file, 10 m pixels per full-size pixel, block, overview block, resampling.
ASSETS: dict[str, dict[str, Any]] = {
    "aot": {"file": "AOT.tif", "res": 20, "block": 256, "ovr_block": 128, "resampling": "MODE"},
    "blue": {"file": "B02.tif", "res": 10, "block": 1024, "ovr_block": 512, "resampling": "AVERAGE", "band": 0},
    "green": {"file": "B03.tif", "res": 10, "block": 1024, "ovr_block": 512, "resampling": "AVERAGE", "band": 1},
    "nir": {"file": "B08.tif", "res": 10, "block": 1024, "ovr_block": 512, "resampling": "AVERAGE", "band": 3},
    "red": {"file": "B04.tif", "res": 10, "block": 1024, "ovr_block": 512, "resampling": "AVERAGE", "band": 2},
    "scl": {"file": "SCL.tif", "res": 20, "block": 512, "ovr_block": 256, "resampling": "MODE"},
    "thumbnail": {"file": "thumbnail.jpg"},
    "visual": {"file": "TCI.tif", "res": 10, "block": 1024, "ovr_block": 512, "resampling": "AVERAGE"},
}
SIZES = ("full", "small")
SMALL_RES, SMALL_BLOCK, SMALL_OVR_BLOCK, SMALL_FACTORS = 60, 256, 128, [2, 4]
TCI_FULL_SCALE = 0.25  # surface reflectance drawn as 255 in the true colour image
BOA_ADD_OFFSET = 1000
THUMBNAIL_STEP = 5  # thumbnail = every 5th lattice point (300 m), 367 x 367 px

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"  # recorded STAC JSON, in the repository
DEFAULT_CACHE = pathlib.Path(os.environ.get(
    "STAC_QL_TESTDATA", pathlib.Path(__file__).resolve().parents[2] / ".cache" / "testdata"))
_MARKER = "COMPLETE"
_RECORDED_API = "https://earth-search.aws.element84.com/v1"


def _log(message: str) -> None:
    print(f"[datagen] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- layout

def asset_layout(key: str, size: str) -> dict[str, Any]:
    """Pixel size, shape, block sizes and overview factors of one asset file at one size."""
    spec = ASSETS[key]
    if size == "small":
        res, block, ovr_block, factors = SMALL_RES, SMALL_BLOCK, SMALL_OVR_BLOCK, list(SMALL_FACTORS)
    else:
        res, block, ovr_block = spec["res"], spec["block"], spec["ovr_block"]
        factors = cogeo_overview_factors(TILE_EXTENT_M // res, block)
    return {"res": res, "shape": [TILE_EXTENT_M // res] * 2, "block": block, "ovr_block": ovr_block,
            "factors": factors, "resampling": spec["resampling"]}


def cogeo_overview_factors(width: int, blocksize: int) -> list[int]:
    """Overview factors as rio-cogeo 1.1 chooses them: halve while the side stays above one block."""
    factor, factors = 1, []
    while width // factor > blocksize:
        factor *= 2
        factors.append(factor)
    return factors


def _scene_id(tile: str, date: dict) -> str:
    return f"{date['platform']}_{tile}_{date['date'].replace('-', '')}_0_L2A"


def _mgrs(tile: str) -> tuple[int, str, str]:
    return int(tile[:2]), tile[2], tile[3:]


def _scene_dir(tile: str, date: dict) -> str:
    zone, band, square = _mgrs(tile)
    year, month, _ = date["date"].split("-")
    return f"sentinel-s2-l2a-cogs/{zone}/{band}/{square}/{year}/{int(month)}/{_scene_id(tile, date)}"


def _has_wedge(tile: str, date: dict) -> bool:
    return tile in WEDGE["tiles"] and date["date"] in WEDGE["dates"]


def _wedge_x(y: np.ndarray | float) -> np.ndarray | float:
    """x of the orbit edge at northing y; pixels east of it have no data."""
    top = TILES["13TEE"]["uly"]
    return WEDGE["x_top"] + (top - y) * (WEDGE["x_bottom"] - WEDGE["x_top"]) / TILE_EXTENT_M


def _apply_wedge(arrays: list[np.ndarray], tile: str, res: float) -> None:
    """Zero (nodata) every pixel whose centre lies east of the orbit edge."""
    info = TILES[tile]
    rows = arrays[0].shape[0]
    y = info["uly"] - res * (np.arange(rows) + 0.5)
    first = np.clip(np.ceil((_wedge_x(y) - info["ulx"]) / res - 0.5), 0, arrays[0].shape[1]).astype(int)
    for array in arrays:
        for row, col in enumerate(first):
            array[row, col:] = 0


# ----------------------------------------------------------------------------- synthesis jobs

def _lattice_slice(tile: str) -> tuple[slice, slice]:
    from tests.harness import landscape

    col0 = (TILES[tile]["ulx"] - landscape.WORLD_ULX) // landscape.LATTICE_M
    row0 = (landscape.WORLD_ULY - TILES[tile]["uly"]) // landscape.LATTICE_M
    n = TILE_EXTENT_M // landscape.LATTICE_M + 1
    return slice(row0, row0 + n), slice(col0, col0 + n)


def _noise_job(name: str) -> np.ndarray:
    from tests.harness import landscape

    return landscape.terrain_noise(name)


def _terrain(pool: Any, workdir: str) -> None:
    from tests.harness import landscape

    started = time.monotonic()
    names = list(landscape.TERRAIN_NOISE)
    land = landscape.terrain(dict(zip(names, _run(pool, _noise_job, names))))
    for name, array in land.items():
        np.save(os.path.join(workdir, f"terrain_{name}.npy"), array)
    _log(f"terrain lattice {time.monotonic() - started:.1f}s")


def _scene_job(args: tuple[str, int]) -> None:
    from tests.harness import landscape

    workdir, index = args
    started = time.monotonic()
    date = DATES[index]
    land = {p.stem[len("terrain_"):]: np.load(p) for p in pathlib.Path(workdir).glob("terrain_*.npy")}
    fields = landscape.scene(land, season=date, cloud_seed=7000 + index, cloud_fraction=date["cloud"] / 100.0)
    reflectance = fields.pop("reflectance")
    np.save(os.path.join(workdir, f"{date['date']}_dn.npy"), reflectance * 10000.0 + BOA_ADD_OFFSET)
    tci = np.clip(reflectance[[2, 1, 0]] * (255.0 / TCI_FULL_SCALE), 1.0, 255.0)
    np.save(os.path.join(workdir, f"{date['date']}_tci.npy"), tci.astype(np.float32))
    aot = np.clip(0.08 + 0.00002 * (3800.0 - land["elevation"]) + 0.015 * land["moisture"]
                  + 0.01 * index, 0.02, 0.6) * 1000.0
    np.save(os.path.join(workdir, f"{date['date']}_aot.npy"), aot.astype(np.float32))
    for name, array in fields.items():
        np.save(os.path.join(workdir, f"{date['date']}_{name}.npy"), array)
    _log(f"scene lattice {date['date']} {time.monotonic() - started:.1f}s")


def _load(workdir: str, date: dict, name: str, tile: str) -> np.ndarray:
    rows, cols = _lattice_slice(tile)
    array = np.load(os.path.join(workdir, f"{date['date']}_{name}.npy"), mmap_mode="r")
    return np.ascontiguousarray(array[..., rows, cols])


def _asset_job(args: tuple[str, str, str, int, str, str]) -> dict[str, Any] | None:
    """Write one asset file of one scene; the SCL job also returns the scene's class statistics."""
    from tests.harness import landscape

    workdir, size, tile, index, key, out_path = args
    started = time.monotonic()
    date = DATES[index]
    wedge = _has_wedge(tile, date)
    if key == "thumbnail":
        tci = _load(workdir, date, "tci", tile)[:, ::THUMBNAIL_STEP, ::THUMBNAIL_STEP]
        pixels = [np.rint(band).astype(np.uint8) for band in tci]
        if wedge:
            _apply_wedge(pixels, tile, landscape.LATTICE_M * THUMBNAIL_STEP)
        _write_jpeg(out_path, pixels)
        _log(f"wrote {out_path} {time.monotonic() - started:.1f}s")
        return None
    layout = asset_layout(key, size)
    factor = landscape.LATTICE_M // layout["res"]
    shape = tuple(layout["shape"])
    stats = None
    if key == "visual":
        tci = _load(workdir, date, "tci", tile)
        bands = [landscape.upsample(tci[i], factor, np.empty(shape, np.uint8)) for i in range(3)]
    elif key in ("red", "green", "blue", "nir"):
        dn = _load(workdir, date, "dn", tile)[ASSETS[key]["band"]]
        bands = [landscape.upsample(dn, factor, np.empty(shape, np.uint16))]
    elif key == "aot":
        bands = [landscape.upsample(_load(workdir, date, "aot", tile), factor, np.empty(shape, np.uint16))]
    else:  # scl
        scl = landscape.nearest(_load(workdir, date, "land_class", tile), factor)
        alpha = landscape.upsample(_load(workdir, date, "alpha", tile) * 200.0, factor, np.empty(shape, np.uint8))
        shadow = landscape.upsample(_load(workdir, date, "shadow", tile) * 200.0, factor, np.empty(shape, np.uint8))
        scl[(shadow > landscape.CLOUD_ALPHA * 200) & (alpha <= landscape.CLOUD_ALPHA * 200)] = landscape.SCL_SHADOW
        scl[alpha > landscape.CLOUD_ALPHA * 200] = landscape.SCL_CLOUD_MEDIUM
        scl[alpha > landscape.CLOUD_ALPHA_HIGH * 200] = landscape.SCL_CLOUD_HIGH
        bands = [scl]
    if wedge:
        _apply_wedge(bands, tile, layout["res"])
    if key == "scl":
        stats = _scl_stats(bands[0])
    info = TILES[tile]
    _write_cog(out_path, bands, epsg=info["epsg"], ulx=info["ulx"], uly=info["uly"], **layout)
    _log(f"wrote {out_path} {time.monotonic() - started:.1f}s")
    return stats


def _scl_stats(scl: np.ndarray) -> dict[str, float]:
    counts = np.bincount(scl.ravel(), minlength=12).astype(np.float64)
    total = counts.sum()
    valid = max(total - counts[0], 1.0)

    def pct(*codes: int) -> float:
        return round(float(sum(counts[c] for c in codes)) * 100.0 / valid, 6)

    return {
        "eo:cloud_cover": pct(8, 9, 10),
        "s2:nodata_pixel_percentage": round(float(counts[0]) * 100.0 / total, 6),
        "s2:cloud_shadow_percentage": pct(3),
        "s2:vegetation_percentage": pct(4),
        "s2:not_vegetated_percentage": pct(5),
        "s2:water_percentage": pct(6),
        "s2:medium_proba_clouds_percentage": pct(8),
        "s2:high_proba_clouds_percentage": pct(9),
        "s2:thin_cirrus_percentage": pct(10),
        "s2:snow_ice_percentage": pct(11),
    }


# ----------------------------------------------------------------------------- writers

def _write_cog(path: str, bands: list[np.ndarray], *, epsg: int, ulx: float, uly: float, res: int,
               shape: list[int], block: int, ovr_block: int, factors: list[int], resampling: str) -> None:
    """A COG like rio-cogeo's deflate profile: overviews in memory, then one copy with them first."""
    from osgeo import gdal, osr

    gdal.UseExceptions()
    gdal_type = gdal.GDT_Byte if bands[0].dtype == np.uint8 else gdal.GDT_UInt16
    mem = gdal.GetDriverByName("MEM").Create("", shape[1], shape[0], len(bands), gdal_type)
    mem.SetGeoTransform((ulx, res, 0.0, uly, 0.0, -res))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    mem.SetProjection(srs.ExportToWkt())
    for i, array in enumerate(bands):
        band = mem.GetRasterBand(i + 1)
        band.SetNoDataValue(0)
        band.WriteArray(array)
        if len(bands) == 3:
            band.SetColorInterpretation((gdal.GCI_RedBand, gdal.GCI_GreenBand, gdal.GCI_BlueBand)[i])
    options = ["TILED=YES", f"BLOCKXSIZE={block}", f"BLOCKYSIZE={block}", "COMPRESS=DEFLATE",
               "PREDICTOR=2", "ZLEVEL=1", "INTERLEAVE=PIXEL", "BIGTIFF=IF_SAFER", "COPY_SRC_OVERVIEWS=YES"]
    with _gdal_config(GDAL_TIFF_OVR_BLOCKSIZE=str(ovr_block), GDAL_PAM_ENABLED="NO"):
        if resampling == "AVERAGE" and factors == [2**i for i in range(1, len(factors) + 1)]:
            # Same result as GDAL's nodata-aware AVERAGE for 2x2 steps, about 5x faster.
            mem.BuildOverviews("NONE", factors)
            for i, array in enumerate(bands):
                band = mem.GetRasterBand(i + 1)
                for level, overview in enumerate(_average_pyramid(array, len(factors))):
                    band.GetOverview(level).WriteArray(overview)
        else:
            mem.BuildOverviews(resampling, factors)
        gdal.GetDriverByName("GTiff").CreateCopy(path, mem, strict=True, options=options)
    mem = None


def _average_pyramid(array: np.ndarray, levels: int) -> Iterator[np.ndarray]:
    """Successive 2x2 means ignoring nodata (0); odd edges average what is there, as GDAL does."""
    for _ in range(levels):
        rows, cols = array.shape
        if rows % 2 or cols % 2:
            array = np.pad(array, ((0, rows % 2), (0, cols % 2)), mode="edge")
        quads = (array[0::2, 0::2], array[1::2, 0::2], array[0::2, 1::2], array[1::2, 1::2])
        total = quads[0].astype(np.float32)
        for quad in quads[1:]:
            total += quad
        if array.all():
            total *= 0.25
        else:
            count = sum((quad != 0).astype(np.uint8) for quad in quads)
            total /= np.maximum(count, 1)
        total += 0.5
        array = total.astype(array.dtype)
        yield array


def _write_jpeg(path: str, bands: list[np.ndarray]) -> None:
    from osgeo import gdal

    gdal.UseExceptions()
    rows, cols = bands[0].shape
    mem = gdal.GetDriverByName("MEM").Create("", cols, rows, 3, gdal.GDT_Byte)
    for i, array in enumerate(bands):
        mem.GetRasterBand(i + 1).WriteArray(array)
    with _gdal_config(GDAL_PAM_ENABLED="NO"):
        gdal.GetDriverByName("JPEG").CreateCopy(path, mem, options=["QUALITY=85"])


@contextlib.contextmanager
def _gdal_config(**options: str) -> Iterator[None]:
    from osgeo import gdal

    old = {k: gdal.GetConfigOption(k) for k in options}
    for k, v in options.items():
        gdal.SetConfigOption(k, v)
    try:
        yield
    finally:
        for k, v in old.items():
            gdal.SetConfigOption(k, v)


# ----------------------------------------------------------------------------- build

def _pool_size() -> int:
    return max(1, int(os.environ.get("STAC_QL_DATAGEN_PROCESSES", "2")))


def _run(pool: Any, func: Any, jobs: list) -> list:
    if pool is None:
        return [func(job) for job in jobs]
    return pool.map(func, jobs, chunksize=1)


def build_dataset(cache_dir: pathlib.Path, size: str = "full") -> pathlib.Path:
    """Build (once) and return <cache_dir>/<size>-v<GENERATOR_VERSION>/ with cogs/ and scenes.json."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, not {size!r}")
    cache_dir = pathlib.Path(cache_dir)
    final = cache_dir / f"{size}-v{GENERATOR_VERSION}"
    if (final / _MARKER).is_file():
        return final
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / f".{final.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second caller waits here, then finds the marker
        if (final / _MARKER).is_file():
            return final
        if final.exists():
            shutil.rmtree(final)  # a dataset without its marker is not ours to trust
        building = cache_dir / f".building-{final.name}-{os.getpid()}"
        if building.exists():
            shutil.rmtree(building)
        building.mkdir()
        try:
            _build_into(building, size)
            os.rename(building, final)
        finally:
            if building.exists():
                shutil.rmtree(building, ignore_errors=True)
    return final


def _build_into(root: pathlib.Path, size: str) -> None:
    started = time.monotonic()
    workdir = root / "_lattice"
    workdir.mkdir()
    scenes, jobs = [], []
    for index, date in enumerate(DATES):
        for tile in TILES:
            scene_dir = _scene_dir(tile, date)
            (root / "cogs" / scene_dir).mkdir(parents=True)
            assets = {}
            for key, spec in ASSETS.items():
                relpath = f"{scene_dir}/{spec['file']}"
                assets[key] = {"relpath": relpath}
                if key != "thumbnail":
                    layout = asset_layout(key, size)
                    info = TILES[tile]
                    assets[key].update(shape=layout["shape"], transform=[
                        layout["res"], 0, info["ulx"], 0, -layout["res"], info["uly"]])
                jobs.append((str(workdir), size, tile, index, key, str(root / "cogs" / relpath)))
            scenes.append({"id": _scene_id(tile, date), "tile": tile, "date_index": index, "assets": assets})
    # Big 10 m files first so both workers stay busy to the end.
    order = sorted(range(len(jobs)), key=lambda i: ASSETS[jobs[i][4]].get("res", 99))
    ctx = multiprocessing.get_context("spawn")
    processes = _pool_size()
    with (ctx.Pool(processes) if processes > 1 else contextlib.nullcontext()) as pool:
        _terrain(pool, str(workdir))
        _run(pool, _scene_job, [(str(workdir), i) for i in range(len(DATES))])
        results = _run(pool, _asset_job, [jobs[i] for i in order])
    stats = {}
    for i, result in zip(order, results):
        if result is not None:
            stats[(jobs[i][2], jobs[i][3])] = result
    for scene in scenes:
        date = DATES[scene["date_index"]]
        scene.update(_scene_properties(scene["tile"], date, size))
        scene["stats"] = stats[(scene["tile"], scene["date_index"])]
        scene["geometry"] = _footprint(scene["tile"], _has_wedge(scene["tile"], date))
    shutil.rmtree(workdir)
    document = {"generator_version": GENERATOR_VERSION, "size": size, "tiles": TILES, "scenes": scenes}
    (root / "scenes.json").write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")
    (root / _MARKER).write_text(f"{GENERATOR_VERSION}\n")
    _log(f"built {size} dataset ({len(jobs)} files) in {time.monotonic() - started:.1f}s")


def _scene_properties(tile: str, date: dict, size: str) -> dict[str, Any]:
    return {"date": date["date"], "datetime": f"{date['date']}T{SENSING_TIME[tile]}Z",
            "platform": date["platform"], "epsg": TILES[tile]["epsg"],
            "nodata_wedge": _has_wedge(tile, date), "size": size}


def _footprint(tile: str, wedge: bool) -> dict[str, Any]:
    """WGS84 polygon of the tile's data area (the tile square, cut at the orbit edge if any)."""
    from osgeo import osr

    info = TILES[tile]
    ulx, uly = info["ulx"], info["uly"]
    lrx, lry = ulx + TILE_EXTENT_M, uly - TILE_EXTENT_M
    corners = [(ulx, uly), (ulx, lry)]
    if wedge:
        corners += [(float(_wedge_x(lry)), lry), (float(_wedge_x(uly)), uly)]
    else:
        corners += [(lrx, lry), (lrx, uly)]
    src = osr.SpatialReference()
    src.ImportFromEPSG(info["epsg"])
    dst = osr.SpatialReference()
    dst.ImportFromEPSG(4326)
    dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    transform = osr.CoordinateTransformation(src, dst)
    ring = [list(transform.TransformPoint(float(x), float(y))[:2]) for x, y in corners]
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


# ----------------------------------------------------------------------------- STAC

def _recorded_item() -> dict[str, Any]:
    return json.loads((FIXTURES / "earth-search" / "items" / "S2A_13TDE_20231008_0_L2A.json").read_text())


def _recorded_collection() -> dict[str, Any]:
    return json.loads((FIXTURES / "earth-search" / "collection_sentinel-2-l2a.json").read_text())


def make_items(dataset_dir: pathlib.Path, cog_base_url: str, api_base_url: str,
               collection: str = "sentinel-2-l2a") -> list[dict]:
    """STAC 1.0.0 items for every scene of a built dataset, shaped like the recorded Earth Search item."""
    document = json.loads((pathlib.Path(dataset_dir) / "scenes.json").read_text())
    template = _recorded_item()
    api = api_base_url.rstrip("/")
    cogs = cog_base_url.rstrip("/")
    items = []
    for scene in sorted(document["scenes"], key=lambda s: (s["datetime"], s["tile"]), reverse=True):
        items.append(_make_item(scene, template, cogs, api, collection))
    return items


def _make_item(scene: dict, template: dict, cogs: str, api: str, collection: str) -> dict[str, Any]:
    item_id, tile = scene["id"], scene["tile"]
    zone, band, square = _mgrs(tile)
    compact = scene["date"].replace("-", "")
    platform = scene["platform"]
    stamp = scene["datetime"].replace("-", "").replace(":", "")[:15]
    created = f"{scene['date']}T23:41:07.112Z"
    properties = dict(template["properties"])
    properties.update({
        "created": created,
        "platform": f"sentinel-{platform[1:].lower()}",
        "proj:epsg": scene["epsg"],
        "mgrs:utm_zone": zone, "mgrs:latitude_band": band, "mgrs:grid_square": square,
        "grid:code": f"MGRS-{tile}",
        "view:sun_azimuth": 150.0, "view:sun_elevation": 45.0,
        "s2:degraded_msi_data_percentage": 0,
        "s2:saturated_defective_pixel_percentage": 0,
        "s2:dark_features_percentage": 0,
        "s2:unclassified_percentage": 0,
        **scene["stats"],
        "s2:processing_baseline": "05.10",
        "s2:product_uri": f"{platform}_MSIL2A_{stamp}_N0510_R141_T{tile}_{compact}T221245.SAFE",
        "s2:generation_time": f"{scene['date']}T22:12:45.000000Z",
        "s2:datatake_id": f"G{platform}_{stamp}_000000_N05.10",
        "s2:datastrip_id": f"{platform}_OPER_MSI_L2A_DS_2BPS_{compact}T221245_S{stamp}_N05.10",
        "s2:granule_id": f"{platform}_OPER_MSI_L2A_TL_2BPS_{compact}T221245_A000000_T{tile}_N05.10",
        "s2:reflectance_conversion_factor": 1.0,
        "datetime": scene["datetime"],
        "earthsearch:s3_path": "s3://sentinel-cogs/" + scene["assets"]["visual"]["relpath"].rsplit("/", 1)[0],
        "earthsearch:payload_id": f"roda-sentinel2/workflow-sentinel2-to-stac/synthetic-{item_id}",
        "updated": created,
    })
    items_url = f"{api}/collections/{collection}"
    links = [
        {"rel": "self", "type": "application/geo+json", "href": f"{items_url}/items/{item_id}"},
        {"rel": "license", "href": "https://sentinel.esa.int/documents/247904/690755/Sentinel_Data_Legal_Notice"},
        {"rel": "parent", "type": "application/json", "href": items_url},
        {"rel": "collection", "type": "application/json", "href": items_url},
        {"rel": "root", "type": "application/json", "href": api},
    ]
    assets = {}
    for key in ASSETS:  # alphabetical, as in the recorded item
        asset = copy.deepcopy(template["assets"][key])
        made = scene["assets"][key]
        asset["href"] = f"{cogs}/{made['relpath']}"
        if "shape" in made:
            res = made["transform"][0]
            asset["proj:shape"] = list(made["shape"])
            asset["proj:transform"] = list(made["transform"])
            if "gsd" in asset:
                asset["gsd"] = res
            for raster_band in asset.get("raster:bands", []):
                raster_band["spatial_resolution"] = res
        assets[key] = asset
    ring = scene["geometry"]["coordinates"][0]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": item_id,
        "properties": properties,
        "geometry": copy.deepcopy(scene["geometry"]),
        "links": links,
        "assets": assets,
        "bbox": [min(lons), min(lats), max(lons), max(lats)],
        "stac_extensions": list(template["stac_extensions"]),
        "collection": collection,
    }


def make_collection(api_base_url: str, collection: str = "sentinel-2-l2a",
                    items: list[dict] | None = None) -> dict:
    """The recorded collection (item_assets kept) with links to api_base_url and the items' extent."""
    api = api_base_url.rstrip("/")
    document = _recorded_collection()
    document["id"] = collection
    for link in document["links"]:
        if link["href"].startswith(_RECORDED_API):
            link["href"] = api + link["href"][len(_RECORDED_API):].replace("/sentinel-2-l2a", f"/{collection}")
    if items:
        west = min(i["bbox"][0] for i in items)
        south = min(i["bbox"][1] for i in items)
        east = max(i["bbox"][2] for i in items)
        north = max(i["bbox"][3] for i in items)
        times = sorted(i["properties"]["datetime"] for i in items)
        document["extent"] = {"spatial": {"bbox": [[west, south, east, north]]},
                              "temporal": {"interval": [[times[0], times[-1]]]}}
    return document


def write_item_collection(items: list[dict], path: pathlib.Path) -> pathlib.Path:
    """Write the items as a GeoJSON FeatureCollection and return the path."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": items}, indent=1) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.harness.datagen", description=__doc__)
    parser.add_argument("--size", choices=SIZES, default="full")
    parser.add_argument("--cache", type=pathlib.Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    print(build_dataset(args.cache, args.size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
