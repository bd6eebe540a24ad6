"""Landsat Collection 2 Level-2 (issue 23), on a generated Planetary Computer-shaped world (tests.harness.landsat):
cloud over the view from the ``qa_pixel`` bits, the clearest date winning, masking filling cloud and shadow from
the next date, true colour and NDVI (``nir08``/``red``) on reflectance with the collection's scale and offset.
The truth is the generator's own arrays."""
from __future__ import annotations

import numpy as np
import pytest
from osgeo import gdal, osr

from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.core.models import QuicklookRequest
from tests.harness import landsat

RANGE = "2024-06-01/2024-08-31"


def request(url, **kw):
    base = dict(bbox_wgs84=landsat.VIEW, stac_api=url, collection="landsat-c2-l2", datetime_range=RANGE,
                cloud_cover_max=100.0, width=200)
    base.update(kw)
    return QuicklookRequest(**base)


def _view_window():
    """The view's pixel window (rows, cols slices) in the scene's grid."""
    utm, wgs84 = osr.SpatialReference(), osr.SpatialReference()
    utm.ImportFromEPSG(landsat.EPSG)
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_utm = osr.CoordinateTransformation(wgs84, utm)
    west, south, east, north = landsat.VIEW
    xs, ys = zip(*[to_utm.TransformPoint(x, y)[:2] for x in (west, east) for y in (south, north)])
    cols = slice(int((min(xs) - landsat.ULX) // landsat.RES), int((max(xs) - landsat.ULX) // landsat.RES))
    rows = slice(int((landsat.ULY - max(ys)) // landsat.RES), int((landsat.ULY - min(ys)) // landsat.RES))
    return rows, cols


def _cloud_truth(index):
    """Percent of the view's data pixels whose qa_pixel says cloud, cirrus, dilated cloud or shadow."""
    rows, cols = _view_window()
    qa = landsat.qa_pixel(index)[rows, cols].astype(np.int64)
    data = (qa & landsat.FILL) == 0
    cloudy = data & ((qa & (landsat.CLOUD | landsat.DILATED | landsat.CIRRUS | landsat.SHADOW)) != 0)
    return 100.0 * cloudy.sum() / data.sum()


def _on_grid(ql, array, resampling):
    """An array of the generator's, on the scene's grid, warped onto the quicklook's grid by GDAL alone."""
    gdal.UseExceptions()
    kind = gdal.GDT_UInt16 if array.dtype == np.uint16 else gdal.GDT_Float32
    mem = gdal.GetDriverByName("MEM").Create("", landsat.SIZE, landsat.SIZE, 1, kind)
    mem.SetGeoTransform((landsat.ULX, landsat.RES, 0.0, landsat.ULY, 0.0, -landsat.RES))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(landsat.EPSG)
    mem.SetProjection(srs.ExportToWkt())
    mem.GetRasterBand(1).WriteArray(array)
    left, bottom, right, top = ql.bounds
    out = gdal.Warp("", mem, format="MEM", outputBounds=(left, bottom, right, top), width=ql.width, height=ql.height,
                    dstSRS=ql.crs, resampleAlg=resampling)
    return out.GetRasterBand(1).ReadAsArray()


def _truth_on(ql, index, band):
    """The generator's reflectance of ``band``, averaged onto the quicklook's grid."""
    return _on_grid(ql, landsat.reflectance(index, band).astype(np.float32), "average")


def _qa_on(ql, index):
    """The generator's qa_pixel of a date, nearest onto the quicklook's grid."""
    return _on_grid(ql, landsat.qa_pixel(index), "near").astype(np.int64)


def test_cloud_over_the_view_from_qa_pixel_ranks_the_clear_date_first(landsat_world):
    by_view = quicklook(request(landsat_world.url))
    assert by_view.items[0].id == landsat.DATES[0]["id"]  # clear over the view, though 30 % over its scene
    by_scene = quicklook(request(landsat_world.url, rank="scene"))
    assert by_scene.items[0].id == landsat.DATES[1]["id"]  # 5 % over its scene, cloudy here
    judged = {i.id: i.view_cloud for i in quicklook(request(landsat_world.url, acquisition_date="2024-07-10")).items}
    assert abs(judged[landsat.DATES[1]["id"]] - _cloud_truth(1)) < 3.0, (judged, _cloud_truth(1))
    assert by_view.meta["view_cloud"] is not None and by_view.meta["view_cloud"] < 1.0


def test_true_colour_on_reflectance_with_the_collections_scale_and_offset(landsat_world):
    ql = quicklook(request(landsat_world.url))
    assert ql.meta["kind"] == "rgb" and ql.asset_key == "red,green,blue"
    conversion = ql.meta["reflectance"]["scale_offset"][landsat.DATES[0]["id"]]["red"]
    assert conversion == {"scale": landsat.SCALE, "offset": landsat.OFFSET}
    for channel, band in enumerate(("red", "green", "blue")):
        truth = _truth_on(ql, 0, band)
        assert float(np.nanmean(np.abs(ql.reflectance[channel][ql.mask] - truth[ql.mask]))) < 0.01, band


def test_mask_clouds_fills_cloud_and_shadow_from_the_next_date(landsat_world):
    # Ranked by scene, 2024-07-10 comes first and is cloudy over most of the view: masking fills it from the next
    # scene (2024-06-24), pixel for pixel.
    masked = quicklook(request(landsat_world.url, rank="scene", mask_clouds=True))
    assert masked.items[0].id == landsat.DATES[1]["id"]
    clear_date = quicklook(request(landsat_world.url, acquisition_date="2024-06-24"))
    cloudy_date = quicklook(request(landsat_world.url, acquisition_date="2024-07-10"))
    qa = _qa_on(cloudy_date, 1)
    cloudy = ((qa & (landsat.CLOUD | landsat.DILATED | landsat.CIRRUS | landsat.SHADOW)) != 0) & masked.mask
    assert cloudy.mean() > 0.3  # the cloud over the view is real
    np.testing.assert_array_equal(masked.array[:, cloudy], clear_date.array[:, cloudy])  # filled from 06-24
    clear = ~cloudy & masked.mask & (qa != 0)
    np.testing.assert_array_equal(masked.array[:, clear], cloudy_date.array[:, clear])  # the rest is 07-10's own
    assert {i.id for i in masked.items} >= {landsat.DATES[0]["id"], landsat.DATES[1]["id"]}


def test_ndvi_from_nir08_and_red_matches_the_truth(landsat_world):
    ql = quicklook(request(landsat_world.url, preset="ndvi"))
    assert ql.meta["bands"] == {"nir": "nir08", "red": "red"}  # Landsat's NIR is nir08
    nir, red = _truth_on(ql, 0, "nir08"), _truth_on(ql, 0, "red")
    truth = (nir - red) / (nir + red)
    error = np.abs(ql.array[0] - truth)[ql.mask]
    assert float(np.mean(error)) < 0.01 and float(np.percentile(error, 95)) < 0.01


@pytest.mark.parametrize("point", [(-105.70, 40.36)])
def test_a_landsat_time_series_flags_the_cloudy_dates(landsat_world, point):
    from stac_quicklook_plugin.core.engine.timeseries import timeseries

    series = timeseries(request(landsat_world.url), point=point)
    assert [e.date for e in series.entries] == [d["date"] for d in landsat.DATES]
    assert [e.cloudy for e in series.entries] == [False, True, True]
    assert series.entries[0].value is not None and series.entries[1].value is None


def test_the_landsat_cogs_tile_index_is_in_the_first_32_kb(landsat_world):
    # Landsat C2's 256-pixel tiles: the engine's first ranged GET holds every level's tile index, so a cold read is
    # search, header, tiles (a longer index grows the header read by one GET: tests/core/raster/test_ranges.py).
    from stac_quicklook_plugin.core.raster import ranges, tiff_index

    files = sorted(landsat_world.dataset.rglob("*.TIF"))
    assert len(files) == 5 * len(landsat.ALL_DATES)  # four bands and qa_pixel a date
    for path in files:
        images = tiff_index.parse(path.read_bytes()[:ranges.HEAD_BYTES])
        assert images is not None and images[0].tile_width == 256 and len(images) >= 4, path.name


def test_the_recorded_landsat_c2_l2_item_is_understood():
    # A real item of landsat-c2-l2 as Planetary Computer serves it (made by stactools-packages/landsat):
    # its true colour, its mask, its reflectance and the bands of every preset it can show.
    import json

    from stac_quicklook_plugin.core.bands.presets import band_assets, band_math, supported_presets
    from stac_quicklook_plugin.core.bands.reflectance import asset_conversions
    from stac_quicklook_plugin.core.masks.sources import mask_source
    from stac_quicklook_plugin.core.stac.assets import choose_assets
    from tests.harness import datagen

    item = json.loads((datagen.FIXTURES / "landsat" / "items" / "LC09_L2SP_010065_20220129_02_T1.json").read_text())
    assert choose_assets(item).keys == ("red", "green", "blue")
    source, key = mask_source(item)
    assert key == "qa_pixel" and source.name.startswith("Landsat")
    conversions, notes = asset_conversions(item, ("red", "green", "blue"))
    assert [(c.scale, c.offset) for c in conversions] == [(2.75e-05, -0.2)] * 3 and notes == ()
    assert band_assets(item, band_math("ndvi")) == {"nir": "nir08", "red": "red"}
    assert band_assets(item, band_math("swir")) == {"swir22": "swir22", "nir08": "nir08", "red": "red"}
    assert supported_presets(item) == ["true-color", "false-color", "swir", "agriculture", "ndvi", "ndwi", "ndmi",
                                       "nbr", "evi"]
    # USGS's common QA_PIXEL values (Landsat 8-9): clear land, high-confidence cloud, fill, clear water, cloud
    # shadow, high-confidence cirrus over cloud.
    bits = np.array([21824, 22280, 1, 21952, 23888, 55052], dtype=np.uint16)
    assert list(source.data(bits)) == [True, True, False, True, True, True]
    assert list(source.is_cloudy(bits)) == [False, True, False, False, True, True]


def test_a_real_size_landsat_cog_keeps_its_tile_index_in_the_first_32_kb(tmp_path):
    # A Landsat C2 L2 band at its real size (7681 x 7821 px at 30 m, WRS-2 path/row scene), written by GDAL's COG
    # driver as USGS lays it out (256-pixel tiles, DEFLATE, overviews down to one tile): every level's tile index
    # lies in the engine's first ranged GET, so a cold read is search, header, tiles.
    from osgeo import gdal

    from stac_quicklook_plugin.core.raster import ranges, tiff_index

    gdal.UseExceptions()
    width, height = 7681, 7821
    y, x = np.mgrid[0:height, 0:width]
    data = ((x * 7 + y * 3) % 20000 + 7000).astype(np.uint16)
    mem = gdal.GetDriverByName("MEM").Create("", width, height, 1, gdal.GDT_UInt16)
    mem.SetGeoTransform((300000.0, 30.0, 0.0, 4500000.0, 0.0, -30.0))
    mem.GetRasterBand(1).WriteArray(data)
    mem.GetRasterBand(1).SetNoDataValue(0)
    path = tmp_path / "LC09_L2SP_034032_20240624_20240625_02_T1_SR_B4.TIF"
    gdal.Translate(str(path), mem, format="COG", creationOptions=["BLOCKSIZE=256", "COMPRESS=DEFLATE"])
    head = path.read_bytes()[:ranges.HEAD_BYTES]
    images = tiff_index.parse(head)
    assert images is not None and images[0].width == width and images[0].tile_width == 256
    assert len(images) >= 5  # full resolution and its overviews
    tiles = sum(len(i.offsets) for i in images)
    assert tiles > 1200 and tiff_index.bytes_needed(head) is None  # nothing of the index lies beyond the head


def test_a_qa_pixel_of_the_wrong_type_is_not_read_as_bits(landsat_world, stac_server, tmp_path):
    """A catalog whose ``qa_pixel`` is another file (here a Sentinel-2 scene classification, 8-bit classes): its
    values are not read as Landsat's bits; the scenes rank by their scene cloud, and the result says why."""
    import json

    from tests.harness.servers import FaultStac

    scl = next(i["assets"]["scl"]["href"] for i in stac_server.items if "_13TDE_" in i["id"] and "scl" in i["assets"])
    items = json.loads(json.dumps(landsat_world.items))
    for item in items:
        item["assets"]["qa_pixel"]["href"] = scl
    items_path = tmp_path / "items.json"
    items_path.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    server = FaultStac(items_path, tmp_path / "stac.jsonl")
    try:
        ql = quicklook(request(server.url_for("ok")))
        from stac_quicklook_plugin.core.engine.timeseries import timeseries

        series = timeseries(request(server.url_for("ok")), point=(-105.70, 40.36))
    finally:
        server.stop()
    # the time series keeps every date, unmasked, and says why
    assert [e.date for e in series.entries] == [d["date"] for d in landsat.DATES]
    assert all(e.value is not None and not e.cloudy for e in series.entries)
    assert any("'qa_pixel'" in n and "uint8" in n for n in series.notes), series.notes
    assert ql.items[0].id == landsat.DATES[1]["id"]  # 5 % over its scene: the scene-level order
    assert ql.meta["view_cloud"] is None
    notes = [n for n in ql.meta["metadata_notes"] if "'qa_pixel'" in n]
    assert notes and "uint8" in notes[0] and "uint16" in notes[0] and "scene cloud" in notes[0], ql.meta


def test_the_dates_list_and_the_series_of_a_landsat_collection(landsat_world):
    """The acquisitions list (cloud over the view from qa_pixel, newest first) and the Temporal Controller series
    (a quicklook a date, oldest first) on landsat-c2-l2."""
    from stac_quicklook_plugin.core.engine.acquisitions import list_acquisitions
    from stac_quicklook_plugin.core.engine.series import quicklook_series

    dates = list_acquisitions(request(landsat_world.url))
    assert [a.date for a in dates] == [d["date"] for d in reversed(landsat.DATES)]
    for acquisition in dates:
        index = [d["date"] for d in landsat.DATES].index(acquisition.date)
        assert acquisition.items == (landsat.DATES[index]["id"],)
        assert abs(acquisition.view_cloud - _cloud_truth(index)) < 3.0, (acquisition, _cloud_truth(index))
    frames = quicklook_series(request(landsat_world.url, width=120))
    assert [f.date for f in frames] == [d["date"] for d in landsat.DATES]
    assert all(f.error is None and f.quicklook.items[0].id == landsat.DATES[i]["id"] for i, f in enumerate(frames))
