"""Mixed sensors only on request (issue 23): one API serving ``sentinel-2-l2a`` and ``landsat-c2-l2`` over the
same ground (the ``mixed_world`` fixture). A time series over both lists every acquisition once with its
sensor; a quicklook never mosaics two sensors into one picture unless the user asks to mask clouds. Truth
from the generators' date lists and Landsat's designed ``qa_pixel``."""
from __future__ import annotations

import csv
import io
from dataclasses import replace

import numpy as np
from osgeo import osr

from stac_quicklook_plugin.core.engine.acquisitions import is_mixed, list_acquisitions, one_sensor
from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.core.engine.render import series_csv
from stac_quicklook_plugin.core.engine.series import quicklook_series
from stac_quicklook_plugin.core.engine.timeseries import timeseries
from stac_quicklook_plugin.core.models import QuicklookRequest
from tests.conftest import SAME_DAY
from tests.harness import datagen, landsat

BOTH = "landsat-c2-l2,sentinel-2-l2a"
POINT = (-105.70, 40.36)  # inside the Landsat view, inside 13TDE


def request(url, collection=BOTH, **kw):
    base = dict(bbox_wgs84=landsat.VIEW, stac_api=url, collection=collection, datetime_range="2024-05-01/2024-09-30",
                cloud_cover_max=100.0, width=128)
    base.update(kw)
    return QuicklookRequest(**base)


def _landsat_cloudy_at(point, index):
    utm, wgs84 = osr.SpatialReference(), osr.SpatialReference()
    utm.ImportFromEPSG(landsat.EPSG)
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    x, y = osr.CoordinateTransformation(wgs84, utm).TransformPoint(*point)[:2]
    col, row = int((x - landsat.ULX) // landsat.RES), int((landsat.ULY - y) // landsat.RES)
    bits = int(landsat.qa_pixel(index)[row, col])
    return bool(bits & (landsat.CLOUD | landsat.DILATED | landsat.CIRRUS | landsat.SHADOW))


def test_a_point_series_over_two_sensors_labels_each_date_with_its_sensor(mixed_world):
    series = timeseries(request(mixed_world.url), POINT)
    got = [(e.date, e.sensor) for e in series.entries]
    want = sorted([(d["date"], "S2") for d in datagen.DATES] + [(d["date"], "Landsat") for d in landsat.DATES])
    assert got == want  # oldest first, every acquisition once, with its sensor
    for entry in series.entries:
        assert all(i.startswith(("LC0", "LC9")) if entry.sensor == "Landsat" else not i.startswith("LC")
                   for i in entry.items)
        if entry.sensor == "Landsat":
            index = [d["date"] for d in landsat.DATES].index(entry.date)
            assert entry.cloudy is _landsat_cloudy_at(POINT, index)
            assert (entry.value is None) is entry.cloudy
    assert series.sensors == ["S2", "Landsat"] or series.sensors == ["Landsat", "S2"]
    rows = list(csv.reader(io.StringIO(series_csv(series))))
    assert rows[0] == ["date", "value", "cloudy", "valid_fraction", "items", "sensor"]
    assert [(r[0], r[5]) for r in rows[1:]] == want
    assert [e["sensor"] for e in series.as_json()["timeseries"]] == [s for _, s in want]


def test_one_sensor_keeps_the_csv_header_of_the_contract(mixed_world):
    series = timeseries(request(mixed_world.url, collection="landsat-c2-l2"), POINT)
    assert {e.sensor for e in series.entries} == {"Landsat"}
    assert series_csv(series).splitlines()[0] == "date,value,cloudy,valid_fraction,items"


# East of the Landsat scene's edge (x = 456010 m, about 105.51 W) only Sentinel-2 has data. In July the least
# cloudy scene is Landsat's 2024-07-10 (5 %), then Landsat's 07-26 (80 %, the same footprint) and 13TDE's 07-18.
EDGE_VIEW = (-105.60, 40.30, -105.40, 40.42)


def test_a_quicklook_of_two_sensors_draws_one_sensor_unless_clouds_are_masked(mixed_world):
    july = dict(bbox_wgs84=EDGE_VIEW, datetime_range="2024-07-01/2024-07-31", width=200, rank="scene")
    ql = quicklook(request(mixed_world.url, **july))
    assert {i.collection for i in ql.items} == {"landsat-c2-l2"}
    mask = np.asarray(ql.mask)
    assert mask[:, :20].all() and not mask[:, -20:].any()  # the east stays empty: no Sentinel-2 pixel fills it
    masked = quicklook(request(mixed_world.url, mask_clouds=True, **july))  # asked: clouds and holes filled
    assert {i.collection for i in masked.items} == {"landsat-c2-l2", "sentinel-2-l2a"}
    assert np.asarray(masked.mask).all()


# A day both sensors acquired (conftest.SAME_DAY: Landsat's 2024-06-24 served as 2024-06-23, a Sentinel-2 date)
BOTH_DAY = "2024-06-23"
LANDSAT_ID = "LC09_L2SP_034032_20240624_02_T1"


def test_the_dates_list_of_two_sensors_lists_a_day_once_per_sensor(mixed_same_day_world):
    acquisitions = list_acquisitions(request(mixed_same_day_world.url))
    got = [(a.date, a.sensor) for a in acquisitions]
    want_dates = {d["date"] for d in datagen.DATES} | {SAME_DAY.get(d["date"], d["date"]) for d in landsat.DATES}
    assert [d for d, _ in got] == sorted([d for d, _ in got], reverse=True)  # newest first
    assert {d for d, _ in got} == want_dates
    day = {a.sensor: a for a in acquisitions if a.date == BOTH_DAY}
    assert set(day) == {"S2", "Landsat"}
    assert day["Landsat"].items == (LANDSAT_ID,) and day["Landsat"].collections == ("landsat-c2-l2",)
    assert not any(i.startswith("LC") for i in day["S2"].items) and day["S2"].collections == ("sentinel-2-l2a",)
    # each judged on its own mask: Landsat's designed cloud box (the top-left fifth of the scene) is outside
    # this view, so its view cloud is near 0, whatever the Sentinel-2 date's
    assert day["Landsat"].view_cloud is not None and day["Landsat"].view_cloud < 3.0
    as_json = day["Landsat"].as_json(with_sensor=True)
    assert as_json["sensor"] == "Landsat" and as_json["collections"] == ["landsat-c2-l2"]
    assert "sensor" not in day["Landsat"].as_json()  # one sensor's list keeps the listing's keys


def test_one_sensors_date_of_a_mixed_list_quicklooks_that_sensor(mixed_same_day_world):
    req = request(mixed_same_day_world.url)
    acquisitions = list_acquisitions(req)
    for acquisition in (a for a in acquisitions if a.date == BOTH_DAY):
        one = one_sensor(req, acquisition, is_mixed(acquisitions))
        ql = quicklook(one)
        assert {i.id for i in ql.items} <= set(acquisition.items)
        assert {i.collection for i in ql.items} == set(acquisition.collections)
    # an unmixed list keeps the request's collections: only the date is set
    assert one_sensor(req, acquisitions[0], False) == replace(req, acquisition_date=acquisitions[0].date)


def test_a_series_of_two_sensors_has_a_frame_per_day_and_sensor(mixed_same_day_world):
    frames = quicklook_series(request(mixed_same_day_world.url))
    labels = [f.label for f in frames]
    assert f"{BOTH_DAY} Landsat" in labels and f"{BOTH_DAY} S2" in labels
    assert labels == sorted(labels)
    for frame in frames:
        assert frame.quicklook is not None, frame.error
        collections = {i.collection for i in frame.quicklook.items}
        assert collections == ({"landsat-c2-l2"} if frame.sensor == "Landsat" else {"sentinel-2-l2a"})
        assert frame.stem == f"{frame.date}_{frame.sensor}"


def test_every_date_of_two_sensors_writes_a_file_per_day_and_sensor(mixed_same_day_world, tmp_path):
    out = tmp_path
    argv = ["--stac-api", mixed_same_day_world.url, "--collection", BOTH, "--bbox", *map(str, landsat.VIEW),
            "--datetime", "2024-06-01/2024-06-30", "--cloud-lt", "100", "--width", "96", "--quiet",
            "--every-date", "--out-dir", str(out), "--json"]
    code, document = _cli(argv)
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [f"{BOTH_DAY}_Landsat.tif", f"{BOTH_DAY}_S2.tif"]
    assert sorted((o["date"], o["sensor"]) for o in document["outputs"]) == [(BOTH_DAY, "Landsat"), (BOTH_DAY, "S2")]


def _cli(argv):
    import contextlib
    import json

    from stac_quicklook_plugin.__main__ import main

    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(argv)
    return code, json.loads(stdout.getvalue() or "{}")


def test_frame_files_of_two_sensors_never_share_a_name():
    """A catalog's collection ids become file names: two that are alike once made safe keep their own names."""
    from stac_quicklook_plugin.core.engine.acquisitions import Acquisition
    from stac_quicklook_plugin.core.engine.series import Frame

    def stem(sensor):
        return Frame(Acquisition("2024-06-24", ("x",), None, None, 100.0, sensor), mixed=True).stem

    long_a, long_b = "my-catalog-sentinel-2-l2a-harmonised-europe-2024", "my-catalog-sentinel-2-l2a-harmonised-europe-2025"
    names = [stem(s) for s in ("S2", "Landsat", long_a, long_b, "α", "β", "../../etc", "a/b")]
    assert names[:2] == ["2024-06-24_S2", "2024-06-24_Landsat"]  # plain names stay as they are
    assert len(set(names)) == len(names)
    assert all("/" not in n and ".." not in n for n in names)
    assert Frame(Acquisition("2024-06-24", ("x",), None, None, 100.0, "S2")).stem == "2024-06-24"  # one sensor
