"""Quicklooks saved with the project (QgsProject.write / read, .qgs and .qgz): the GeoTIFFs beside the project,
the re-pointed layers, reopening with the same pixels, deletion of files no layer uses, Save quicklook as."""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal
from qgis.core import (
    Qgis,
    QgsDateTimeRange,
    QgsProject,
    QgsRasterLayer,
)
from qgis.PyQt.QtCore import QDateTime, Qt

from stac_quicklook_plugin.core.models import QuicklookRequest
from stac_quicklook_plugin.gui import layer as layer_mod
from stac_quicklook_plugin.gui.project import ProjectSaver, file_name, write_copy
from tests.qgis.conftest import TEST_BBOX, make_quicklook


@pytest.fixture()
def project(qgis_new_project):
    """The project with a saver and a janitor connected, as the plugin connects them."""
    project = QgsProject.instance()
    saver = ProjectSaver(project)
    janitor = layer_mod.VsimemJanitor(project)
    project.saver = saver
    yield project
    project.clear()
    saver.disconnect_project()
    janitor.disconnect_project()
    del project.saver


def add_quicklook(project, **kwargs) -> QgsRasterLayer:
    layer = layer_mod.create_layer(make_quicklook(**kwargs), QuicklookRequest(bbox_wgs84=TEST_BBOX))
    layer_mod.add_to_project(layer, project)
    return layer


def pixels(source: str) -> np.ndarray:
    dataset = gdal.Open(source)
    try:
        return dataset.ReadAsArray()
    finally:
        dataset = None


def save(project, qtbot, path: Path) -> None:
    problems = []
    project.saver.saveProblems.connect(problems.append)
    try:
        assert project.write(str(path)), project.error()
        qtbot.waitUntil(lambda: not project.saver._pending, timeout=5000)  # re-pointed after the save
    finally:
        project.saver.saveProblems.disconnect(problems.append)
    assert problems == []


def written_by_qgis_alone(folder: Path, name: str) -> set[str]:
    """The files QGIS itself writes for a project file ``name`` without quicklooks (QGIS 3.40+ puts a .qgs
    project's style database in ``<name>_attachments.zip`` beside it; 3.22 writes the project file only)."""
    bare = QgsProject()
    assert bare.write(str(folder / name)), bare.error()
    return {p.name for p in folder.iterdir()}


def project_xml(path: Path) -> str:
    if path.suffix == ".qgz":
        with zipfile.ZipFile(path) as archive:
            (qgs,) = [n for n in archive.namelist() if n.endswith(".qgs")]
            return archive.read(qgs).decode("utf-8")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("suffix", [".qgs", ".qgz"])
def test_saved_project_reopens_with_the_same_pixels(project, qtbot, tmp_path, tmp_path_factory, suffix):
    layer = add_quicklook(project)
    styled = add_quicklook(project, bands=1, dtype=np.uint16, nodata=0)
    styled.setOpacity(0.6)
    styled.temporalProperties().setIsActive(True)
    styled.temporalProperties().setMode(Qgis.RasterTemporalMode.FixedTemporalRange)
    when = QgsDateTimeRange(QDateTime.fromString("2024-08-03T17:49:12Z", Qt.DateFormat.ISODate),
                            QDateTime.fromString("2024-08-03T17:49:13Z", Qt.DateFormat.ISODate))
    styled.temporalProperties().setFixedTemporalRange(when)
    styled_id = styled.id()
    originals = {lyr.id(): (lyr.source(), pixels(lyr.source()), lyr.name(), lyr.metadata().abstract(),
                            lyr.renderer().type()) for lyr in (layer, styled)}
    assert all(src.startswith(layer_mod.VSIMEM_DIR) for src, *_ in originals.values())  # unsaved: /vsimem

    path = tmp_path / f"field trip{suffix}"
    save(project, qtbot, path)
    folder = tmp_path / "field trip_quicklooks"
    assert sorted(p.name for p in folder.iterdir()) == sorted(file_name(lyr) for lyr in (layer, styled))
    # Nothing else written: the quicklooks' folder and what QGIS writes for the same project without them.
    qgis_alone = written_by_qgis_alone(tmp_path_factory.mktemp("qgis_alone"), path.name)
    assert path.name in qgis_alone
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(qgis_alone | {folder.name})
    xml = project_xml(path)
    assert "/vsimem/" not in xml and "/vsicurl/" not in xml  # nothing to fetch, nothing lost on reopening
    for lyr in (layer, styled):
        source, original, name, abstract, renderer = originals[lyr.id()]
        target = folder / file_name(lyr)
        # The live layer reads the file now; its /vsimem copy is freed.
        assert lyr.source() == str(target) and lyr.isValid()
        assert gdal.VSIStatL(source) is None
        assert (lyr.name(), lyr.metadata().abstract(), lyr.renderer().type()) == (name, abstract, renderer)
        assert f"<datasource>./{folder.name}/{target.name}</datasource>" in xml  # relative
        assert gdal.Info(str(target), format="json")["metadata"]["IMAGE_STRUCTURE"]["COMPRESSION"] == "DEFLATE"
        assert np.array_equal(pixels(str(target)), original)

    project.clear()
    assert project.read(str(path))
    reopened = {lyr.id(): lyr for lyr in project.mapLayers().values()}
    assert set(reopened) == set(originals)
    group = project.layerTreeRoot().findGroup("STAC Quicklooks")
    for layer_id, (_, original, name, abstract, renderer) in originals.items():
        lyr = reopened[layer_id]
        assert lyr.isValid() and Path(lyr.source()) == folder / file_name(lyr)
        assert (lyr.name(), lyr.metadata().abstract(), lyr.renderer().type()) == (name, abstract, renderer)
        assert group.findLayer(layer_id) is not None
        assert np.array_equal(pixels(lyr.source()), original)
        # What QGIS itself reads through the layer's provider: the same first band.
        block = lyr.dataProvider().block(1, lyr.extent(), lyr.width(), lyr.height())
        band = np.frombuffer(bytes(block.data()), dtype=original.dtype).reshape(lyr.height(), lyr.width())
        assert np.array_equal(band, original[0] if original.ndim == 3 else original)
    again = reopened[styled_id]
    assert again.opacity() == pytest.approx(0.6)
    assert again.temporalProperties().isActive() and again.temporalProperties().fixedTemporalRange() == when


def test_removed_layer_file_is_deleted_on_the_next_save(project, qtbot, tmp_path):
    kept, removed = add_quicklook(project), add_quicklook(project)
    path = tmp_path / "p.qgz"
    save(project, qtbot, path)
    folder = tmp_path / "p_quicklooks"
    removed_file = folder / file_name(removed)
    assert removed_file.is_file()
    mtime = (folder / file_name(kept)).stat().st_mtime_ns
    stranger = folder / "notes.txt"  # not a file the plugin wrote: left alone
    stranger.write_text("mine")
    project.removeMapLayer(removed.id())
    assert removed_file.is_file()  # removing alone deletes nothing: the saved project still names it
    save(project, qtbot, path)
    assert sorted(p.name for p in folder.iterdir()) == sorted([file_name(kept), "notes.txt"])
    assert (folder / file_name(kept)).stat().st_mtime_ns == mtime  # an already-saved quicklook is not rewritten

    stranger.unlink()
    project.removeMapLayer(kept.id())
    save(project, qtbot, path)
    assert not folder.exists()  # the last quicklook gone: no empty folder left


def test_save_as_elsewhere_copies_into_the_new_projects_folder(project, qtbot, tmp_path):
    layer = add_quicklook(project)
    first = tmp_path / "a" / "one.qgs"
    first.parent.mkdir()
    save(project, qtbot, first)
    second = tmp_path / "b" / "two.qgs"
    second.parent.mkdir()
    save(project, qtbot, second)
    assert layer.source() == str(tmp_path / "b" / "two_quicklooks" / file_name(layer))
    assert (tmp_path / "a" / "one_quicklooks" / file_name(layer)).is_file()  # the first project still works


def test_other_layers_are_untouched(project, qtbot, tmp_path):
    other_path = tmp_path / "other.tif"
    gdal.Translate(str(other_path), layer_mod.write_geotiff(make_quicklook()))
    other = QgsRasterLayer(str(other_path), "someone else's raster", "gdal")
    project.addMapLayer(other)
    save(project, qtbot, tmp_path / "p.qgs")
    assert other.source() == str(other_path)
    assert not (tmp_path / "p_quicklooks").exists()


def test_save_quicklook_as_writes_a_copy_anywhere(project, tmp_path):
    layer = add_quicklook(project)
    target = write_copy(layer, tmp_path / "elsewhere" / "copy.tif")
    assert np.array_equal(pixels(str(target)), pixels(layer.source()))
    assert layer.source().startswith(layer_mod.VSIMEM_DIR)  # the layer itself stays where it was


def test_a_quicklook_that_cannot_be_written_keeps_its_memory_copy_and_says_why(project, qtbot, tmp_path):
    layer = add_quicklook(project)
    (tmp_path / "blocked_quicklooks").write_text("a file where the folder should be")
    problems = []
    project.saver.saveProblems.connect(problems.append)
    assert project.write(str(tmp_path / "blocked.qgs"))
    qtbot.waitUntil(lambda: bool(problems), timeout=5000)
    (message,) = problems[0]
    assert message.startswith(f"“{layer.name()}” keeps its memory copy: ")
    assert layer.source().startswith(layer_mod.VSIMEM_DIR) and layer.isValid()


def test_a_project_set_to_absolute_paths_stores_the_absolute_path(project, qtbot, tmp_path):
    layer = add_quicklook(project)
    project.writeEntryBool("Paths", "/Absolute", True)
    path = tmp_path / "absolute.qgs"
    save(project, qtbot, path)
    target = tmp_path / "absolute_quicklooks" / file_name(layer)
    assert f"<datasource>{target}</datasource>" in project_xml(path)
