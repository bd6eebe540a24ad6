"""Session fixtures the CLI, engine, fault and hostile suites share: STAC APIs whose items point at broken
image servers or carry secrets (``api_over_cogs``, ``api_with_hrefs``), an HTTPS server with a self-signed
certificate, and the hostile STAC API. Registered for the whole suite by tests/conftest.py."""
from __future__ import annotations

from typing import Callable

import pytest

from tests.harness import datagen
from tests.harness.servers import HostileStac, RustacServer, cog_base_url, cogs_relpath, free_port, serve_items

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
            relpath = cogs_relpath(cog_server, testdata_small)
            base = cog_server.fault_url(mode, relpath) if mode else f"{cog_server.url}/{relpath}"
            servers[key] = _rustac_over(testdata_small, base, signed, tmp_path_factory.mktemp(f"api_{mode}_{signed}"))
        return servers[key]

    yield get
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory):
    """An HTTPS server with a self-signed certificate (skipped without openssl)."""
    import shutil

    from tests.harness.tls import SelfSignedServer

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
            servers[name] = _rustac_over(testdata_small, base, True, tmp_path_factory.mktemp(f"api_{name}"))
        return servers[name]

    yield get
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def hostile(testdata_small, cog_server, tmp_path_factory) -> HostileStac:
    workdir = tmp_path_factory.mktemp("hostile")
    items = datagen.make_items(testdata_small, cog_base_url(cog_server, testdata_small), "http://127.0.0.1/x")
    items_path = datagen.write_item_collection(items, workdir / "items.json")
    server = HostileStac(items_path, workdir / "requests.jsonl", cog_server.url, cog_server.root)
    server.items = items
    yield server
    server.stop()


def _rustac_over(dataset, base: str, signed: bool, workdir) -> RustacServer:
    """rustac over the dataset's items, their asset hrefs under ``base`` (signed when asked)."""
    port = free_port()
    items = datagen.make_items(dataset, base, f"http://127.0.0.1:{port}")
    return serve_items(sign_hrefs(items) if signed else items, workdir, port)
