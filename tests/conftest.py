"""Session fixtures: generated Sentinel-2-like data, a COG server, rustac and the fault STAC API.

Every server is a real process on 127.0.0.1 with a free port (tests.harness.servers).
The COG servers serve the whole test-data cache folder, so one server covers both datasets:
an item's asset href is `<cog_server.url>/<dataset folder name>/cogs/<relpath>`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.harness import datagen, worlds
from tests.harness.fixtures import (  # noqa: F401 (the shared servers, visible to every suite)
    api_over_cogs,
    api_with_hrefs,
    hostile,
    tls_server,
)
from tests.harness.servers import CogServer, FaultStac, RustacServer, cog_base_url, free_port, serve_dataset

REPO = Path(__file__).resolve().parents[1]


@dataclass
class StacApi:
    """A running STAC API and what it serves."""

    url: str  # API root, e.g. http://127.0.0.1:PORT/
    items: list[dict]
    dataset: Path
    server: RustacServer



QGIS_FOLDERS = ("qgis",)  # every test here needs a real QGIS


def pytest_collection_modifyitems(items):
    """The ``qgis`` marker, in one place: the tests that need a real QGIS (pytest-qgis)."""
    root = Path(__file__).parent
    for item in items:
        rel = Path(str(item.fspath)).resolve().relative_to(root).as_posix() if \
            Path(str(item.fspath)).resolve().is_relative_to(root) else ""
        if rel.split("/")[0] in QGIS_FOLDERS:
            item.add_marker(pytest.mark.qgis)


@pytest.fixture(scope="session")
def testdata_cache() -> Path:
    return Path(os.environ.get("STAC_QL_TESTDATA") or REPO / ".cache" / "testdata").resolve()


@pytest.fixture(scope="session")
def testdata_small(testdata_cache: Path) -> Path:
    """The small dataset folder (built once, cached): cogs/ and scenes.json."""
    return datagen.build_dataset(testdata_cache, "small").resolve()


@pytest.fixture(scope="session")
def testdata_full(testdata_cache: Path) -> Path:
    """The full-size dataset folder (10980 px visual COGs; slow to build the first time)."""
    return datagen.build_dataset(testdata_cache, "full").resolve()


@pytest.fixture(scope="session")
def cog_server(testdata_cache: Path, tmp_path_factory: pytest.TempPathFactory):
    """COG server over the test-data cache, no delay; `requests()` reads its JSONL log."""
    testdata_cache.mkdir(parents=True, exist_ok=True)
    server = CogServer(testdata_cache, tmp_path_factory.mktemp("cog_server") / "requests.jsonl")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def cog_server_50ms(testdata_cache: Path, tmp_path_factory: pytest.TempPathFactory):
    """COG server over the test-data cache that answers every request 50 ms late."""
    testdata_cache.mkdir(parents=True, exist_ok=True)
    server = CogServer(testdata_cache, tmp_path_factory.mktemp("cog_server_50ms") / "requests.jsonl", delay_ms=50)
    yield server
    server.stop()


@pytest.fixture
def cog_log(cog_server: CogServer) -> CogServer:
    """The cog_server with an empty log: what the test fetches is all that `requests()` returns."""
    cog_server.clear_log()
    return cog_server


def _start_rustac(dataset: Path, cog_server: CogServer, workdir: Path) -> StacApi:
    server, items = serve_dataset(dataset, cog_base_url(cog_server, dataset), workdir)
    return StacApi(url=server.url, items=items, dataset=dataset, server=server)


@pytest.fixture(scope="session")
def stac_server(testdata_small: Path, cog_server: CogServer, tmp_path_factory: pytest.TempPathFactory):
    """rustac serving the small dataset's items (assets on cog_server). Yields a StacApi (.url, .items)."""
    api = _start_rustac(testdata_small, cog_server, tmp_path_factory.mktemp("stac_small"))
    yield api
    api.server.stop()


@pytest.fixture(scope="session")
def stac_server_full(testdata_full: Path, cog_server: CogServer, tmp_path_factory: pytest.TempPathFactory):
    """rustac serving the full-size dataset's items (assets on cog_server). Yields a StacApi."""
    api = _start_rustac(testdata_full, cog_server, tmp_path_factory.mktemp("stac_full"))
    yield api
    api.server.stop()


@pytest.fixture(scope="session")
def fault_stac(testdata_small: Path, cog_server: CogServer, tmp_path_factory: pytest.TempPathFactory):
    """The fault STAC API over the small items (assets on cog_server); `url_for(flags)` gives an API root.

    Its `items` attribute holds the items as written (their API links are rewritten by the server).
    """
    workdir = tmp_path_factory.mktemp("fault_stac")
    # The server rewrites self/root/parent/collection links into each flag prefix, so the
    # API base given to make_items is only a placeholder.
    items = datagen.make_items(testdata_small, cog_base_url(cog_server, testdata_small), "http://127.0.0.1/ok")
    items_path = datagen.write_item_collection(items, workdir / "items.json")
    collection_path = workdir / "collection.json"
    collection_path.write_text(json.dumps(datagen.make_collection("http://127.0.0.1/ok", items=items)))
    server = FaultStac(items_path, workdir / "requests.jsonl", collection_path)
    server.items = items
    yield server
    server.stop()


@pytest.fixture(scope="session")
def earth_search_v1(testdata_small: Path, testdata_cache: Path, cog_server: CogServer,
                    tmp_path_factory: pytest.TempPathFactory):
    """Earth Search v1 as served in 2026 (stac-server-shaped, tests.harness.faultstac): ``sentinel-2-c1-l2a``
    with every acquisition and the old ``sentinel-2-l2a`` missing the clearest date (worlds.OLD_MISSES).
    Attributes: ``items`` (all), ``c1``, ``old``; ``url_for(flags)`` gives an API root."""
    workdir = tmp_path_factory.mktemp("earth_search_v1")
    bucket = worlds.bucket_url(cog_server.url, testdata_cache, testdata_small)
    c1 = worlds.make_c1_items(testdata_small, bucket, "http://127.0.0.1/ok")
    old = worlds.make_old_items(testdata_small, cog_base_url(cog_server, testdata_small), "http://127.0.0.1/ok")
    items_path = datagen.write_item_collection(c1 + old, workdir / "items.json")
    server = FaultStac(items_path, workdir / "requests.jsonl")
    server.items, server.c1, server.old = c1 + old, c1, old
    yield server
    server.stop()


def _rustac_world(items_for, workdir: Path, dataset: Path, stac_version: str = "1.0.0") -> tuple[StacApi, RustacServer]:
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    items = items_for(api)
    items_path = datagen.write_item_collection(items, workdir / "items.json")
    collection = datagen.make_collection(api, items=items)
    collection["stac_version"] = stac_version
    collection_path = workdir / "collection.json"
    collection_path.write_text(json.dumps(collection))
    server = RustacServer(items_path, collection_path, port=port)
    return StacApi(url=server.url, items=items, dataset=dataset, server=server), server


@pytest.fixture(scope="session")
def planetary_keys(testdata_small: Path, testdata_cache: Path, cog_server: CogServer,
                   tmp_path_factory: pytest.TempPathFactory):
    """A rustac API whose items carry Planetary Computer's asset keys (B02, B03, B04, B08, SCL): bands are
    found by their common names."""
    bucket = worlds.bucket_url(cog_server.url, testdata_cache, testdata_small)
    api, server = _rustac_world(lambda url: worlds.make_pc_key_items(testdata_small, bucket, url),
                                tmp_path_factory.mktemp("planetary_keys"), testdata_small)
    yield api
    server.stop()


def _landsat_api(testdata_cache: Path, tmp_path_factory: pytest.TempPathFactory, name: str, dates: list):
    from tests.harness import landsat

    root = landsat.build(testdata_cache / "landsat-v2")
    workdir = tmp_path_factory.mktemp(name)
    cogs = CogServer(root, workdir / "cog.jsonl")
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    items = landsat.make_items(root, cogs.url, api, dates)
    items_path = landsat.write_items(items, workdir / "items.json")
    collection = datagen.make_collection(api, collection="landsat-c2-l2", items=items)
    collection_path = workdir / "collection.json"
    collection_path.write_text(json.dumps(collection))
    server = RustacServer(items_path, collection_path, port=port)
    return StacApi(url=server.url, items=items, dataset=root, server=server), cogs


@pytest.fixture(scope="session")
def landsat_world(testdata_cache: Path, tmp_path_factory: pytest.TempPathFactory):
    """Planetary Computer-shaped ``landsat-c2-l2`` on rustac, over generated Landsat-like COGs (tests.harness.landsat)
    served by a COG server of its own. Attributes: ``url``, ``items``, ``dataset`` (the files' folder)."""
    from tests.harness import landsat

    api, cogs = _landsat_api(testdata_cache, tmp_path_factory, "landsat", landsat.DATES)
    yield api
    api.server.stop()
    cogs.stop()


@pytest.fixture(scope="session")
def landsat7_world(testdata_cache: Path, tmp_path_factory: pytest.TempPathFactory):
    """``landsat_world`` with a Landsat 7 date whose scan-line gaps are no-data stripes (``landsat.L7_DATES``)."""
    from tests.harness import landsat

    api, cogs = _landsat_api(testdata_cache, tmp_path_factory, "landsat7", landsat.ALL_DATES)
    yield api
    api.server.stop()
    cogs.stop()


@pytest.fixture(scope="session")
def mixed_world(testdata_small: Path, testdata_cache: Path, cog_server: CogServer,
                tmp_path_factory: pytest.TempPathFactory):
    """One rustac API with two sensors over the same ground: ``sentinel-2-l2a`` (the small generated
    Sentinel-2 world) and ``landsat-c2-l2`` (tests.harness.landsat), as Planetary Computer serves both.
    Attributes: ``url``, ``items`` (both), ``dataset`` (the Sentinel-2 folder)."""
    yield from _mixed_api(testdata_small, testdata_cache, cog_server, tmp_path_factory.mktemp("mixed"), {})


# The Landsat date 2024-06-24 served as 2024-06-23, the day of a Sentinel-2 date: a day of both sensors
SAME_DAY = {"2024-06-24": "2024-06-23"}


@pytest.fixture(scope="session")
def mixed_same_day_world(testdata_small: Path, testdata_cache: Path, cog_server: CogServer,
                         tmp_path_factory: pytest.TempPathFactory):
    """``mixed_world`` with one day that both sensors acquired (``SAME_DAY``)."""
    yield from _mixed_api(testdata_small, testdata_cache, cog_server, tmp_path_factory.mktemp("same-day"), SAME_DAY)


def _mixed_api(testdata_small: Path, testdata_cache: Path, cog_server: CogServer, workdir: Path,
               moved: dict[str, str]) -> Iterator[StacApi]:
    from tests.harness import landsat

    root = landsat.build(testdata_cache / "landsat-v2")
    cogs = CogServer(root, workdir / "cog.jsonl")
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    s2 = datagen.make_items(testdata_small, cog_base_url(cog_server, testdata_small), api)
    ls = landsat.make_items(root, cogs.url, api)
    for item in ls:  # a date moved to another day, the rest of the item as generated
        when = item["properties"]["datetime"]
        item["properties"]["datetime"] = moved.get(when[:10], when[:10]) + when[10:]
    items_path = datagen.write_item_collection(s2 + ls, workdir / "items.json")
    paths = []
    for name, members in (("sentinel-2-l2a", s2), ("landsat-c2-l2", ls)):
        path = workdir / f"collection-{name}.json"
        path.write_text(json.dumps(datagen.make_collection(api, collection=name, items=members)))
        paths.append(path)
    server = RustacServer(items_path, paths[0], port=port, extra_collections=paths[1:])
    yield StacApi(url=server.url, items=s2 + ls, dataset=testdata_small, server=server)
    server.stop()
    cogs.stop()


@pytest.fixture(scope="session")
def earth_search_v2(testdata_small: Path, testdata_cache: Path, cog_server: CogServer,
                    tmp_path_factory: pytest.TempPathFactory):
    """Earth Search v2-like (STAC 1.1.0, eo/raster 2.0) served by rustac: ``sentinel-2-l2a`` is the C1 data."""
    bucket = worlds.bucket_url(cog_server.url, testdata_cache, testdata_small)
    api, server = _rustac_world(lambda url: worlds.make_v2_items(testdata_small, bucket, url),
                                tmp_path_factory.mktemp("earth_search_v2"), testdata_small, "1.1.0")
    yield api
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def _work_ends_before_qgis_exits(qgis_app):
    """At the end of the session, before pytest-qgis calls exitQgis(): QGIS tasks cancelled and waited for,
    and reads still running in engine threads finished, so none is inside GDAL while QGIS tears it down
    (a read abandoned by a cancel goes on in its thread until GDAL's timeout)."""
    yield
    if qgis_app is None:
        return
    import threading
    import time

    from qgis.core import QgsApplication

    manager = QgsApplication.taskManager()
    manager.cancelAll()
    deadline = time.monotonic() + 30
    while manager.countActiveTasks() and time.monotonic() < deadline:
        qgis_app.processEvents()
        time.sleep(0.05)
    from stac_quicklook_plugin.core.engine.run import shutdown_threads

    shutdown_threads()  # idle engine threads end now; reads still running finish below
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
    import gc

    gc.collect()  # GDAL objects kept alive by old frames go while GDAL is still there, not after exitQgis


@pytest.fixture(autouse=True)
def _engine_forgets_between_tests(tmp_path_factory, monkeypatch):
    """Each test starts with nothing known of any API (landing pages in memory and on disk, recent
    searches): a test's requests are its own. The disk store is a fresh folder per test."""
    from stac_quicklook_plugin.core.stac import cache
    from stac_quicklook_plugin.core.stac import client as stac

    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path_factory.mktemp("api_store")))
    stac.clear_api_cache()
    yield
    stac.clear_api_cache()
    cache.set_store_dir(None)


@pytest.fixture(params=["rasterio", "gdal"])
def reader(request, monkeypatch) -> str:
    """Run the test once per read backend (rasterio, osgeo.gdal); CLI subprocesses inherit the choice."""
    from stac_quicklook_plugin.core.raster.backend import BACKEND_ENV

    monkeypatch.setenv(BACKEND_ENV, request.param)
    return request.param
