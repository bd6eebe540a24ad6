"""QGIS's proxy (Settings > Network) and authentication configs reach the engine; secrets stay out of
QgsSettings; API headers go to the STAC API only."""
from __future__ import annotations

import base64
import sys

import pytest
from qgis.core import Qgis, QgsApplication, QgsAuthMethodConfig, QgsNetworkAccessManager, QgsSettings
from qgis.PyQt.QtNetwork import QNetworkProxy

from stac_quicklook_plugin.gui import settings
from stac_quicklook_plugin.gui.network import auth_headers, qgis_proxy
from stac_quicklook_plugin.gui.request import SettingsError, build_request
from tests.harness.servers import read_jsonl, start_process, stop_process
from tests.qgis.conftest import set_canvas
from tests.qgis.test_servers import click_and_wait, quicklook_layers, use_api

BBOX = (-105.75, 40.3, -105.6, 40.4)


@pytest.fixture
def proxy_server(tmp_path):
    log = tmp_path / "proxy.jsonl"
    proc, port = start_process([sys.executable, "-m", "tests.harness.netservers", "proxy", "--log", str(log)])
    yield f"http://127.0.0.1:{port}", (lambda: read_jsonl(log))
    stop_process(proc)


@pytest.fixture
def qgis_proxy_set():
    nam = QgsNetworkAccessManager.instance()
    saved = (nam.fallbackProxy(), list(nam.excludeList()), list(nam.noProxyList()))

    def set_proxy(url_port, user="", password="", excludes=()):
        host, port = url_port.rsplit(":", 1)
        nam.setFallbackProxyAndExcludes(QNetworkProxy(QNetworkProxy.HttpProxy, host.split("//")[-1], int(port),
                                                      user, password), list(excludes), [])

    yield set_proxy
    nam.setFallbackProxyAndExcludes(*saved)


def test_no_proxy_configured_means_none():
    nam = QgsNetworkAccessManager.instance()
    nam.setFallbackProxyAndExcludes(QNetworkProxy(QNetworkProxy.NoProxy), [], [])
    assert qgis_proxy() == (None, ())


def test_qgis_proxy_with_credentials_and_excludes_reaches_the_request(qgis_proxy_set, clean_settings):
    qgis_proxy_set("http://127.0.0.1:3128", "bob", "p@ss", excludes=["http://intranet.example/"])
    url, excluded = qgis_proxy()
    assert url == "http://bob:p%40ss@127.0.0.1:3128" and excluded == ("http://intranet.example/",)
    settings.set_api_url("http://127.0.0.1:9/")
    req = build_request(BBOX, 800)
    assert req.connection.proxy == url and req.connection.proxy_exclude == excluded  # the request carries one Connection
    assert "p@ss" not in str(QgsSettings().allKeys()) and not any(
        "p@ss" in str(QgsSettings().value(k)) for k in QgsSettings().allKeys() if k.startswith("stac_quicklook"))


def test_click_goes_through_the_qgis_proxy(plugin, qgis_canvas, qtbot, messages, stac_server, cog_server,
                                          proxy_server, qgis_proxy_set):
    proxy_url, proxy_log = proxy_server
    qgis_proxy_set(proxy_url)
    use_api(stac_server.url)
    set_canvas(qgis_canvas, crs="EPSG:3857")
    click_and_wait(plugin, qtbot)
    assert messages.get_messages(Qgis.Critical) == []
    assert len(quicklook_layers()) == 1
    urls = [r["url"] for r in proxy_log()]
    assert any(u.endswith("/search") for u in urls) and any(u.startswith(cog_server.url) for u in urls)


@pytest.fixture
def basic_auth_cfg():
    manager = QgsApplication.authManager()
    if not manager.masterPasswordIsSet():
        manager.setMasterPassword("test-master-password", True)
    config = QgsAuthMethodConfig("Basic")
    config.setName("stac-test")
    config.setConfig("username", "alice")
    config.setConfig("password", "s3cret-pass")
    assert manager.storeAuthenticationConfig(config)[0]
    yield config.id()
    manager.removeAuthenticationConfig(config.id())


def test_auth_config_becomes_headers_without_storing_the_secret(basic_auth_cfg, clean_settings):
    headers = auth_headers("http://127.0.0.1:9/", basic_auth_cfg)
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"alice:s3cret-pass").decode()
    settings.set_api_url("http://127.0.0.1:9/")
    settings.set_auth_cfg(basic_auth_cfg)
    req = build_request(BBOX, 800)
    assert req.connection.headers == headers
    stored = {k: str(QgsSettings().value(k)) for k in QgsSettings().allKeys() if k.startswith("stac_quicklook")}
    assert basic_auth_cfg in stored.values() and not any("s3cret" in v for v in stored.values())


def test_unknown_auth_config_is_a_settings_error(clean_settings):
    settings.set_api_url("http://127.0.0.1:9/")
    settings.set_auth_cfg("nope123")
    with pytest.raises(SettingsError, match="nope123"):
        build_request(BBOX, 800)


def test_click_sends_auth_to_the_api_only(plugin, qgis_canvas, qtbot, messages, fault_stac, cog_server,
                                         basic_auth_cfg):
    url = fault_stac.url_for("ok,require-auth,tag-qgisauth")  # 401 without the config's credentials
    use_api(url)
    settings.set_auth_cfg(basic_auth_cfg)
    cog_server.clear_log()
    set_canvas(qgis_canvas, crs="EPSG:3857")
    click_and_wait(plugin, qtbot)
    assert messages.get_messages(Qgis.Critical) == []
    api = [r for r in fault_stac.requests() if "tag-qgisauth" in r.get("path", "")]
    assert api and all(r["authorization"] for r in api)
    assert cog_server.requests() and not any(r["authorization"] for r in cog_server.requests())


def test_dock_auth_selector_saves_only_the_config_id(basic_auth_cfg, clean_settings, qtbot):
    from stac_quicklook_plugin.gui.dock import QuicklookDock

    dock = QuicklookDock()
    qtbot.addWidget(dock)
    dock.auth_select.setConfigId(basic_auth_cfg)
    assert settings.auth_cfg() == basic_auth_cfg
    reloaded = QuicklookDock()
    qtbot.addWidget(reloaded)
    assert reloaded.auth_select.configId() == basic_auth_cfg


def test_server_requiring_auth_without_a_config_says_so(plugin, qgis_canvas, qtbot, messages, fault_stac):
    use_api(fault_stac.url_for("ok,require-auth,tag-noauth"))
    set_canvas(qgis_canvas, crs="EPSG:3857")
    click_and_wait(plugin, qtbot)
    texts = " ".join(str(m) for m in messages.get_messages(Qgis.Critical))
    assert "401" in texts and "credentials" in texts
    assert quicklook_layers() == []
