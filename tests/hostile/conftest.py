"""Fixtures for the hostile-server suite: the hostile STAC API (tests.harness.hostile) over the small
generated items, and the QGIS fixtures of tests/qgis for the plugin cases."""
from __future__ import annotations

import pytest

from tests.conftest import cog_base_url
from tests.harness import datagen
from tests.harness.servers import HostileStac
from tests.qgis.conftest import clean_settings, messages, plugin, web_iface  # noqa: F401 (fixtures)

SECRET = "SECRET"  # every secret a case hands the engine holds it: one search finds any leak


@pytest.fixture(scope="session")
def hostile(testdata_small, cog_server, tmp_path_factory) -> HostileStac:
    workdir = tmp_path_factory.mktemp("hostile")
    items = datagen.make_items(testdata_small, cog_base_url(cog_server, testdata_small), "http://127.0.0.1/x")
    items_path = datagen.write_item_collection(items, workdir / "items.json")
    server = HostileStac(items_path, workdir / "requests.jsonl", cog_server.url, cog_server.root)
    server.items = items
    yield server
    server.stop()
