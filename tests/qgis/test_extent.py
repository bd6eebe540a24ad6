"""Canvas extent to the EPSG:4326 search bbox: projected CRSs, curved edges, and the refusals."""
from __future__ import annotations

import pytest
from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject, QgsRectangle

from stac_quicklook_plugin.gui.extent import ExtentError, bbox_wgs84

WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")


def _in(crs: str, bbox) -> QgsRectangle:
    transform = QgsCoordinateTransform(WGS84, QgsCoordinateReferenceSystem(crs), QgsProject.instance())
    return transform.transformBoundingBox(QgsRectangle(*bbox))


@pytest.mark.parametrize("crs", ["EPSG:3857", "EPSG:32613", "EPSG:4326", "EPSG:3035"])
def test_bbox_covers_the_extent(crs):
    extent = _in(crs, (-105.7, 40.25, -105.5, 40.45))
    west, south, east, north = bbox_wgs84(extent, QgsCoordinateReferenceSystem(crs))
    assert west <= -105.7 + 1e-6 and south <= 40.25 + 1e-6 and east >= -105.5 - 1e-6 and north >= 40.45 - 1e-6
    assert east - west < 0.5 and north - south < 0.5


def test_curved_utm_edges_stay_inside():
    """A UTM square far from the central meridian: its top edge bulges north in EPSG:4326."""
    crs = QgsCoordinateReferenceSystem("EPSG:32613")
    extent = QgsRectangle(200000, 4400000, 420000, 4620000)
    west, south, east, north = bbox_wgs84(extent, crs)
    to_wgs = QgsCoordinateTransform(crs, WGS84, QgsProject.instance())
    for x in range(200000, 420001, 10000):
        for y in (4400000, 4620000):
            point = to_wgs.transform(x, y)
            assert west <= point.x() <= east and south <= point.y() <= north


@pytest.mark.parametrize("bbox", [(-110.0, 36.0, -100.0, 44.0), (-106.0, 30.0, -105.0, 45.0)])
def test_too_large(bbox):
    with pytest.raises(ExtentError, match="Zoom in") as info:
        bbox_wgs84(_in("EPSG:3857", bbox), QgsCoordinateReferenceSystem("EPSG:3857"))
    assert info.value.title == "Map extent too large"


def test_empty_extent():
    with pytest.raises(ExtentError) as info:
        bbox_wgs84(QgsRectangle(), QgsCoordinateReferenceSystem("EPSG:3857"))
    assert info.value.title == "Empty map extent"


def test_invalid_crs():
    with pytest.raises(ExtentError) as info:
        bbox_wgs84(QgsRectangle(0, 0, 10, 10), QgsCoordinateReferenceSystem())
    assert info.value.title == "Unknown map CRS"


def test_extent_off_the_projection_cannot_be_transformed():
    """Far outside the valid area of a UTM zone the transform fails or gives nonsense: a clear refusal."""
    with pytest.raises(ExtentError) as info:
        bbox_wgs84(QgsRectangle(-9e7, -9e7, 9e7, 9e7), QgsCoordinateReferenceSystem("EPSG:32613"))
    assert info.value.title in ("Cannot transform the map extent", "Map extent too large")


def test_transform_error_becomes_a_clear_refusal(monkeypatch):
    from qgis.core import QgsCsException

    import stac_quicklook_plugin.gui.extent as extent_mod

    class FailingTransform:
        def __init__(self, *args):
            pass

        def transformBoundingBox(self, *args, **kwargs):  # noqa: N802
            raise QgsCsException("forward transform of (1e30, 1e30) failed")

    monkeypatch.setattr(extent_mod, "QgsCoordinateTransform", FailingTransform)
    with pytest.raises(ExtentError, match=r"EPSG:3857 to EPSG:4326 \(forward transform") as info:
        bbox_wgs84(QgsRectangle(0, 0, 10, 10), QgsCoordinateReferenceSystem("EPSG:3857"))
    assert info.value.title == "Cannot transform the map extent"
