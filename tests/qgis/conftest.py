"""Fixtures for the plugin's QGIS tests: a stub iface with the Web toolbar/menu calls the real one has,
clean plugin settings, a loaded plugin, and synthetic engine results."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
from qgis.core import QgsCoordinateReferenceSystem, QgsProject, QgsRectangle, QgsSettings
from qgis.PyQt.QtWidgets import QDockWidget

from stac_quicklook_plugin.core.models import ItemSummary, Quicklook
from tests.harness.servers import cogs_relpath

# Inside the seed bbox (-105.9, 40.1, -105.3, 40.6) of the generated test data.
TEST_BBOX = (-105.7, 40.25, -105.5, 40.45)


class IfaceRecorder:
    """What the plugin added to the stub iface and has not removed yet."""

    def __init__(self) -> None:
        self.toolbar: list[Any] = []
        self.menu: list[tuple[str, Any]] = []
        self.docks: list[QDockWidget] = []


@pytest.fixture()
def web_iface(qgis_iface, monkeypatch):
    """The pytest-qgis stub iface, given the Web toolbar/menu and dock calls of the real QgisInterface,
    recording what is currently added."""
    rec = IfaceRecorder()
    main_window = qgis_iface.mainWindow()

    def add_dock(area, dock):
        main_window.addDockWidget(area, dock)
        rec.docks.append(dock)

    def remove_dock(dock):
        main_window.removeDockWidget(dock)
        rec.docks.remove(dock)

    monkeypatch.setattr(qgis_iface, "addWebToolBarIcon", rec.toolbar.append, raising=False)
    monkeypatch.setattr(qgis_iface, "removeWebToolBarIcon", rec.toolbar.remove, raising=False)
    monkeypatch.setattr(qgis_iface, "addPluginToWebMenu", lambda name, a: rec.menu.append((name, a)), raising=False)
    monkeypatch.setattr(qgis_iface, "removePluginWebMenu", lambda name, a: rec.menu.remove((name, a)),
                        raising=False)
    monkeypatch.setattr(qgis_iface, "addDockWidget", add_dock, raising=False)
    monkeypatch.setattr(qgis_iface, "removeDockWidget", remove_dock, raising=False)
    qgis_iface.recorder = rec
    yield qgis_iface
    del qgis_iface.recorder


@pytest.fixture()
def clean_settings():
    """No saved plugin settings before and after the test."""
    QgsSettings().remove("stac_quicklook")
    yield
    QgsSettings().remove("stac_quicklook")


@pytest.fixture()
def messages(qgis_iface):
    """The stub message bar, emptied before the test."""
    bar = qgis_iface.messageBar()
    for level_messages in bar.messages.values():
        level_messages.clear()
    return bar


@pytest.fixture()
def plugin(web_iface, clean_settings, qgis_new_project, messages):
    """The plugin, loaded as QGIS loads it (classFactory + initGui), unloaded afterwards."""
    from stac_quicklook_plugin import classFactory

    instance = classFactory(web_iface)
    instance.initGui()
    yield instance
    instance.unload()


def set_canvas(canvas, bbox_wgs84=TEST_BBOX, crs: str = "EPSG:3857") -> QgsRectangle:
    """Point the canvas at ``bbox_wgs84`` (given in EPSG:4326) with ``crs`` as the map CRS."""
    from qgis.core import QgsCoordinateTransform

    _lay_out(canvas)
    dest = QgsCoordinateReferenceSystem(crs)
    canvas.setDestinationCrs(dest)
    QgsProject.instance().setCrs(dest)
    transform = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), dest, QgsProject.instance())
    canvas.setExtent(transform.transformBoundingBox(QgsRectangle(*bbox_wgs84)))
    return canvas.extent()


def _lay_out(canvas) -> None:
    """pytest-qgis never shows its canvas, so its viewport (and map output size) stay at Qt's tiny
    default; deliver the resize events a shown window would get, so the extent has the canvas' aspect."""
    from qgis.PyQt.QtGui import QResizeEvent
    from qgis.PyQt.QtWidgets import QApplication

    QApplication.sendEvent(canvas, QResizeEvent(canvas.size(), canvas.size()))
    viewport = canvas.viewport()
    QApplication.sendEvent(viewport, QResizeEvent(viewport.size(), viewport.size()))


def make_quicklook(bands: int = 3, rows: int = 40, cols: int = 50, dtype=np.uint8, epsg: int = 32613,
                   nodata=None, invalid_corner: bool = True) -> Quicklook:
    """A synthetic engine result over the test area (UTM 13N), with a gradient and an invalid corner."""
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    left, top, res = 440000.0, 4480000.0, 20.0
    grid = np.arange(rows * cols, dtype=np.float64).reshape(rows, cols)
    array = np.stack([(grid * (b + 1)) % (200 if dtype == np.uint8 else 5000) + 1 for b in range(bands)]).astype(dtype)
    mask = np.ones((rows, cols), dtype=bool)
    if invalid_corner:
        mask[: rows // 4, : cols // 4] = False
        if nodata is not None:
            array[:, ~mask] = nodata
    return Quicklook(
        array=array, mask=mask, crs=srs.ExportToWkt(), crs_epsg=epsg,
        transform=(res, 0.0, left, 0.0, -res, top),
        bounds=(left, top - rows * res, left + cols * res, top),
        items=[ItemSummary("S2B_13TDE_20240803_0_L2A", "sentinel-2-l2a", "2024-08-03T17:49:12Z", 4.8)],
        asset_key="visual" if bands == 3 else "nir",
        hrefs=["https://example.com/tiles/visual.tif?se=2024&sig=SECRET123"],
        strategy="query", nodata=nodata, meta={})


@pytest.fixture()
def quicklook_factory() -> Callable[..., Quicklook]:
    return make_quicklook


def _rustac_over(dataset, cog_base: str, workdir):
    """rustac serving ``dataset``'s items with their assets under ``cog_base``."""
    from tests.harness.servers import serve_dataset

    return serve_dataset(dataset, cog_base, workdir)[0]


_cogs_relpath = cogs_relpath  # the name this module's fixtures (and older tests) use


@pytest.fixture(scope="session")
def stac_server_50ms(testdata_small, cog_server_50ms, tmp_path_factory):
    """rustac over the small items whose images answer every request 50 ms late."""
    base = f"{cog_server_50ms.url}/{_cogs_relpath(cog_server_50ms, testdata_small)}"
    server = _rustac_over(testdata_small, base, tmp_path_factory.mktemp("stac_50ms"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stac_server_slow_cogs(testdata_small, cog_server, tmp_path_factory):
    """rustac over the small items whose image server waits 2 s before every answer: reads take seconds."""
    base = cog_server.fault_url("slow", _cogs_relpath(cog_server, testdata_small))
    server = _rustac_over(testdata_small, base, tmp_path_factory.mktemp("stac_slow_cogs"))
    yield server
    server.stop()
