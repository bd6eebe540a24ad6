"""Fixtures for the hostile-server suite: the hostile STAC API (tests.harness.hostile) over the small
generated items, and the QGIS fixtures of tests/qgis for the plugin cases."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from stac_quicklook_plugin.core.stac import client as stac
from tests.conftest import cog_base_url
from tests.harness import datagen
from tests.harness.servers import _Server, start_process
from tests.qgis.conftest import clean_settings, messages, plugin, web_iface  # noqa: F401 (fixtures)

SECRET = "SECRET"  # every secret a case hands the engine holds it: one search finds any leak


class HostileStac(_Server):
    """tests.harness.hostile as a process; ``url_for(scenario)`` is an API root."""

    def __init__(self, items_path: Path, log_path: Path, cog_url: str, cog_root: Path):
        self.log_path = Path(log_path)
        self.log_path.write_text("")
        argv = [sys.executable, "-m", "tests.harness.hostile", "--items", str(items_path), "--log", str(log_path),
                "--cog-url", cog_url, "--cog-root", str(cog_root)]
        self.proc, self.port = start_process(argv, stderr_path=self.log_path.with_suffix(".stderr"))
        self.url = f"http://127.0.0.1:{self.port}"

    def url_for(self, scenario: str) -> str:
        return f"{self.url}/{scenario}/"


def pytest_collection_modifyitems(items):
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.fspath).startswith(here) and Path(str(item.fspath)).name.startswith("test_plugin"):
            item.add_marker(pytest.mark.qgis)


@pytest.fixture(autouse=True)
def _fresh_api_cache():
    stac.clear_api_cache()
    yield
    stac.clear_api_cache()


@pytest.fixture(scope="session")
def hostile(testdata_small, cog_server, tmp_path_factory) -> HostileStac:
    workdir = tmp_path_factory.mktemp("hostile")
    items = datagen.make_items(testdata_small, cog_base_url(cog_server, testdata_small), "http://127.0.0.1/x")
    items_path = datagen.write_item_collection(items, workdir / "items.json")
    server = HostileStac(items_path, workdir / "requests.jsonl", cog_server.url, cog_server.root)
    server.items = items
    yield server
    server.stop()
