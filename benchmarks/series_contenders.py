"""The time-series contenders of cases (l) and (m): ours, a rio-tiler script and odc-stac, each one NDVI value a
date at a point or over the view (run by benchmarks/contenders.py, in a process of its own)."""
from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.shared import RIO_TILER_GDAL, ours_request, search_features


def run_ours_timeseries(spec: dict[str, Any]) -> dict[str, Any]:
    """The index per date at the scenario's point (or over its view): ``core.engine.timeseries``."""
    from stac_quicklook_plugin.core.engine.timeseries import timeseries

    sc = spec["scenario"]
    point = tuple(sc["point"]) if sc.get("point") else None
    series = timeseries(ours_request(spec, preset="ndvi", asset_key=None), point=point)
    return {"shape": [len(series.entries)], "hrefs": [], "items": [i for e in series.entries for i in e.items],
            "overview_factor": None, "notes": [], "values": [e.as_json() for e in series.entries]}


def run_rio_tiler_timeseries(spec: dict[str, Any]) -> dict[str, Any]:
    """rio-tiler's way to the same curve: one search, then per item ``STACReader.point`` (at a point) or
    ``STACReader.part`` (over the view) of nir and red, 8 items at a time, NDVI on the stored values, no cloud mask."""
    from concurrent.futures import ThreadPoolExecutor

    import rasterio
    from rasterio.crs import CRS
    from rio_tiler.io import STACReader

    sc = spec["scenario"]
    items = search_features(spec)
    point = sc.get("point")

    def one(item: dict[str, Any]) -> Any:
        with rasterio.Env(**RIO_TILER_GDAL), STACReader(None, item=item) as reader:
            if point:
                data = reader.point(point[0], point[1], assets=["nir", "red"], asset_as_band=True)
                nir, red = (float(v) for v in data.data[:2])
                return item["properties"]["datetime"][:10], (nir - red) / (nir + red) if nir + red else None
            img = reader.part(sc["bbox"], assets=["nir", "red"], asset_as_band=True,
                              dst_crs=CRS.from_epsg(item["properties"]["proj:epsg"]), bounds_crs=CRS.from_epsg(4326),
                              max_size=sc["width"])
            nir, red = img.data[0].astype("float64"), img.data[1].astype("float64")
            with np.errstate(divide="ignore", invalid="ignore"):
                return item["properties"]["datetime"][:10], float(np.nanmean((nir - red) / (nir + red)))

    with ThreadPoolExecutor(8) as pool:
        values = sorted(pool.map(one, items))
    return {"shape": [len(values)], "hrefs": [], "items": [i["id"] for i in items], "notes": [], "values": values}


def run_odc_stac_timeseries(spec: dict[str, Any]) -> dict[str, Any]:
    """odc-stac's way to the same curve: one search, then ``odc.stac.load`` of nir and red on the item's UTM grid
    at 10 m, over a one-pixel box at the point (or over the view at about ``width`` pixels across), grouped by
    solar day, 8 reads at a time, NDVI on the stored values, no cloud mask."""
    import pystac
    from odc.stac import configure_rio, load
    from rasterio.crs import CRS
    from rasterio.warp import transform_bounds

    sc = spec["scenario"]
    features = search_features(spec)
    epsg = features[0]["properties"]["proj:epsg"]
    configure_rio(cloud_defaults=True, **{k: v for k, v in RIO_TILER_GDAL.items() if k != "GDAL_CACHEMAX"})
    point = sc.get("point")
    if point:
        bbox, resolution = (point[0] - 1e-5, point[1] - 1e-5, point[0] + 1e-5, point[1] + 1e-5), 10.0
    else:
        left, _, right, _ = transform_bounds(CRS.from_epsg(4326), CRS.from_epsg(epsg), *sc["bbox"])
        bbox, resolution = sc["bbox"], (right - left) / sc["width"]
    data = load([pystac.Item.from_dict(f) for f in features], bands=["nir", "red"], bbox=bbox,
                crs=f"EPSG:{epsg}", resolution=resolution, groupby="solar_day", chunks=None, pool=8)
    nir, red = data["nir"].values.astype("float64"), data["red"].values.astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        ndvi = (nir - red) / (nir + red)
    values = [(str(t)[:10], float(np.nanmean(v)) if np.isfinite(v).any() else None)
              for t, v in zip(data.time.values, ndvi)]
    return {"shape": [len(values)], "hrefs": [], "items": [f["id"] for f in features], "notes": [],
            "values": values}


RUNNERS = {"ours, timeseries": run_ours_timeseries, "rio-tiler, timeseries": run_rio_tiler_timeseries,
           "odc-stac, timeseries": run_odc_stac_timeseries}
IMPORTS = {"ours, timeseries": ["stac_quicklook_plugin.core.engine.timeseries"],
           "rio-tiler, timeseries": ["rio_tiler.io"], "odc-stac, timeseries": ["odc.stac", "pystac"]}
