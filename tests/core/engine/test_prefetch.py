"""What the engine starts before it knows it needs it (core/engine/prefetch.py): PROJ's answers for the output
grid while the search is under way. Truth: the UTM zones by their definition (6 degrees from 180 W, EPSG 326nn
north, 327nn south) and the grid the plan builds."""
from __future__ import annotations

import pytest

from stac_quicklook_plugin.core.engine import prefetch
from stac_quicklook_plugin.core.engine.run import open_run
from stac_quicklook_plugin.core.models import QuicklookRequest
from stac_quicklook_plugin.core.raster import backend as backend_module
from stac_quicklook_plugin.core.raster import grid as grid_module

ZONES = [((-105.9, 40.1, -105.3, 40.6), "EPSG:32613"),  # Colorado: 13N, the generated worlds' tiles
         ((2.2, 48.8, 2.5, 48.9), "EPSG:32631"),  # Paris
         ((151.1, -33.95, 151.3, -33.8), "EPSG:32756"),  # Sydney: south
         ((-180.0, 10.0, -179.9, 10.1), "EPSG:32601"),  # the first zone's west edge
         ((179.9, -10.1, 180.0, -10.0), "EPSG:32760")]  # the last zone's east edge


@pytest.mark.parametrize("bbox, epsg", ZONES)
def test_the_guess_is_the_utm_zone_of_the_views_centre(bbox, epsg):
    assert prefetch.utm_zone(bbox) == epsg


def test_the_warm_up_builds_the_grid_the_plan_asks_for_before_it_asks():
    """The warm-up builds exactly the plan's grid in a read thread; the plan's own call then finds PROJ's
    answers remembered (``bounds_in`` is not computed again)."""
    bbox = ZONES[0][0]
    req = QuicklookRequest(bbox_wgs84=bbox, stac_api="http://127.0.0.1:9/", width=300)
    backend_module.backend()  # loaded, as QGIS's warm-up leaves it
    grid_module.bounds_in.cache_clear()
    with open_run(req) as run:
        prefetch.warm_projection(run)
        run.reads[("warm projection", "EPSG:32613")].result(timeout=30)
        warmed = grid_module.bounds_in.cache_info()
        planned = grid_module.plan_grid(bbox, "EPSG:32613", 300)
    after = grid_module.bounds_in.cache_info()
    assert warmed.misses >= 1 and after.misses == warmed.misses and after.hits > warmed.hits
    assert planned.width == 300 and "32613" in grid_module.backend().crs_label(planned.crs)


def test_the_users_crs_is_warmed_and_a_bad_one_is_left_to_the_plan():
    backend_module.backend()
    req = QuicklookRequest(bbox_wgs84=ZONES[1][0], stac_api="http://127.0.0.1:9/", width=200, dst_crs="EPSG:3857")
    with open_run(req) as run:
        prefetch.warm_projection(run)
        assert run.reads[("warm projection", "EPSG:3857")].result(timeout=30) is None
    # A CRS PROJ does not know never raises from the warm-up (the plan says what is wrong)
    bad = QuicklookRequest(bbox_wgs84=ZONES[1][0], stac_api="http://127.0.0.1:9/", width=200)
    with open_run(bad) as run:
        prefetch._warm(run, "EPSG:999999")  # no exception: the plan meets the CRS again and says


def test_nothing_is_warmed_before_the_read_library_is_loaded(monkeypatch):
    """A headless run's first search does not import rasterio/GDAL beside its own answer's parse (a hostile
    catalog's huge answer would then meet 50 MB more): the warm-up waits for a run that has the library."""
    monkeypatch.setattr(backend_module, "_loaded", {})
    req = QuicklookRequest(bbox_wgs84=ZONES[0][0], stac_api="http://127.0.0.1:9/", width=300)
    with open_run(req) as run:
        prefetch.warm_projection(run)
        assert not any(key[0] == "warm projection" for key in run.reads)
