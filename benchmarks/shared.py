"""What the contenders share: the one search every contender makes, rio-tiler's GDAL options and the request our
engine gets for a scenario."""
from __future__ import annotations

from typing import Any

import requests

# rio-tiler leaves GDAL options to its user; these are titiler's recommended settings for COGs over HTTP.
RIO_TILER_GDAL = {
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif,.TIF,.tiff",
    "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
    "GDAL_HTTP_MULTIPLEX": "YES",
    "GDAL_HTTP_VERSION": "2",
    "VSI_CACHE": "TRUE",
    "VSI_CACHE_SIZE": "5000000",
    "GDAL_CACHEMAX": 200 * 1024 * 1024,  # rasterio takes bytes (titiler: 200 MB)
    "CPL_VSIL_CURL_CACHE_SIZE": "200000000",
    "GDAL_BAND_BLOCK_CACHE": "HASHSET",
}


def search_features(spec: dict[str, Any], extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One POST /search over the scenario's bbox and dates."""
    body = {"collections": [spec["collection"]], "bbox": list(spec["scenario"]["bbox"]),
            "datetime": spec["datetime_rfc3339"], "limit": 100, **(extra or {})}
    answer = requests.post(spec["stac_api"].rstrip("/") + "/search", json=body, timeout=60)
    answer.raise_for_status()
    return answer.json()["features"]


def ours_request(spec: dict[str, Any], **overrides: Any) -> Any:
    from stac_quicklook_plugin.core.models import QuicklookRequest

    sc = spec["scenario"]
    fields = dict(bbox_wgs84=tuple(sc["bbox"]), stac_api=spec["stac_api"], collection=spec["collection"],
                  datetime_range=sc.get("datetime_range", spec["datetime_range"]),
                  cloud_cover_max=sc.get("cloud_cover_max", spec["cloud_cover_max"]), asset_key=sc.get("asset_key"),
                  width=sc["width"])
    if sc.get("preset"):  # issue 20: presets (an engine without them runs true colour: not compared)
        fields["preset"] = sc["preset"]
    fields.update(overrides)
    return QuicklookRequest(**fields)
