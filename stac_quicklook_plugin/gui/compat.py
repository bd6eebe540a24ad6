"""The QGIS APIs that differ between the versions the plugin supports (3.22 to 4.x), one version check each.

Everything else is written once, in the scoped form every supported QGIS accepts.
"""
from __future__ import annotations

from typing import Any

from qgis.core import Qgis, QgsRasterMinMaxOrigin

# QGIS 3.44 has Qgis.RasterRangeLimit, with QgsRasterMinMaxOrigin.Limits left as its alias; QGIS 4 drops the
# alias. Before 3.44 QgsRasterMinMaxOrigin.Limits is the enum (or, from the move on, the same alias).
RASTER_RANGE_LIMIT_SINCE = 34400


def cumulative_cut_limit() -> Any:
    """The "cumulative count cut" min/max limit for ``QgsRasterLayer.setContrastEnhancement``."""
    if Qgis.QGIS_VERSION_INT >= RASTER_RANGE_LIMIT_SINCE:
        return Qgis.RasterRangeLimit.CumulativeCut
    return QgsRasterMinMaxOrigin.Limits.CumulativeCut
