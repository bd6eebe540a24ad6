"""The quicklook engine: pure Python (requests, numpy, matplotlib; reads through rasterio or osgeo.gdal),
no Qt, no qgis. Its wings, lowest first: net, raster, bands, stac, masks, engine (docs/architecture.md)."""
from __future__ import annotations

from typing import Any, Optional, Tuple, cast

from stac_quicklook_plugin.core.models import EARTH_SEARCH_V1  # noqa: F401 (core.EARTH_SEARCH_V1, as before)

Bbox = Tuple[float, float, float, float]


def stream_stac_quicklook(stac_api: str, collection: str, datetime_range: str, bbox: Optional[list[float]] = None,
                          cloud_lt: float = 20, asset_key: Optional[str] = None, overview_level: int = 4
                          ) -> tuple[Any, dict[str, Any], Any]:
    """The original snippet's signature: returns (arr, meta, fig) with arr (bands, rows, cols).

    ``overview_level`` n reads at a decimation of 2**n (the original snippet's default 4 = 1/16). Without a bbox the
    whole best scene is read; with one, only its window.
    """
    from stac_quicklook_plugin.core.engine.quicklook import quicklook, whole_scene_bbox
    from stac_quicklook_plugin.core.engine.render import figure
    from stac_quicklook_plugin.core.models import QuicklookRequest

    whole_world = (-180.0, -90.0, 180.0, 90.0)
    # validate_request checks the bbox (four numbers, in range) before any request
    req = QuicklookRequest(bbox_wgs84=cast(Bbox, tuple(bbox)) if bbox else whole_world, stac_api=stac_api,
                           collection=collection, datetime_range=datetime_range, cloud_cover_max=cloud_lt,
                           asset_key=asset_key, overview_level=overview_level, width=1024)
    if bbox is None:
        req = whole_scene_bbox(req)
    ql = quicklook(req)
    return ql.array, ql.meta, figure(ql)
