"""The CLI's cloud flags: --rank, --mask-clouds, --list, --date, --every-date, and the bad combinations."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
from osgeo import gdal

from tests.core.engine.test_clouds import ALL_DATES, VIEW


def cli(stac_url, *args, timeout=120):
    argv = [sys.executable, "-m", "stac_quicklook_plugin", "--bbox", *map(str, VIEW), "--stac-api", stac_url,
            "--datetime", ALL_DATES, "--width", "150", "--quiet", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def test_list_prints_one_json_object_newest_first_and_reads_no_imagery(stac_server, cog_server, tmp_path):
    cog_server.clear_log()
    out = tmp_path / "dates.json"
    proc = cli(stac_server.url, "--list", "--cloud-lt", "100", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert list(doc) == ["acquisitions"] and json.loads(out.read_text()) == doc
    dates = [a["date"] for a in doc["acquisitions"]]
    assert dates == sorted(dates, reverse=True) and len(dates) == 5
    for a in doc["acquisitions"]:
        assert set(a) == {"date", "items", "scene_cloud", "view_cloud", "view_coverage"}
        assert 0 <= a["view_cloud"] <= 100 and a["view_coverage"] > 99
    assert {r["path"].rsplit("/", 1)[-1] for r in cog_server.requests()} == {"SCL.tif"}


def test_list_with_nothing_found_exits_3(stac_server):
    proc = cli(stac_server.url, "--list", "--datetime", "1990-01-01/1990-02-01")
    assert proc.returncode == 3 and "Traceback" not in proc.stderr


def test_json_items_carry_view_cloud_and_rank_changes_the_winner(stac_server, tmp_path):
    by_view = cli(stac_server.url, "--out", str(tmp_path / "v.tif"), "--json")
    by_scene = cli(stac_server.url, "--out", str(tmp_path / "s.tif"), "--json", "--rank", "scene")
    assert by_view.returncode == 0 and by_scene.returncode == 0, (by_view.stderr, by_scene.stderr)
    view, scene = json.loads(by_view.stdout), json.loads(by_scene.stdout)
    assert view["items"][0]["view_cloud"] < 2 and view["rank"] == "view"
    assert scene["items"][0]["datetime"].startswith("2024-06-23") and scene["rank"] == "scene"
    assert view["items"][0]["id"] != scene["items"][0]["id"]


def test_mask_clouds_flag(stac_server, tmp_path):
    proc = cli(stac_server.url, "--out", str(tmp_path / "m.tif"), "--json", "--rank", "scene", "--mask-clouds")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["mask_clouds"] is True and len({i["datetime"][:10] for i in doc["items"]}) >= 2
    assert doc["view_cloud"] < 1


def test_date_is_one_acquisition_not_an_abbreviation_of_datetime(stac_server, tmp_path):
    proc = cli(stac_server.url, "--out", str(tmp_path / "d.tif"), "--json", "--date", "2024-08-22")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["items"] and all(i["datetime"].startswith("2024-08-22") for i in doc["items"])
    abbreviated = cli(stac_server.url, "--out", str(tmp_path / "a.tif"), "--datet", "2024-08-22")
    assert abbreviated.returncode == 2 and "unrecognized arguments: --datet" in abbreviated.stderr


def test_every_date_writes_one_geotiff_per_date(stac_server, tmp_path):
    proc = cli(stac_server.url, "--every-date", "--out-dir", str(tmp_path), "--json", "--cloud-lt", "100",
               timeout=300)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    dates = [o["date"] for o in doc["outputs"]]
    assert dates == ["2024-05-14", "2024-06-23", "2024-07-18", "2024-08-22", "2024-09-16"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{d}.tif" for d in dates]  # nothing else left
    mask = os.umask(0o022)
    os.umask(mask)
    assert {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()} == {0o666 & ~mask}  # not private to the writer
    for output in doc["outputs"]:
        ds = gdal.Open(output["path"])
        assert ds.RasterXSize == 150 and ds.RasterCount == 3
        assert all(f"_{output['date'].replace('-', '')}_" in i for i in output["items"])


@pytest.mark.parametrize("args, words", [
    (["--date", "2023-01-01", "--out", "{tmp}/x.tif", "--datetime", "2024-01-01/2024-12-31"], "outside the date range"),
    (["--every-date"], "give the folder with --out-dir"),
    (["--list", "--every-date", "--out-dir", "{tmp}"], "give one of them"),
    (["--out-dir", "{tmp}", "--out", "{tmp}/x.tif"], "--out-dir goes with --every-date"),
    (["--date", "2024-08-22", "--list"], "does not go with --list"),
    ([], "Give the GeoTIFF to write with --out"),
    (["--date", "2024-02-30", "--out", "{tmp}/x.tif"], "not a calendar date"),
])
def test_bad_combinations_exit_2_with_a_sentence(stac_server, tmp_path, args, words):
    proc = cli(stac_server.url, *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert proc.returncode == 2, proc.stderr
    assert words in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []  # no partial output
