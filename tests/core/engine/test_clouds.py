"""Cloud over the view (engine): ranking by the scene classification, the figures against the generated
truth, cloud masking across dates, one date, every date."""
from __future__ import annotations

import numpy as np
import pytest
from osgeo import gdal, osr

from stac_quicklook_plugin.core.engine.acquisitions import list_acquisitions
from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.core.engine.series import quicklook_series
from stac_quicklook_plugin.core.errors import BadInput, NothingFound
from stac_quicklook_plugin.core.models import QuicklookRequest
from stac_quicklook_plugin.core.stac import client as stac

pytestmark = pytest.mark.usefixtures("reader")  # every test on both read backends

ALL_DATES = "2000-01-01/2030-12-31"
# A ~10 km view of 13TDE (UTM 13N) where the least cloudy scene (2024-06-23, 1.4 % over the tile) has
# clouds over a quarter of the view while 2024-08-22 and 2024-09-16 are clear there (the generated SCL).
VIEW_UTM = (447960.0, 4442400.0, 457560.0, 4452000.0)
CLOUDY = (3, 8, 9, 10)


def _to_wgs84(left, bottom, right, top):
    utm, wgs = osr.SpatialReference(), osr.SpatialReference()
    utm.ImportFromEPSG(32613)
    wgs.ImportFromEPSG(4326)
    for srs in (utm, wgs):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return tuple(osr.CoordinateTransformation(utm, wgs).TransformBounds(left, bottom, right, top, 21))


VIEW = _to_wgs84(*VIEW_UTM)


@pytest.fixture(autouse=True)
def _fresh():
    stac.clear_api_cache()
    gdal.VSICurlClearCache()


def req(url, **kw):
    base = dict(bbox_wgs84=VIEW, stac_api=url, datetime_range=ALL_DATES, cloud_cover_max=20.0, width=200)
    base.update(kw)
    return QuicklookRequest(**base)


def truth(testdata_small, day: str) -> float:
    """Percent cloudy of the 13TDE scene's data pixels inside the view, from its SCL file."""
    (path,) = [p for p in (testdata_small / "cogs").rglob("SCL.tif") if f"_13TDE_{day.replace('-', '')}_" in str(p)]
    ds = gdal.Open(str(path))
    x0, res, _, y0, _, _ = ds.GetGeoTransform()
    left, bottom, right, top = VIEW_UTM
    c0, c1 = int(round((left - x0) / res)), int(round((right - x0) / res))
    r0, r1 = int(round((y0 - top) / res)), int(round((y0 - bottom) / res))
    classes = ds.ReadAsArray(c0, r0, c1 - c0, r1 - r0)
    data = classes != 0
    return 100.0 * np.isin(classes, CLOUDY)[data].sum() / data.sum()


def test_view_ranking_picks_the_scene_that_is_clear_over_the_view(stac_server, testdata_small):
    assert truth(testdata_small, "2024-06-23") > 20  # the scene-level winner is cloudy here...
    by_scene = quicklook(req(stac_server.url, rank="scene"))
    assert by_scene.items[0].datetime.startswith("2024-06-23")
    by_view = quicklook(req(stac_server.url))  # rank="view" is the default
    best = by_view.items[0]
    assert not best.datetime.startswith("2024-06-23")  # ...and a cloudier scene wins, clear over the view
    assert best.cloud_cover > by_scene.items[0].cloud_cover
    assert best.view_cloud is not None and best.view_cloud < 2.0
    assert by_view.meta["view_cloud"] == best.view_cloud and by_view.meta["rank"] == "view"
    assert by_scene.meta["rank"] == "scene"


def test_acquisitions_list_the_dates_with_view_cloud_against_the_truth(stac_server, testdata_small, cog_server):
    cog_server.clear_log()
    dates = list_acquisitions(req(stac_server.url, cloud_cover_max=100.0))
    assert [a.date for a in dates] == sorted((a.date for a in dates), reverse=True)  # newest first
    assert {a.date for a in dates} == {"2024-05-14", "2024-06-23", "2024-07-18", "2024-08-22", "2024-09-16"}
    for a in dates:
        assert a.view_coverage == pytest.approx(100.0, abs=0.5)
        assert a.items and all(f"_{a.date.replace('-', '')}_" in i for i in a.items)
        assert a.view_cloud == pytest.approx(truth(testdata_small, a.date), abs=2.0), a
        assert a.scene_cloud is not None
    # No imagery was read: only the scene classification files.
    files = {r["path"].rsplit("/", 1)[-1] for r in cog_server.requests()}
    assert files == {"SCL.tif"}, files


def test_mask_clouds_fills_the_cloudy_pixels_from_the_next_date(stac_server):
    plain = quicklook(req(stac_server.url, rank="scene"))
    masked = quicklook(req(stac_server.url, rank="scene", mask_clouds=True))
    days = [i.datetime[:10] for i in masked.items]
    assert days[0] == "2024-06-23" and len(set(days)) >= 2  # two dates combined
    assert masked.meta["view_cloud"] < 1.0 and masked.mask.all()
    other_day = days[1]
    other = quicklook(req(stac_server.url, acquisition_date=other_day))
    changed = np.any(masked.array != plain.array, axis=0)
    assert 0.1 < changed.mean() < 0.6  # the clouds of 06-23 (a quarter of the view) were replaced...
    diff = np.abs(masked.array[:, changed].astype(int) - other.array[:, changed].astype(int))
    assert np.median(diff) <= 1  # ...by the other date's pixels


def test_one_acquisition_date(stac_server):
    ql = quicklook(req(stac_server.url, acquisition_date="2024-08-22"))
    assert ql.items and all(i.datetime.startswith("2024-08-22") for i in ql.items)
    with pytest.raises(NothingFound, match="Dates with scenes"):
        quicklook(req(stac_server.url, acquisition_date="2024-08-23"))
    with pytest.raises(BadInput, match="outside the date range"):
        quicklook(req(stac_server.url, datetime_range="2024-06-01/2024-06-30", acquisition_date="2024-08-22"))


def test_every_date_gives_one_quicklook_per_date_oldest_first(stac_server):
    seen = []
    frames = quicklook_series(req(stac_server.url, cloud_cover_max=100.0, width=120), on_frame=seen.append)
    assert [f.date for f in frames] == ["2024-05-14", "2024-06-23", "2024-07-18", "2024-08-22", "2024-09-16"]
    assert len(seen) == 5
    for frame in frames:
        assert frame.error is None and frame.quicklook is not None
        assert all(i.datetime.startswith(frame.date) for i in frame.quicklook.items)
        assert frame.quicklook.width == 120
    with pytest.raises(BadInput, match="more than the 2 a series makes"):
        quicklook_series(req(stac_server.url, cloud_cover_max=100.0), max_dates=2)


def test_items_without_a_classification_rank_by_scene_cloud(stac_server):
    import copy

    from stac_quicklook_plugin.core.engine.quicklook import rank as assess
    from stac_quicklook_plugin.core.engine.run import open_run
    from stac_quicklook_plugin.core.engine.validate import validate_request
    from stac_quicklook_plugin.core.net.http import HttpClient

    found = stac.search_items(HttpClient(), validate_request(req(stac_server.url)))
    with_scl = [i for i in found.items if "_13TDE_" in i["id"]]
    without = copy.deepcopy(with_scl)
    for item in without:
        item["assets"].pop("scl")
    with open_run(req(stac_server.url)) as run:
        assessment = assess(run, without)
    assert [i["id"] for i in assessment.items] == [i["id"] for i in without]  # scene order kept
    assert all(v is None for v in assessment.view_cloud.values())
    with open_run(req(stac_server.url)) as run:
        judged = assess(run, with_scl)
    assert judged.items[0]["id"] != with_scl[0]["id"]  # with the classification, the clear scene wins
