"""Secrets through the plugin in a real QGIS: signed hrefs that work and that fail, a password in the API
URL, a self-signed API. SECRET never reaches the message bar, the message log, the dock, the task
manager, a layer's name or its metadata."""
from __future__ import annotations

import pytest
from qgis.core import QgsApplication

from stac_quicklook_plugin.gui import layer as layer_mod
from tests.harness.fixtures import SECRET
from tests.qgis.conftest import set_canvas
from tests.qgis.plugin_checks import (
    all_messages,
    assert_nothing_left,
    assert_one_message,
    click_and_wait,
    quicklook_layers,
    use_api,
)


@pytest.fixture()
def shown(plugin):
    """Everything the plugin shows while the test runs: message log, dock status lines, task descriptions."""
    said: list[str] = []

    def on_log(message, tag, level):
        said.append(f"log[{tag}]: {message}")

    def on_task(task_id):
        task = QgsApplication.taskManager().task(task_id)
        if hasattr(task, "stageChanged"):
            task.stageChanged.connect(lambda pct, msg, t=task: said.append(f"task: {t.description()}"))

    log = QgsApplication.messageLog()
    log.messageReceived.connect(on_log)
    QgsApplication.taskManager().taskAdded.connect(on_task)
    original = plugin.dock.set_status

    def set_status(text):
        original(text)
        said.append(f"dock: {plugin.dock.status_label.text()}")

    plugin.dock.set_status = set_status
    yield said
    log.messageReceived.disconnect(on_log)
    QgsApplication.taskManager().taskAdded.disconnect(on_task)


def assert_no_secret(said: list[str], bar) -> None:
    everything = "\n".join(said + [m for msgs in all_messages(bar).values() for m in msgs])
    for lyr in quicklook_layers():
        metadata = lyr.metadata()
        everything += "\n".join([lyr.name(), metadata.abstract(), metadata.title(), lyr.source(),
                                 *[link.url for link in metadata.links()], *[link.name for link in metadata.links()]])
    assert SECRET not in everything, [line for line in everything.splitlines() if SECRET in line]


def test_signed_hrefs_that_work(plugin, qgis_canvas, qtbot, messages, api_over_cogs, shown):
    use_api(api_over_cogs(signed=True).url)
    set_canvas(qgis_canvas)
    click_and_wait(plugin, qtbot)
    (layer,) = quicklook_layers()
    assert "sig=REDACTED" in layer.metadata().abstract()
    assert any(line.startswith("log[STAC Quicklook]: Added") for line in shown)
    assert_no_secret(shown, messages)


def test_signed_hrefs_refused_with_403(plugin, qgis_canvas, qtbot, messages, api_over_cogs, shown):
    use_api(api_over_cogs("403", signed=True).url)
    set_canvas(qgis_canvas)
    before = set(layer_mod.vsimem_files())
    click_and_wait(plugin, qtbot)
    assert_one_message(messages, "critical", "Could not read the image", "HTTP 403")
    assert any("GDAL says" in line for line in shown)  # the detail went to the log ...
    assert_no_secret(shown, messages)  # ... without the signature
    assert_nothing_left(before)


@pytest.mark.parametrize("flags, level, title", [("ok", None, None), ("http-500", "critical", "STAC API error")])
def test_password_in_the_api_url(plugin, qgis_canvas, qtbot, messages, fault_stac, shown, flags, level, title):
    use_api(fault_stac.url_for(flags).replace("http://", f"http://reader:{SECRET}pw@"))
    set_canvas(qgis_canvas)
    click_and_wait(plugin, qtbot)
    if level:
        assert_one_message(messages, level, title, "HTTP 500")
    else:
        assert len(quicklook_layers()) == 1
    assert any(line.startswith("dock: Searching") for line in shown)
    assert_no_secret(shown, messages)


def test_self_signed_api_is_a_tls_error(plugin, qgis_canvas, qtbot, messages, tls_server):
    use_api(tls_server.url + "/")
    set_canvas(qgis_canvas)
    click_and_wait(plugin, qtbot)
    assert_one_message(messages, "critical", "Network error", "TLS/SSL error", "certificate")
    assert quicklook_layers() == []
