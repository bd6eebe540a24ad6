"""Earth Search as served in 2026, generated from a built dataset (tests.harness.datagen):

- v1 with two Sentinel-2 L2A collections: ``sentinel-2-c1-l2a`` (Collection 1: ids like
  ``S2B_T13TDE_20240623T175231_L2A``, files under ``e84-earth-search-sentinel-data/sentinel-2-c1-l2a/...``,
  shaped on the recorded C1 item) and the old ``sentinel-2-l2a``, which misses some acquisitions
  (``OLD_MISSES``: the clearest date, as the real collection misses thousands of scenes a month);
- v2 (STAC 1.1.0, eo/raster/projection 2.0): its ``sentinel-2-l2a`` is the C1 data under C1 ids, single-band
  assets carry ``eo:common_name``, ``raster:scale``, ``raster:offset``, ``nodata``, ``data_type`` on the asset,
  ``visual`` a ``bands`` array, ``proj:code`` instead of ``proj:epsg``, and no thumbnail.

The C1 files are hard links to the dataset's own (the same pixels, DN = 10000 x (reflectance + 0.1)),
laid out as the real bucket, so a COG server over the test-data cache serves both layouts.
"""
from __future__ import annotations

import copy
import json
import os
import pathlib
from typing import Any

from tests.harness import datagen

C1 = "sentinel-2-c1-l2a"
OLD = "sentinel-2-l2a"
C1_BUCKET = "e84-earth-search-sentinel-data"
OLD_MISSES = ("2024-06-23",)  # dates the old collection lacks: C1 alone has them
C1_FILES = {"aot": "AOT.tif", "blue": "B02.tif", "green": "B03.tif", "nir": "B08.tif", "red": "B04.tif",
            "scl": "SCL.tif", "visual": "TCI.tif", "thumbnail": "L2A_PVI.jpg"}
C1_TEMPLATE = "S2A_T13TDE_20240422T174753_L2A.json"  # recorded, tests/fixtures/earth-search/items
STAC_11_EXTENSIONS = ["https://stac-extensions.github.io/eo/v2.0.0/schema.json",
                      "https://stac-extensions.github.io/raster/v2.0.0/schema.json",
                      "https://stac-extensions.github.io/projection/v2.0.0/schema.json",
                      "https://stac-extensions.github.io/grid/v1.1.0/schema.json",
                      "https://stac-extensions.github.io/mgrs/v1.0.0/schema.json"]


def _scenes(dataset_dir: pathlib.Path) -> list[dict[str, Any]]:
    document = json.loads((pathlib.Path(dataset_dir) / "scenes.json").read_text())
    return sorted(document["scenes"], key=lambda s: (s["datetime"], s["tile"]), reverse=True)


def c1_id(scene: dict[str, Any]) -> str:
    stamp = scene["datetime"].replace("-", "").replace(":", "")[:15]  # 20240623T175231
    return f"{scene['platform']}_T{scene['tile']}_{stamp}_L2A"


def _c1_relpath(scene: dict[str, Any], key: str) -> str:
    tile = scene["tile"]
    year, month, _ = scene["date"].split("-")
    return f"{C1}/{tile[:2]}/{tile[2]}/{tile[3:]}/{year}/{int(month)}/{c1_id(scene)}/{C1_FILES[key]}"


def link_c1_files(dataset_dir: pathlib.Path) -> pathlib.Path:
    """Hard links laying the dataset out as the C1 bucket (idempotent); returns the bucket folder."""
    bucket = pathlib.Path(dataset_dir) / C1_BUCKET
    for scene in _scenes(dataset_dir):
        for key, made in scene["assets"].items():
            target = bucket / _c1_relpath(scene, key)
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(pathlib.Path(dataset_dir) / "cogs" / made["relpath"], target)
            except FileExistsError:
                pass  # a concurrent run made it
    return bucket


def _c1_template() -> dict[str, Any]:
    return json.loads((datagen.FIXTURES / "earth-search" / "items" / C1_TEMPLATE).read_text())


def make_c1_items(dataset_dir: pathlib.Path, bucket_url: str, api_url: str) -> list[dict[str, Any]]:
    """``sentinel-2-c1-l2a`` items (STAC 1.0.0, as v1 serves them) for every scene; files under ``bucket_url``."""
    link_c1_files(dataset_dir)
    template = _c1_template()
    old = {i["id"]: i for i in datagen.make_items(dataset_dir, "http://unused.invalid", api_url, OLD)}
    items = []
    for scene in _scenes(dataset_dir):
        item = copy.deepcopy(template)
        base = old[scene["id"]]
        item["id"] = c1_id(scene)
        item["collection"] = C1
        item["geometry"], item["bbox"] = base["geometry"], base["bbox"]
        props = item["properties"]
        for key in list(props):
            if key.startswith(("s2:", "eo:", "view:", "mgrs:", "grid:", "proj:", "earthsearch:")):
                props.pop(key)
        props.update({k: v for k, v in base["properties"].items()
                      if k.startswith(("s2:", "eo:", "view:", "mgrs:", "grid:", "proj:"))})
        props.update(datetime=scene["datetime"], platform=base["properties"]["platform"])
        props.pop("proj:centroid", None)
        item["links"] = [{"rel": "self", "type": "application/geo+json",
                          "href": f"{api_url.rstrip('/')}/collections/{C1}/items/{item['id']}"}]
        assets = {}
        for key in C1_FILES:
            asset = copy.deepcopy(template["assets"][key])
            asset["href"] = f"{bucket_url.rstrip('/')}/{_c1_relpath(scene, key)}"
            made = scene["assets"][key]
            if "shape" in made:
                asset["proj:shape"], asset["proj:transform"] = list(made["shape"]), list(made["transform"])
                asset["gsd"] = made["transform"][0]
                for band in asset.get("raster:bands", []):
                    band["spatial_resolution"] = made["transform"][0]
            asset.pop("file:checksum", None)
            asset.pop("file:size", None)
            assets[key] = asset
        item["assets"] = assets
        items.append(item)
    return items


def make_old_items(dataset_dir: pathlib.Path, cog_base_url: str, api_url: str) -> list[dict[str, Any]]:
    """The old ``sentinel-2-l2a`` items, less the acquisitions it misses (OLD_MISSES)."""
    return [i for i in datagen.make_items(dataset_dir, cog_base_url, api_url, OLD)
            if i["properties"]["datetime"][:10] not in OLD_MISSES]


# -- Earth Search v2: STAC 1.1 ---------------------------------------------------------------------
_EO_FIELDS = {"name": "name", "common_name": "eo:common_name", "center_wavelength": "eo:center_wavelength",
              "full_width_half_max": "eo:full_width_half_max"}
_RASTER_FIELDS = {"nodata": "nodata", "data_type": "data_type", "scale": "raster:scale", "offset": "raster:offset",
                  "spatial_resolution": "raster:spatial_resolution", "bits_per_sample": "raster:bits_per_sample"}


def _band_fields(eo: dict[str, Any], raster: dict[str, Any]) -> dict[str, Any]:
    out = {new: eo[old] for old, new in _EO_FIELDS.items() if old in eo}
    out.update({new: raster[old] for old, new in _RASTER_FIELDS.items() if old in raster})
    return out


def to_stac_11(item: dict[str, Any], collection: str = OLD) -> dict[str, Any]:
    """A v1 C1 item as Earth Search v2 serves it (STAC 1.1.0, eo/raster/projection 2.0)."""
    out = copy.deepcopy(item)
    out["stac_version"] = "1.1.0"
    out["stac_extensions"] = list(STAC_11_EXTENSIONS)
    out["collection"] = collection
    props = out["properties"]
    epsg = props.pop("proj:epsg", None)
    if epsg:
        props["proj:code"] = f"EPSG:{epsg}"
    out["links"] = [ln for ln in out.get("links", []) if ln.get("rel") != "thumbnail"]
    out["assets"].pop("thumbnail", None)
    for asset in out["assets"].values():
        eo, raster = asset.pop("eo:bands", []), asset.pop("raster:bands", [])
        if "proj:epsg" in asset:
            asset["proj:code"] = f"EPSG:{asset.pop('proj:epsg')}"
        n = max(len(eo), len(raster))
        bands = [_band_fields(eo[i] if i < len(eo) else {}, raster[i] if i < len(raster) else {})
                 for i in range(n)]
        if n == 1:
            asset.update(bands[0])
        elif n > 1:
            asset["bands"] = bands
    return out


def make_v2_items(dataset_dir: pathlib.Path, bucket_url: str, api_url: str) -> list[dict[str, Any]]:
    """Earth Search v2's ``sentinel-2-l2a``: the C1 items in STAC 1.1 form."""
    return [to_stac_11(i) for i in make_c1_items(dataset_dir, bucket_url, api_url)]


# -- Planetary Computer's asset keys -----------------------------------------------------------------
PC_KEYS = {"aot": "AOT", "blue": "B02", "green": "B03", "red": "B04", "nir": "B08", "scl": "SCL", "visual": "visual"}


def to_planetary_keys(item: dict[str, Any]) -> dict[str, Any]:
    """A v1 C1 item with Planetary Computer's asset keys (``B04``, ``B08``, ``SCL``...): the bands are found by
    their ``eo:bands`` common names only."""
    out = copy.deepcopy(item)
    out["assets"] = {PC_KEYS[k]: a for k, a in out["assets"].items() if k in PC_KEYS}
    for key, asset in out["assets"].items():
        for band in asset.get("eo:bands", []):
            if key != "visual":
                band["name"] = key
    return out


def make_pc_key_items(dataset_dir: pathlib.Path, bucket_url: str, api_url: str) -> list[dict[str, Any]]:
    """The C1 items under Planetary Computer's asset keys, one collection ``sentinel-2-l2a``."""
    items = [to_planetary_keys(i) for i in make_c1_items(dataset_dir, bucket_url, api_url)]
    for item in items:
        item["collection"] = OLD
    return items


def bucket_url(cog_server_url: str, cache_root: pathlib.Path, dataset_dir: pathlib.Path) -> str:
    """Where a COG server over ``cache_root`` serves the dataset's C1 bucket."""
    rel = (pathlib.Path(dataset_dir) / C1_BUCKET).relative_to(cache_root).as_posix()
    return f"{cog_server_url.rstrip('/')}/{rel}"
