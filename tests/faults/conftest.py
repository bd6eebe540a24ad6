"""Fixtures for the fault suite: the QGIS fixtures of tests/qgis (imported, since conftest fixtures are
only visible below their folder), STAC APIs whose items point at broken image servers or carry
secrets, and the checks every fault case ends with."""
from __future__ import annotations

from typing import Callable

import pytest

from tests.harness import datagen
from tests.harness.servers import RustacServer, free_port, serve_items
from tests.qgis.conftest import (  # noqa: F401 (fixtures)
    _cogs_relpath,
    clean_settings,
    messages,
    plugin,
    stac_server_slow_cogs,
    web_iface,
)

SECRET = "SECRET"
# What a signed Azure / S3 href carries; every value holds SECRET so one search finds any leak.
SAS_QUERY = "se=2030-01-01T00%3A00%3A00Z&sp=r&sv=2021-06-08&sr=b&sig=SECRETsas"
S3_QUERY = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=SECRETkey&X-Amz-Signature=SECRETsig"


def sign_hrefs(items: list[dict]) -> list[dict]:
    """The items with every asset href signed the Azure SAS way (visual) or the S3 presigned way (bands)."""
    for item in items:
        for key, asset in item.get("assets", {}).items():
            asset["href"] += "?" + (SAS_QUERY if key == "visual" else S3_QUERY)
    return items


@pytest.fixture(scope="session")
def api_over_cogs(testdata_small, cog_server, tmp_path_factory) -> Callable[..., RustacServer]:
    """``api_over_cogs(mode=None, signed=False)``: rustac over the small items whose images are served
    by ``cog_server`` through the fault ``mode`` (None: no fault), hrefs signed if asked. Started once
    per (mode, signed), stopped at the end of the session."""
    servers: dict[tuple, RustacServer] = {}

    def get(mode: str | None = None, signed: bool = False) -> RustacServer:
        key = (mode, signed)
        if key not in servers:
            relpath = _cogs_relpath(cog_server, testdata_small)
            base = cog_server.fault_url(mode, relpath) if mode else f"{cog_server.url}/{relpath}"
            port = free_port()
            items = datagen.make_items(testdata_small, base, f"http://127.0.0.1:{port}")
            if signed:
                sign_hrefs(items)
            servers[key] = serve_items(items, tmp_path_factory.mktemp(f"api_{mode}_{signed}"), port)
        return servers[key]

    yield get
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory):
    """An HTTPS server with a self-signed certificate (skipped without openssl)."""
    import shutil

    from tests.faults.tls import SelfSignedServer

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    server = SelfSignedServer(tmp_path_factory.mktemp("tls"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def api_with_hrefs(testdata_small, tmp_path_factory) -> Callable[[str, str], RustacServer]:
    """``api_with_hrefs(name, base)``: rustac over the small items with asset hrefs under ``base`` (any
    scheme), each href signed; started once per name."""
    servers: dict[str, RustacServer] = {}

    def get(name: str, base: str) -> RustacServer:
        if name not in servers:
            port = free_port()
            items = sign_hrefs(datagen.make_items(testdata_small, base, f"http://127.0.0.1:{port}"))
            servers[name] = serve_items(items, tmp_path_factory.mktemp(f"api_{name}"), port)
        return servers[name]

    yield get
    for server in servers.values():
        server.stop()
