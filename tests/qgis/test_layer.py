"""The layer writer on synthetic engine results: pixels, georeferencing, transparency, name, metadata, cleanup."""
from __future__ import annotations

import numpy as np
import pytest
from osgeo import gdal
from qgis.core import QgsMultiBandColorRenderer, QgsProject, QgsSingleBandGrayRenderer

from stac_quicklook_plugin.core.models import QuicklookRequest
from stac_quicklook_plugin.gui import layer as layer_mod
from tests.qgis.conftest import TEST_BBOX, make_quicklook


def _request(**kw) -> QuicklookRequest:
    return QuicklookRequest(bbox_wgs84=TEST_BBOX, stac_api="http://127.0.0.1:1/api?token=abc", **kw)


def _read(path: str) -> tuple[np.ndarray, gdal.Dataset]:
    ds = gdal.Open(path)
    return ds.ReadAsArray(), ds


def test_uint8_rgb_written_with_alpha_from_mask(qgis_new_project):
    ql = make_quicklook()
    path = layer_mod.write_geotiff(ql)
    try:
        data, ds = _read(path)
        assert path.startswith("/vsimem/stac_quicklook/") and path.endswith(".tif")
        assert ds.RasterCount == 4
        np.testing.assert_array_equal(data[:3], ql.array)
        np.testing.assert_array_equal(data[3], np.where(ql.mask, 255, 0))
        assert ds.GetRasterBand(4).GetColorInterpretation() == gdal.GCI_AlphaBand
        assert ds.GetGeoTransform() == pytest.approx(ql.gdal_geotransform)
        assert ds.GetSpatialRef().GetAuthorityCode(None) == "32613"
        ds = None
    finally:
        gdal.Unlink(path)


def test_uint16_single_band_uses_nodata(qgis_new_project):
    ql = make_quicklook(bands=1, dtype=np.uint16, nodata=0)
    path = layer_mod.write_geotiff(ql)
    try:
        data, ds = _read(path)
        assert ds.RasterCount == 1
        assert ds.GetRasterBand(1).GetNoDataValue() == 0
        np.testing.assert_array_equal(data, ql.array[0])
        assert (data[~ql.mask] == 0).all()
        ds = None
    finally:
        gdal.Unlink(path)


def test_float_without_engine_nodata_gets_nan(qgis_new_project):
    ql = make_quicklook(bands=1, dtype=np.float32)
    path = layer_mod.write_geotiff(ql)
    try:
        data, ds = _read(path)
        assert np.isnan(ds.GetRasterBand(1).GetNoDataValue())
        assert np.isnan(data[~ql.mask]).all()
        np.testing.assert_array_equal(data[ql.mask], ql.array[0][ql.mask])
        ds = None
    finally:
        gdal.Unlink(path)


def test_rgb_layer_renderer_crs_extent_name_metadata(qgis_new_project):
    ql = make_quicklook()
    layer = layer_mod.create_layer(ql, _request())
    try:
        assert layer.isValid()
        assert layer.crs().authid() == "EPSG:32613"
        extent = layer.extent()
        assert (extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()) == \
            pytest.approx(ql.bounds)
        renderer = layer.renderer()
        assert isinstance(renderer, QgsMultiBandColorRenderer)
        assert (renderer.redBand(), renderer.greenBand(), renderer.blueBand(), renderer.alphaBand()) == (1, 2, 3, 4)
        assert renderer.redContrastEnhancement() is None or \
            renderer.redContrastEnhancement().contrastEnhancementAlgorithm() == 0  # NoEnhancement
        assert layer.name() == "S2 2024-08-03 · visual · 4.8 % cloud"
        abstract = layer.metadata().abstract()
        for expected in ("S2B_13TDE_20240803_0_L2A", "2024-08-03T17:49:12Z", "4.8 % cloud", "visual",
                         "https://example.com/tiles/visual.tif", "http://127.0.0.1:1/api", "query"):
            assert expected in abstract, expected
        assert "SECRET123" not in abstract and "token=abc" not in abstract
        assert [link.url for link in layer.metadata().links()] == \
            ["https://example.com/tiles/visual.tif?se=2024&sig=REDACTED"]
    finally:
        gdal.Unlink(layer.customProperty(layer_mod.PATH_PROPERTY))


def test_single_band_layer_is_gray_and_stretched(qgis_new_project):
    ql = make_quicklook(bands=1, dtype=np.uint16, nodata=0)
    layer = layer_mod.create_layer(ql, _request())
    try:
        renderer = layer.renderer()
        assert isinstance(renderer, QgsSingleBandGrayRenderer)
        assert renderer.grayBand() == 1
        enhancement = renderer.contrastEnhancement()
        assert enhancement is not None and enhancement.maximumValue() > enhancement.minimumValue()
    finally:
        gdal.Unlink(layer.customProperty(layer_mod.PATH_PROPERTY))


def test_mosaic_name_shows_date_span_and_worst_cloud():
    from stac_quicklook_plugin.core.models import ItemSummary

    ql = make_quicklook()
    ql.items = [ItemSummary("a", "sentinel-2-l2a", "2024-08-01T10:00:00Z", 2.0),
                ItemSummary("b", "sentinel-2-l2a", "2024-08-03T10:00:00Z", 6.34)]
    assert layer_mod.layer_name(ql, "sentinel-2-l2a") == "S2 2024-08-01…2024-08-03 · visual · ≤ 6.3 % cloud"
    # the prefix names the items' family (core/stac/families.py), else their collection
    ql.items = [ItemSummary("c", "landsat-c2-l2", "2024-08-01T10:00:00Z", 2.0)]
    assert layer_mod.layer_name(ql, "landsat-c2-l2,sentinel-2-l2a").startswith("Landsat 2024-08-01")
    ql.items = [ItemSummary("d", "naip", "2024-08-01T10:00:00Z", None)]
    assert layer_mod.layer_name(ql, "naip").startswith("naip 2024-08-01")
    ql.items = [ItemSummary("e", "sentinel-2-l1c", "2024-08-01T10:00:00Z", None)]  # no family row, still S2
    assert layer_mod.layer_name(ql, "sentinel-2-l1c").startswith("S2 2024-08-01")


def test_layer_goes_on_top_of_group_and_file_is_unlinked_on_removal(qgis_new_project):
    project = QgsProject.instance()
    janitor = layer_mod.VsimemJanitor(project)
    try:
        first = layer_mod.create_layer(make_quicklook(), _request())
        second = layer_mod.create_layer(make_quicklook(), _request())
        paths = [first.customProperty(layer_mod.PATH_PROPERTY), second.customProperty(layer_mod.PATH_PROPERTY)]
        group = layer_mod.add_to_project(first, project)
        assert project.layerTreeRoot().children()[0] is group
        assert group.name() == "STAC Quicklooks"
        assert layer_mod.add_to_project(second, project) is group
        assert [child.layerId() for child in group.children()] == [second.id(), first.id()]
        assert all(gdal.VSIStatL(p) is not None for p in paths)

        project.removeMapLayer(first.id())
        assert gdal.VSIStatL(paths[0]) is None
        assert gdal.VSIStatL(paths[1]) is not None
        project.removeAllMapLayers()
        assert gdal.VSIStatL(paths[1]) is None
        assert not set(paths) & set(layer_mod.vsimem_files())
    finally:
        janitor.disconnect_project()


def test_the_layer_metadata_names_each_items_collection_and_the_copies_left_out(earth_search_v1):
    from stac_quicklook_plugin.core.engine.quicklook import quicklook
    from stac_quicklook_plugin.core.models import QuicklookRequest
    from stac_quicklook_plugin.gui.layer import layer_name, provenance_text

    request = QuicklookRequest(bbox_wgs84=(-105.75, 40.3, -105.6, 40.4), stac_api=earth_search_v1.url_for(),
                               collection="sentinel-2-l2a,sentinel-2-c1-l2a", datetime_range="2024-01-01/2024-12-31",
                               cloud_cover_max=100, width=100, acquisition_date="2024-09-16",
                               asset_key="red,green,blue")
    result = quicklook(request)
    text = provenance_text(result, request)
    assert "collection sentinel-2-l2a,sentinel-2-c1-l2a." in text
    assert "S2A_13TDE_20240916_0_L2A  (sentinel-2-l2a)" in text
    assert "S2A_T13TDE_20240916T175231_L2A  (sentinel-2-c1-l2a) = S2A_13TDE_20240916_0_L2A" in text
    assert "Reflectance 0 to 0.3 drawn as 1 to 255" in text and "red ×0.0001 -0.1" in text
    assert layer_name(result, "").startswith("S2 2024-09-16 · red,green,blue")


def test_the_layer_metadata_lists_what_the_catalog_gave_that_could_not_be_used():
    from stac_quicklook_plugin.gui.layer import provenance_text

    ql = make_quicklook()
    ql.meta = dict(ql.meta or {}, metadata_notes=["The 'qa_pixel' asset of item X holds uint8 values, not the uint16 "
                                                  "of a Landsat Collection 2 QA_PIXEL: ..."])
    text = provenance_text(ql, _request())
    assert "Notes:" in text and "  - The 'qa_pixel' asset of item X holds uint8 values" in text
    ql.meta["metadata_notes"] = []
    assert "Notes:" not in provenance_text(ql, _request())
