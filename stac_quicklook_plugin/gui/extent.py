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
        box = _geographic_box(extent)
    else:
        transform = QgsCoordinateTransform(crs, WGS84, project or QgsProject.instance())
        try:  # samples points along every edge, so curved edges (UTM, polar CRSs) stay inside the bbox
            box = transform.transformBoundingBox(extent, handle180Crossover=False)
        except QgsCsException as exc:
            raise ExtentError(tr("Cannot transform the map extent"),
                              tr("The map extent could not be transformed from {crs} to EPSG:4326 ({detail}). "
                                 "Zoom to a smaller area or check the project CRS.").format(
                                     crs=crs.authid() or crs.description() or crs.toProj(), detail=str(exc))) from exc
    if box.isNull() or box.isEmpty() or not _finite(box):
        raise ExtentError(tr("Cannot transform the map extent"),
                          tr("The map extent has no valid position on Earth in EPSG:4326. "
                             "Zoom to an area of land and try again."))
    west, south, east, north = box.xMinimum(), box.yMinimum(), box.xMaximum(), box.yMaximum()
    width, height = east - west, north - south
    if east > 180.0 + 1e-9 or (width > 180.0 and crs != WGS84 and _crosses_antimeridian(extent, transform)):
        raise ExtentError(tr("Map extent crosses the antimeridian"),
                          tr("The map view crosses the 180° meridian; a quicklook covers one side of it. "
                             "Pan so the view lies east or west of 180°, or make one quicklook on each side."))
    if width > MAX_EXTENT_DEGREES or height > MAX_EXTENT_DEGREES or west < -180.0 - 1e-9 or east > 180.0 + 1e-9 \
            or south < -90.0 - 1e-9 or north > 90.0 + 1e-9:
        raise ExtentError(tr("Map extent too large"),
                          tr("The map shows {w:.1f}° x {h:.1f}°; a quicklook covers at most {m:.0f}° x {m:.0f}° "
                             "(about 4 x 4 Sentinel-2 tiles). Zoom in and try again.").format(
                              w=width, h=height, m=MAX_EXTENT_DEGREES))
    return (west, south, east, north)


def _geographic_box(extent: QgsRectangle) -> QgsRectangle:
    """A canvas extent in EPSG:4326 as it lies on Earth: latitudes beyond the poles cut off (nothing is
    there), longitudes shifted by whole turns so the west edge is in [-180, 180)."""
    shift = -360.0 * math.floor((extent.xMinimum() + 180.0) / 360.0)
    south, north = max(extent.yMinimum(), -90.0), min(extent.yMaximum(), 90.0)
    if south >= north:
        return QgsRectangle()  # the whole view is beyond a pole
    return QgsRectangle(extent.xMinimum() + shift, south, extent.xMaximum() + shift, north)


def _crosses_antimeridian(extent: QgsRectangle, transform: QgsCoordinateTransform, per_edge: int = 21) -> bool:
    """True when the extent's edge points, in EPSG:4326, lie on both sides of 180° in a narrow band:
    a view across the antimeridian, which a plain bounding box turns into one about 360° wide."""
    lons = []
    for i in range(per_edge):
        f = i / (per_edge - 1)
        x = extent.xMinimum() + f * extent.width()
        y = extent.yMinimum() + f * extent.height()
        for px, py in ((x, extent.yMinimum()), (x, extent.yMaximum()), (extent.xMinimum(), y), (extent.xMaximum(), y)):
            try:
                lons.append(transform.transform(px, py).x())
            except QgsCsException:
                continue
    lons = [lon for lon in lons if math.isfinite(lon)]
    if not lons:
        return False
    shifted = [lon + 360.0 if lon < 0 else lon for lon in lons]
    return max(shifted) - min(shifted) < 180.0 < max(lons) - min(lons)


def _finite(rect: QgsRectangle) -> bool:
    return all(math.isfinite(v) for v in (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()))
