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


# QGIS 3.30 moved the temporal units to Qgis.TemporalUnit and 3.36 the navigation modes to
# Qgis.TemporalNavigationMode; the old QgsUnitTypes / QgsTemporalNavigationObject enums stay as aliases in 3.x
# (both forms checked on 3.40) and go in QGIS 4. The new forms are used from 3.40 on.
TEMPORAL_ENUMS_IN_QGIS_SINCE = 34000


def one_day() -> Any:
    """A QgsInterval of one day (a Temporal Controller frame per acquisition day)."""
    from qgis.core import QgsInterval

    if Qgis.QGIS_VERSION_INT >= TEMPORAL_ENUMS_IN_QGIS_SINCE:
        return QgsInterval(1, Qgis.TemporalUnit.Days)
    from qgis.core import QgsUnitTypes

    return QgsInterval(1, QgsUnitTypes.TemporalUnit.TemporalDays)


def animated_navigation() -> Any:
    """The Temporal Controller's "animated temporal navigation" mode."""
    if Qgis.QGIS_VERSION_INT >= TEMPORAL_ENUMS_IN_QGIS_SINCE:
        return Qgis.TemporalNavigationMode.Animated
    from qgis.core import QgsTemporalNavigationObject

    return QgsTemporalNavigationObject.NavigationMode.Animated
