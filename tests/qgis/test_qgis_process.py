"""`qgis_process run stac_quicklook:quicklook` from a shell: the plugin installed from its ZIP (`make deploy`) in a
throwaway profile, enabled with `qgis_process plugins enable`, run against the local rustac + COG server."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from osgeo import gdal

from tests.qgis.conftest import TEST_BBOX

REPO = Path(__file__).resolve().parents[2]
PLUGIN = "stac_quicklook_plugin"


def qgis_process_command() -> list[str]:
    """qgis_process, or Debian 12's qgis_process.bin: Debian's wrapper script adds --noversioncheck from
    /etc/default/qgis, which QGIS 3.22's qgis_process refuses ("Command --noversioncheck not known!")."""
    found = shutil.which("qgis_process")
    if found is None:
        pytest.fail("qgis_process is not installed (Debian: the qgis package)")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for candidate in (found, found + ".bin"):
        if os.access(candidate, os.X_OK):
            probe = subprocess.run([candidate, "--version"], capture_output=True, text=True, env=env, timeout=120)
            if probe.returncode == 0:
                return [candidate]
    pytest.fail(f"neither {found} nor {found}.bin answers --version")


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    """Runs qgis_process with HOME in a fresh folder whose default profile has the plugin deployed and enabled."""
    home = tmp_path_factory.mktemp("home")
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700)
    profile = home / ".local" / "share" / "QGIS" / "QGIS3" / "profiles" / "default"
    deployed = subprocess.run(["make", "-s", "deploy", f"QGIS_PROFILE_DIR={profile}"], cwd=REPO,
                              capture_output=True, text=True, timeout=300)
    assert deployed.returncode == 0, deployed.stderr
    env = {key: value for key, value in os.environ.items() if not key.startswith(("XDG_", "QGIS_"))}
    env.update(HOME=str(home), XDG_RUNTIME_DIR=str(runtime), QT_QPA_PLATFORM="offscreen",
               PYTHONDONTWRITEBYTECODE="1")
    command = qgis_process_command()

    def run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        return subprocess.run(command + list(args), capture_output=True, text=True, env=env, cwd=home,
                              timeout=timeout)

    enabled = run("plugins", "enable", PLUGIN)
    assert enabled.returncode == 0, enabled.stdout + enabled.stderr
    listed = run("plugins")
    assert f"* {PLUGIN}" in listed.stdout, listed.stdout  # loaded, with a Processing provider
    run.home = home
    return run


def extent() -> str:
    west, south, east, north = TEST_BBOX
    return f"EXTENT={west},{east},{south},{north} [EPSG:4326]"


def test_qgis_process_lists_and_describes_the_algorithm(shell):
    listed = shell("list")
    assert "stac_quicklook:quicklook" in listed.stdout and "Quicklook of an extent" in listed.stdout
    described = shell("help", "stac_quicklook:quicklook")
    assert described.returncode == 0
    for name in ("EXTENT", "STAC_API", "COLLECTION", "START", "END", "CLOUD_COVER_MAX", "ASSET", "WIDTH", "DST_CRS",
                 "OUTPUT", "ITEMS", "STRATEGY"):
        assert name in described.stdout, name


def test_qgis_process_run_writes_the_geotiff(shell, stac_server, tmp_path):
    out = tmp_path / "out.tif"
    result = shell("--json", "run", "stac_quicklook:quicklook", "--", extent(), f"STAC_API={stac_server.url}",
                   "START=2024-05-01", "END=2024-09-30", "WIDTH=256", f"OUTPUT={out}")
    assert result.returncode == 0, result.stdout + result.stderr
    answer = json.loads(result.stdout[result.stdout.index("{"):])
    results = answer["results"]
    assert results["OUTPUT"] == str(out)
    ids = results["ITEMS"].split(",")
    assert ids and set(ids) <= {item["id"] for item in stac_server.items}
    assert results["STRATEGY"] in ("query", "filter", "client")
    dataset = gdal.Open(str(out))
    srs = dataset.GetSpatialRef()
    srs.AutoIdentifyEPSG()
    assert (dataset.RasterXSize, srs.GetAuthorityCode(None)) == (256, "32613") and dataset.RasterYSize > 100
    dataset = None


def test_qgis_process_reports_engine_errors(shell, stac_server, tmp_path):
    out = tmp_path / "none.tif"
    result = shell("run", "stac_quicklook:quicklook", "--", extent(), f"STAC_API={stac_server.url}",
                   "START=2020-05-01", "END=2020-09-30", f"OUTPUT={out}")
    assert result.returncode != 0
    assert "No imagery found: No scene of collection 'sentinel-2-l2a'" in result.stdout + result.stderr
    assert not out.exists()
