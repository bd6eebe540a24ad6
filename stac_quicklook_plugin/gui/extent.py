"""From the map canvas extent to the EPSG:4326 bbox the engine searches, with the checks a click needs."""
from __future__ import annotations

import math

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsProject,
    QgsRectangle,
)

from stac_quicklook_plugin.gui.i18n import tr

# About 4 x 4 Sentinel-2 MGRS tiles (110 km each): beyond this a "quick" look reads too many scenes
# and the overviews are too coarse to show anything; the user should zoom in instead.
MAX_EXTENT_DEGREES = 4.0

WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")


class ExtentError(Exception):
    """The canvas extent cannot be turned into a usable search bbox; ``str()`` says why and what to do."""

    def __init__(self, title: str, message: str):
        super().__init__(message)
        self.title = title


def bbox_wgs84(extent: QgsRectangle, crs: QgsCoordinateReferenceSystem,
               project: QgsProject | None = None) -> tuple[float, float, float, float]:
    """``extent`` (in ``crs``) as a (west, south, east, north) bbox in EPSG:4326, edges densified.

    Raises ExtentError when the extent is empty, cannot be transformed, or is too large for a quicklook.
    """
    if extent is None or extent.isNull() or extent.isEmpty() or not _finite(extent):
        raise ExtentError(tr("Empty map extent"),
                          tr("The map view has no usable extent. Zoom to an area and try again."))
    if not crs.isValid():
        raise ExtentError(tr("Unknown map CRS"),
                          tr("The project has no valid coordinate reference system. "
                             "Set one in Project > Properties > CRS."))
    if crs == WGS84:
        box = QgsRectangle(extent)
    else:
        transform = QgsCoordinateTransform(crs, WGS84, project or QgsProject.instance())
        try:  # samples points along every edge, so curved edges (UTM, polar CRSs) stay inside the bbox
            box = transform.transformBoundingBox(extent, handle180Crossover=False)
        except QgsCsException as exc:
            raise ExtentError(tr("Cannot transform the map extent"),
                              tr("The map extent could not be transformed from {crs} to EPSG:4326 ({detail}). "
                                 "Zoom to a smaller area or check the project CRS.").format(
                                     crs=crs.authid() or crs.description(), detail=str(exc))) from exc
    if box.isNull() or box.isEmpty() or not _finite(box):
        raise ExtentError(tr("Cannot transform the map extent"),
                          tr("The map extent has no valid position on Earth in EPSG:4326. "
                             "Zoom to an area of land and try again."))
    west, south, east, north = box.xMinimum(), box.yMinimum(), box.xMaximum(), box.yMaximum()
    width, height = east - west, north - south
    if width > MAX_EXTENT_DEGREES or height > MAX_EXTENT_DEGREES or west < -180.0 - 1e-9 or east > 180.0 + 1e-9 \
            or south < -90.0 - 1e-9 or north > 90.0 + 1e-9:
        raise ExtentError(tr("Map extent too large"),
                          tr("The map shows {w:.1f}° x {h:.1f}°; a quicklook covers at most {m:.0f}° x {m:.0f}° "
                             "(about 4 x 4 Sentinel-2 tiles). Zoom in and try again.").format(
                              w=width, h=height, m=MAX_EXTENT_DEGREES))
    return (west, south, east, north)


def _finite(rect: QgsRectangle) -> bool:
    return all(math.isfinite(v) for v in (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()))
