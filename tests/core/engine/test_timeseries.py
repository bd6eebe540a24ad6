"""A cloud-free index time series at a point or over the view (issue 21), against the generator's truth: the
DNs and the scene classification of the generated files themselves (DN = 10000 x reflectance + 1000), never the
code under test."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from osgeo import gdal, osr

from stac_quicklook_plugin.core.engine.timeseries import timeseries
from stac_quicklook_plugin.core.errors import BadInput, NothingFound
from tests.core.engine.test_sentinel2_today import cli, request
from tests.harness import datagen

POINT = (-105.68, 40.35)  # inside VIEW, 13TDE
CLOUDY_CLASSES = (3, 8, 9, 10)


def _scene(dataset, date):
    scenes = json.loads((dataset / "scenes.json").read_text())["scenes"]
    return next(s for s in scenes if s["datetime"].startswith(date) and "13TDE" in s["id"])


def _pixel(dataset, date, key, lon, lat):
    """The stored value of ``key`` at the pixel of the file containing (lon, lat)."""
    gdal.UseExceptions()
    ds = gdal.Open(str(dataset / "cogs" / _scene(dataset, date)["assets"][key]["relpath"]))
    srs = osr.SpatialReference()
    srs.ImportFromWkt(ds.GetProjection())
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    x, y, _ = osr.CoordinateTransformation(wgs84, srs).TransformPoint(lon, lat)
    c, a, _, f, _, e = ds.GetGeoTransform()
    col, row = int((x - c) // a), int((y - f) // e)
    return float(ds.GetRasterBand(1).ReadAsArray(col, row, 1, 1)[0, 0])


def _truth_at(dataset, date, lon, lat):
    """(NDVI on reflectance, cloudy) at the point, from the generated files."""
    nir = (_pixel(dataset, date, "nir", lon, lat) - datagen.BOA_ADD_OFFSET) / 10000.0
    red = (_pixel(dataset, date, "red", lon, lat) - datagen.BOA_ADD_OFFSET) / 10000.0
    scl = int(_pixel(dataset, date, "scl", lon, lat))
    return (nir - red) / (nir + red), scl in CLOUDY_CLASSES


def test_a_point_series_matches_the_truth_and_flags_cloudy_dates(earth_search_v2, testdata_small):
    series = timeseries(request(earth_search_v2.url, cloud_cover_max=100.0), point=POINT)
    dates = [e.date for e in series.entries]
    assert dates == sorted(dates) and len(dates) == 5  # every generated date, oldest first
    assert series.preset == "ndvi" and series.masked
    cloudy_seen = 0
    for entry in series.entries:
        truth, cloudy = _truth_at(testdata_small, entry.date, *POINT)
        assert entry.cloudy == cloudy, entry
        if cloudy:
            cloudy_seen += 1
            assert entry.value is None and entry.valid_fraction == 0.0
        else:
            assert entry.value is not None and abs(entry.value - truth) < 0.02, (entry, truth)
            assert entry.valid_fraction == 1.0
        assert entry.items
    assert cloudy_seen >= 1  # the world has designed cloudy dates (2024-07-18: 90 %)


def test_a_view_series_is_the_mean_of_clear_pixels(earth_search_v2, testdata_small):
    from stac_quicklook_plugin.core.engine.quicklook import quicklook

    series = timeseries(request(earth_search_v2.url, cloud_cover_max=100.0, width=100))
    by_date = {e.date: e for e in series.entries}
    assert by_date["2024-07-18"].cloudy and by_date["2024-07-18"].value is None  # 100 % cloudy over the view
    clear = by_date["2024-06-23"]
    assert not clear.cloudy and clear.valid_fraction > 0.9
    # The same date as a masked NDVI quicklook on the same grid: the series value is its clear pixels' mean.
    ql = quicklook(request(earth_search_v2.url, preset="ndvi", mask_clouds=True, acquisition_date="2024-06-23",
                           width=100))
    assert abs(clear.value - float(np.nanmean(ql.array[0][ql.mask]))) < 0.02
    partly = by_date["2024-09-16"]  # 43 % cloudy over the view
    assert 0.3 < partly.valid_fraction < 0.7 and partly.value is not None and not partly.cloudy


def test_bad_input_is_a_sentence(earth_search_v2):
    with pytest.raises(BadInput, match="outside the view"):
        timeseries(request(earth_search_v2.url), point=(-100.0, 40.0))
    with pytest.raises(BadInput, match="composite of three bands"):
        timeseries(request(earth_search_v2.url, preset="false-color"), point=POINT)
    with pytest.raises(NothingFound):
        timeseries(request(earth_search_v2.url, datetime_range="2023-01-01/2023-02-01"), point=POINT)


def test_cli_timeseries_json_csv_and_png(earth_search_v2, tmp_path):
    out, png = tmp_path / "series.csv", tmp_path / "series.png"
    done = cli(earth_search_v2.url, "--timeseries", "--point", str(POINT[0]), str(POINT[1]), "--cloud-lt", "100",
               "--out", str(out), "--png", str(png))
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    rows = doc["timeseries"]
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    assert set(rows[0]) >= {"date", "value", "cloudy", "valid_fraction", "items"}
    with out.open() as fh:
        table = list(csv.DictReader(fh))
    assert list(table[0]) == ["date", "value", "cloudy", "valid_fraction", "items"]
    for row, entry in zip(table, rows):  # the CSV says what the JSON says
        assert row["date"] == entry["date"] and row["items"] == ";".join(entry["items"])
        assert row["value"] == ("" if entry["value"] is None else f"{entry['value']}")
        assert row["cloudy"] == str(entry["cloudy"]).lower()
    assert png.stat().st_size > 0


@pytest.mark.parametrize("args, code, words", [
    (["--timeseries", "--point", "-100", "40"], 2, "outside the view"),
    (["--timeseries", "--preset", "swir"], 2, "composite of three bands"),
    (["--point", "-105.68", "40.35", "--out", "x.tif"], 2, "--point goes with --timeseries"),
    (["--timeseries", "--datetime", "2023-01-01/2023-02-01"], 3, "No imagery found"),
])
def test_cli_timeseries_bad_input(earth_search_v2, tmp_path, args, code, words):
    done = cli(earth_search_v2.url, *[a if a != "x.tif" else str(tmp_path / "x.tif") for a in args])
    assert done.returncode == code, done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr


def test_every_date_as_an_animated_gif_one_frame_per_date(earth_search_v2, tmp_path):
    from PIL import Image

    gif = tmp_path / "season.gif"
    done = cli(earth_search_v2.url, "--every-date", "--out-dir", str(tmp_path), "--preset", "ndvi",
               "--cloud-lt", "100", "--animation", str(gif), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["animation"] == {"path": str(gif), "frames": len(doc["outputs"])} and len(doc["outputs"]) == 5
    with Image.open(gif) as image:
        assert image.n_frames == 5
        sizes = set()
        for index in range(image.n_frames):
            image.seek(index)
            sizes.add(image.size)
        assert len(sizes) == 1  # one size for every frame


def test_an_animation_needs_every_date_and_a_gif_or_mp4(earth_search_v2, tmp_path):
    done = cli(earth_search_v2.url, "--out", str(tmp_path / "x.tif"), "--animation", str(tmp_path / "x.gif"))
    assert done.returncode == 2 and "--animation goes with --every-date" in done.stderr
    done = cli(earth_search_v2.url, "--every-date", "--out-dir", str(tmp_path), "--animation", str(tmp_path / "x.avi"))
    assert done.returncode == 2 and "written as .gif" in done.stderr
    assert list(tmp_path.iterdir()) == []  # refused before anything was read or written


@pytest.mark.parametrize("view, asked", [
    ((-105.61159, 40.13032, -105.49814, 40.21734), 300),  # UTM 13N 447960..457560: 9,600 m; 256 px: 37.5 m
    ((-105.61159, 40.13032, -105.49271, 40.21734), 310),  # about 10,060 m: 39.3 m, whose rounding fell under 40
])
def test_a_view_series_reads_the_overview_whose_pixel_is_about_the_views(stac_server_full, cog_log, view, asked):
    """About ``width`` pixels across: within 15 % of an overview's pixel, the series reads that overview (a
    quarter of the bytes of the next finer one); further from it, the engine's rule (no coarser than asked).
    Full-size tiles (10 m bands, overviews 2..16)."""
    runs = {}
    from stac_quicklook_plugin.core.raster import ranges

    for name, width in (("snapped", 256), ("as asked", asked)):  # about 40 m, read at 40 m; 32 m, read at 20 m
        ranges.clear()  # each run fetches what it reads (headers too), nothing kept from before
        cog_log.clear_log()
        series = timeseries(request(stac_server_full.url, bbox_wgs84=view, width=width,
                                    datetime_range="2024-05-01/2024-09-30"))
        runs[name] = (series, sum(r.get("bytes", 0) for r in cog_log.requests()))
    (snapped, snapped_bytes), (asked, asked_bytes) = runs["snapped"], runs["as asked"]
    assert snapped_bytes < 0.6 * asked_bytes, (snapped_bytes, asked_bytes)
    assert [(e.date, e.cloudy) for e in snapped.entries] == [(e.date, e.cloudy) for e in asked.entries]
    for a, b in zip(snapped.entries, asked.entries):
        assert (a.value is None) == (b.value is None)
        assert a.value is None or abs(a.value - b.value) < 0.02
