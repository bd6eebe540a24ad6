"""The Processing algorithm stac_quicklook:quicklook against the local rustac + COG server: processing.run,
a model built in code, batch-style repeated runs, the Toolbox dialog, errors, cancel and progress."""
from __future__ import annotations

import numpy as np
import pytest
from osgeo import gdal
from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingModelAlgorithm,
    QgsProcessingModelChildAlgorithm,
    QgsProcessingModelChildParameterSource,
    QgsProcessingModelOutput,
    QgsProcessingModelParameter,
    QgsProcessingParameterExtent,
)

from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.core.models import QuicklookRequest
from tests.qgis.conftest import TEST_BBOX

ALG = "stac_quicklook:quicklook"
DATES = ("2024-05-01", "2024-09-30")


@pytest.fixture()
def provider(qgis_processing):
    """The plugin's provider in the processing registry (as initProcessing adds it), removed afterwards."""
    from stac_quicklook_plugin.processing.provider import register, unregister

    registered = register()
    yield registered
    unregister(registered)


@pytest.fixture()
def dialog_iface(qgis_iface, monkeypatch):
    """The stub iface with what QGIS's Processing dialogs call on the real one: the browser model (the file
    widgets) and the layer-tree view (QGIS 3.40+ handles every run's results through it, loaded or not)."""
    from qgis.core import QgsLayerTreeModel, QgsProject
    from qgis.gui import QgsBrowserGuiModel, QgsLayerTreeView

    browser = QgsBrowserGuiModel()
    model = QgsLayerTreeModel(QgsProject.instance().layerTreeRoot())
    view = QgsLayerTreeView()
    view.setModel(model)
    monkeypatch.setattr(qgis_iface, "browserModel", lambda: browser, raising=False)
    monkeypatch.setattr(qgis_iface, "layerTreeView", lambda: view, raising=False)
    yield qgis_iface
    view.setModel(None)


def extent_string(bbox=TEST_BBOX, crs="EPSG:4326") -> str:
    west, south, east, north = bbox
    return f"{west},{east},{south},{north} [{crs}]"


def params(stac_server, out, bbox=TEST_BBOX, **extra):
    values = {"EXTENT": extent_string(bbox), "STAC_API": stac_server.url, "COLLECTION": "sentinel-2-l2a",
              "START": DATES[0], "END": DATES[1], "CLOUD_COVER_MAX": 20, "WIDTH": 300, "OUTPUT": str(out)}
    values.update(extra)
    return values


def read(path):
    dataset = gdal.Open(str(path))
    try:
        srs = dataset.GetSpatialRef()
        srs.AutoIdentifyEPSG()
        return (dataset.ReadAsArray(), dataset.RasterXSize, dataset.RasterYSize,
                srs.GetAuthorityCode(None), dataset.GetGeoTransform())
    finally:
        dataset = None


def test_plugin_registers_and_removes_its_provider(web_iface, clean_settings, qgis_new_project, qgis_processing):
    from stac_quicklook_plugin import classFactory

    registry = QgsApplication.processingRegistry()
    assert registry.algorithmById(ALG) is None
    instance = classFactory(web_iface)
    instance.initGui()
    try:
        alg = registry.algorithmById(ALG)
        assert alg is not None and alg.displayName() == "Quicklook of an extent"
        assert registry.providerById("stac_quicklook").name() == "STAC Quicklook"
    finally:
        instance.unload()
    assert registry.algorithmById(ALG) is None and registry.providerById("stac_quicklook") is None


def test_parameters_and_outputs(provider):
    alg = QgsApplication.processingRegistry().algorithmById(ALG)
    names = [p.name() for p in alg.parameterDefinitions()]
    assert names[:9] == ["EXTENT", "STAC_API", "COLLECTION", "START", "END", "CLOUD_COVER_MAX", "ASSET", "WIDTH",
                         "DST_CRS"]
    assert names[-1] == "OUTPUT"
    # RANK and MASK_CLOUDS follow the engine's request: offered exactly when it has those fields.
    from stac_quicklook_plugin.processing.algorithm import request_fields

    assert ("RANK" in names) == ("rank" in request_fields())
    assert ("MASK_CLOUDS" in names) == ("mask_clouds" in request_fields())
    assert {o.name() for o in alg.outputDefinitions()} == {"OUTPUT", "ITEMS", "STRATEGY"}
    assert alg.parameterDefinition("OUTPUT").defaultFileExtension() == "tif"


def test_parameters_become_the_engines_request(provider, stac_server):
    from stac_quicklook_plugin.processing.algorithm import request_fields

    alg = QgsApplication.processingRegistry().createAlgorithmById(ALG)
    extra = {"RANK": 1, "MASK_CLOUDS": True} if {"rank", "mask_clouds"} <= request_fields() else {}
    request = alg.build_request(params(stac_server, "x.tif", START="2024-06-01", END="", ASSET=" nir ",
                                       DST_CRS="EPSG:3857", CLOUD_COVER_MAX=35.5, **extra), QgsProcessingContext())
    assert request.bbox_wgs84 == pytest.approx(TEST_BBOX)
    assert (request.stac_api, request.collection) == (stac_server.url, "sentinel-2-l2a")
    assert request.datetime_range == "2024-06-01T00:00:00Z/.."  # one date: open-ended
    assert (request.asset_key, request.dst_crs, request.cloud_cover_max, request.width) == ("nir", "EPSG:3857",
                                                                                             35.5, 300)
    if extra:
        assert (request.rank, request.mask_clouds) == ("scene", True)
    defaults = alg.build_request({"EXTENT": extent_string(), "OUTPUT": "x.tif"}, QgsProcessingContext())
    assert defaults.datetime_range is None and defaults.asset_key is None and defaults.dst_crs is None
    assert defaults.stac_api == QuicklookRequest(bbox_wgs84=TEST_BBOX).stac_api
    if extra:
        assert (defaults.rank, defaults.mask_clouds) == ("view", False)


def test_processing_run_writes_the_engines_pixels(provider, stac_server, tmp_path):
    import processing

    out = tmp_path / "ql.tif"
    result = processing.run(ALG, params(stac_server, out))
    assert result["OUTPUT"] == str(out) and out.is_file()
    ids = result["ITEMS"].split(",")
    assert ids and set(ids) <= {item["id"] for item in stac_server.items}
    assert result["STRATEGY"] in ("query", "filter", "client")
    pixels, width, height, epsg, transform = read(out)
    assert (width, epsg) == (300, "32613") and height > 100
    # The same request through the engine's front door gives the same pixels and grid.
    expected = quicklook(QuicklookRequest(bbox_wgs84=TEST_BBOX, stac_api=stac_server.url,
                                          datetime_range=f"{DATES[0]}T00:00:00Z/{DATES[1]}T23:59:59Z",
                                          cloud_cover_max=20, width=300))
    assert [i.id for i in expected.items] == ids
    assert np.array_equal(pixels, expected.array)
    assert transform == pytest.approx(expected.gdal_geotransform)
    assert gdal.Info(str(out), format="json")["metadata"][""]["STAC_ITEMS"] == result["ITEMS"]


def test_extent_in_another_crs_and_output_crs(provider, stac_server, tmp_path):
    import processing
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject, QgsRectangle

    to_mercator = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"),
                                         QgsCoordinateReferenceSystem("EPSG:3857"), QgsProject.instance())
    box = to_mercator.transformBoundingBox(QgsRectangle(*TEST_BBOX))
    out = tmp_path / "ql_3857.tif"
    processing.run(ALG, params(stac_server, out, EXTENT=extent_string(
        (box.xMinimum(), box.yMinimum(), box.xMaximum(), box.yMaximum()), "EPSG:3857"), DST_CRS="EPSG:3857"))
    _, width, _, epsg, transform = read(out)
    assert (width, epsg) == (300, "3857")
    assert transform[0] == pytest.approx(box.xMinimum(), abs=box.width() / 50)


def test_other_gdal_formats(provider, stac_server, tmp_path):
    import processing

    out = tmp_path / "ql.png"
    processing.run(ALG, params(stac_server, out, WIDTH=200))
    dataset = gdal.Open(str(out))
    assert dataset.GetDriver().ShortName == "PNG" and dataset.RasterXSize == 200 and dataset.RasterCount >= 3


def test_engine_errors_are_processing_exceptions_with_the_bar_sentence(provider, stac_server, tmp_path):
    import processing

    out = tmp_path / "none.tif"
    with pytest.raises(QgsProcessingException) as info:
        processing.run(ALG, params(stac_server, out, START="2020-05-01", END="2020-09-30"))
    message = str(info.value)
    assert message.startswith("No imagery found: No scene of collection 'sentinel-2-l2a' between 2020-05-01")
    assert not out.exists()
    with pytest.raises(QgsProcessingException, match="Network error: Could not connect to 127.0.0.1"):
        processing.run(ALG, params(stac_server, out, STAC_API="http://127.0.0.1:9/"))
    with pytest.raises(QgsProcessingException, match="start date 2024-09-30 is after the end date 2024-05-01"):
        processing.run(ALG, params(stac_server, out, START="2024-09-30", END="2024-05-01"))
    with pytest.raises(QgsProcessingException, match="Map extent crosses the antimeridian|Map extent too large"):
        processing.run(ALG, params(stac_server, out, bbox=(170.0, 10.0, -170.0, 12.0)))
    assert not out.exists()


def test_progress_and_cancel(provider, stac_server, tmp_path):
    alg = QgsApplication.processingRegistry().createAlgorithmById(ALG)
    context = QgsProcessingContext()
    feedback = QgsProcessingFeedback()
    seen = []
    feedback.progressChanged.connect(seen.append)
    result, ok = alg.run(params(stac_server, tmp_path / "p.tif"), context, feedback)
    assert ok and seen[-1] == 100.0 and len(seen) >= 4 and seen == sorted(seen)

    cancelled = QgsProcessingFeedback()
    cancelled.cancel()
    out = tmp_path / "c.tif"
    alg = QgsApplication.processingRegistry().createAlgorithmById(ALG)
    with pytest.raises(QgsProcessingException, match="cancelled"):
        alg.processAlgorithm(params(stac_server, out), QgsProcessingContext(), cancelled)
    assert not out.exists()


def test_batch_over_two_extents_with_a_fresh_context_each(provider, stac_server, tmp_path):
    import processing

    west, south, east, north = TEST_BBOX
    mid = (west + east) / 2
    extents = [(west, south, mid, north), (mid, south, east, north)]
    grids = []
    for index, bbox in enumerate(extents):
        out = tmp_path / f"batch_{index}.tif"
        result = processing.run(ALG, params(stac_server, out, bbox=bbox, WIDTH=150), context=QgsProcessingContext(),
                                feedback=QgsProcessingFeedback())
        assert result["ITEMS"]
        _, width, _, _, transform = read(out)
        assert width == 150
        grids.append(transform)
    # Two extents side by side: the right one starts near where the left one ends (their UTM boxes overlap a
    # little: each is the densified box of a geographic rectangle).
    left, right = grids
    left_end = left[0] + 150 * left[1]
    assert left[0] < right[0] < left_end and left_end - right[0] < 0.05 * 150 * left[1]


def test_inside_a_model(provider, stac_server, tmp_path):
    """A model with an extent input feeding the quicklook, whose output feeds raster statistics."""
    import processing

    model = QgsProcessingModelAlgorithm("quicklook model", "tests")
    extent_input = QgsProcessingModelParameter("area")
    model.addModelParameter(QgsProcessingParameterExtent("area", "Area"), extent_input)

    child = QgsProcessingModelChildAlgorithm(ALG)
    child.setChildId("ql")
    child.addParameterSources("EXTENT", [QgsProcessingModelChildParameterSource.fromModelParameter("area")])
    for name, value in params(stac_server, "unused").items():
        if name not in ("EXTENT", "OUTPUT"):
            child.addParameterSources(name, [QgsProcessingModelChildParameterSource.fromStaticValue(value)])
    output = QgsProcessingModelOutput("quicklook", "Quicklook")
    output.setChildOutputName("OUTPUT")
    child.setModelOutputs({"quicklook": output})
    model.addChildAlgorithm(child)

    stats = QgsProcessingModelChildAlgorithm("native:rasterlayerstatistics")
    stats.setChildId("stats")
    stats.addParameterSources("INPUT", [QgsProcessingModelChildParameterSource.fromChildOutput("ql", "OUTPUT")])
    stats.addParameterSources("BAND", [QgsProcessingModelChildParameterSource.fromStaticValue(1)])
    stats_output = QgsProcessingModelOutput("stats", "Statistics")
    stats_output.setChildOutputName("MEAN")
    model.addChildAlgorithm(stats)
    model.updateDestinationParameters()
    # The model's one destination: "ql:quicklook" (child id and output) on QGIS 3.22, "quicklook" on 3.40 and 3.44.
    (destination,) = model.destinationParameterDefinitions()
    assert destination.name() in ("ql:quicklook", "quicklook")

    out = tmp_path / "model.tif"
    feedback = QgsProcessingFeedback()
    results = processing.run(model, {"area": extent_string(), destination.name(): str(out)}, feedback=feedback)
    assert out.is_file() and results[destination.name()] == str(out)
    pixels, width, _, epsg, _ = read(out)
    assert (width, epsg) == (300, "32613")
    child_results = results["CHILD_RESULTS"]
    assert child_results["ql"]["ITEMS"]
    assert child_results["stats"]["MEAN"] == pytest.approx(float(pixels[0][pixels[0] > 0].mean()), rel=0.2)


def test_toolbox_dialog_runs_the_algorithm(provider, dialog_iface, stac_server, tmp_path, qtbot):
    """The Toolbox's dialog for the algorithm: every parameter has a widget; filled in and run, it writes the file."""
    import processing

    dialog = processing.createAlgorithmDialog(ALG)
    try:
        assert dialog.windowTitle() == "Quicklook of an extent"
        wrappers = dialog.mainWidget().wrappers
        alg = QgsApplication.processingRegistry().algorithmById(ALG)
        assert {p.name() for p in alg.parameterDefinitions()} <= set(wrappers)
        out = tmp_path / "dialog.tif"
        values = params(stac_server, out, WIDTH=120)
        context = QgsProcessingContext()
        for name, value in values.items():
            wrappers[name].setParameterValue(value, context)
        assert dialog.createProcessingParameters()["WIDTH"] == 120
        finished = []
        # The dialog closes (and is deleted) after a successful run unless "keep dialog open" is set.
        dialog.algorithmFinished.connect(lambda ok, results: finished.append((ok, dict(results))))
        dialog.runAlgorithm()
        qtbot.waitUntil(lambda: bool(finished), timeout=30000)
        ok, results = finished[0]
        assert ok and results["OUTPUT"] == str(out) and read(out)[1] == 120
        assert results["ITEMS"].split(",")[0] in {item["id"] for item in stac_server.items}
    finally:
        try:
            dialog.close()
            dialog.deleteLater()
        except RuntimeError:  # already deleted by its own close
            pass


def test_batch_dialog_runs_one_row_per_extent(provider, dialog_iface, stac_server, tmp_path, qtbot):
    """QGIS's own batch dialog (Run as Batch Process...): two rows, two extents, two files; a new context per row."""
    from processing.gui.BatchAlgorithmDialog import BatchAlgorithmDialog

    summaries = []

    class RecordingBatchDialog(BatchAlgorithmDialog):
        def createSummaryTable(self, algorithm_results, errors):  # noqa: N802 (QGIS's name)
            # Called once every row has finished (QGIS 3.22 and the tasks of 3.40+ alike): closing the dialog
            # before that deletes it under a row still running.
            summaries.append(([dict(r["results"]) for r in algorithm_results], list(errors)))
            super().createSummaryTable(algorithm_results, errors)

    alg = QgsApplication.processingRegistry().createAlgorithmById(ALG)
    dialog = RecordingBatchDialog(alg, dialog_iface.mainWindow())
    try:
        panel = dialog.mainWidget()
        panel.addRow()
        panel.checkLoadLayersOnCompletion.setChecked(False)
        west, south, east, north = TEST_BBOX
        mid = (west + east) / 2
        outs = [tmp_path / "west.tif", tmp_path / "east.tif"]
        context = QgsProcessingContext()
        for row, (bbox, out) in enumerate(zip([(west, south, mid, north), (mid, south, east, north)], outs)):
            for name, value in params(stac_server, out, bbox=bbox, WIDTH=128).items():
                column = panel.parameter_to_column[name]
                if name == "OUTPUT":
                    panel.tblParameters.cellWidget(row + 1, column).setValue(str(value))
                else:
                    panel.wrappers[row][column].setParameterValue(value, context)
        assert panel.batchRowCount() == 2
        # Shown, as a user has it: QGIS 3.44 deletes a hidden batch dialog once its first row succeeds (the
        # next row then runs on a deleted dialog and crashes).
        dialog.show()
        dialog.runAlgorithm()  # QGIS 3.22 runs the rows one after the other on the calling thread, later ones in tasks
        qtbot.waitUntil(lambda: bool(summaries), timeout=60000)
        ((results, errors),) = summaries
        assert errors == [] and [r["OUTPUT"] for r in results] == [str(out) for out in outs]
        for out in outs:
            assert read(out)[1] == 128
        assert read(outs[0])[4][0] < read(outs[1])[4][0]  # west of east
    finally:
        dialog.close()
        dialog.deleteLater()


def test_processing_on_v2_with_the_default_collection_and_a_comma_list_on_v1(provider, earth_search_v1,
                                                                             earth_search_v2, tmp_path):
    import processing

    bbox = (-105.75, 40.3, -105.6, 40.4)
    v2 = processing.run(ALG, {"EXTENT": extent_string(bbox), "STAC_API": earth_search_v2.url, "START": DATES[0],
                              "END": DATES[1], "CLOUD_COVER_MAX": 100, "WIDTH": 120,
                              "ASSET": "red,green,blue", "REFLECTANCE_MAX": 0.2, "OUTPUT": str(tmp_path / "v2.tif")})
    assert v2["ITEMS"] == "S2B_T13TDE_20240623T175231_L2A"  # the clearest over the view, from STAC 1.1 items
    pixels = read(tmp_path / "v2.tif")[0]
    assert pixels.dtype == np.uint8 and pixels.shape[0] == 3
    v1 = processing.run(ALG, params(earth_search_v1, tmp_path / "v1.tif", bbox=bbox, CLOUD_COVER_MAX=100,
                                    COLLECTION="sentinel-2-l2a,sentinel-2-c1-l2a", STAC_API=earth_search_v1.url_for()))
    assert v1["ITEMS"].startswith("S2B_T13TDE_20240623")  # only C1 has that date: the union found it
