"""The hostile STAC API through the toolbar click in a real QGIS: one message in the bar, no layer, no
/vsimem file, the task ends (within the deadline) and the event loop keeps turning; nothing shown or
logged holds a secret or a control character."""
from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest
from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QTimer

from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.gui import layer as layer_mod
from tests.harness.fixtures import SECRET
from tests.qgis.conftest import set_canvas
from tests.qgis.plugin_checks import (
    all_messages,
    assert_nothing_left,
    assert_one_message,
    click_and_wait,
    use_api,
)

TIMEOUT_S = 3
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture()
def said(plugin):
    """Everything the plugin shows or logs while the test runs: the message log, the dock's status line,
    the task descriptions."""
    lines: list[str] = []

    def on_log(message, tag, level):
        lines.append(f"log[{tag}]: {message}")

    def on_task(task_id):
        task = QgsApplication.taskManager().task(task_id)
        if hasattr(task, "stageChanged"):
            task.stageChanged.connect(lambda pct, msg, t=task: lines.append(f"task: {t.description()}"))

    log = QgsApplication.messageLog()
    log.messageReceived.connect(on_log)
    QgsApplication.taskManager().taskAdded.connect(on_task)
    original = plugin.dock.set_status

    def set_status(text):
        original(text)
        lines.append(f"dock: {plugin.dock.status_label.text()}")

    plugin.dock.set_status = set_status
    yield lines
    log.messageReceived.disconnect(on_log)
    QgsApplication.taskManager().taskAdded.disconnect(on_task)


@pytest.fixture()
def short_timeout(plugin):
    """The real engine with the user's timeout at 3 s (the dock has no timeout setting; 20 s by default)."""
    plugin.engine = lambda request, progress=None, is_cancelled=None: quicklook(
        replace(request, timeout=TIMEOUT_S), progress, is_cancelled)


def click_watching_the_event_loop(plugin, qtbot) -> tuple[float, float]:
    """(seconds the click took, the longest the event loop stood still meanwhile)."""
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    try:
        seconds = click_and_wait(plugin, qtbot, timeout=30000)
    finally:
        timer.stop()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    return seconds, max(gaps, default=0.0)


@pytest.mark.parametrize("scenario, level, title, fragments, within_s", [
    ("href-file", "critical", "Refused catalog link", ("cannot point at local files", "'visual'"), 10),
    ("href-vsicurl", "critical", "Refused catalog link", ("GDAL virtual file path",), 10),
    ("self-file", "critical", "Refused catalog link", ("self link", "file:///etc/passwd"), 10),
    ("trickle-search", "critical", "Network error", ("sent the answer too slowly",), TIMEOUT_S + 3),
    ("trickle-headers", "critical", "Network error", (f"did not answer within {TIMEOUT_S} s",), TIMEOUT_S + 3),
    ("deep-search", "critical", "Malformed STAC answer", ("nested too deeply",), 10),
    ("bbox-nan", "critical", "Malformed STAC answer", ("its bbox is [NaN",), 10),
    ("cloud-text", "critical", "Malformed STAC answer", ("not a number from 0 to 100",), 10),
    ("escapes-500", "critical", "STAC API error", ("HTTP 500",), 10),
    ("ids-escapes", "critical", "Malformed STAC answer", ("not a short plain text",), 10),
])
def test_hostile_answers_are_one_message_and_leave_nothing(plugin, qgis_canvas, qtbot, messages, hostile, said,
                                                           short_timeout, scenario, level, title, fragments,
                                                           within_s):
    use_api(hostile.url_for(scenario))
    set_canvas(qgis_canvas)
    before = set(layer_mod.vsimem_files())
    seconds, longest_stall = click_watching_the_event_loop(plugin, qtbot)
    message = assert_one_message(messages, level, title, *fragments)
    assert "Traceback" not in message and "Unexpected error" not in message
    assert_nothing_left(before)
    assert not plugin.dock.cancel_button.isEnabled()
    assert seconds < within_s, seconds
    assert longest_stall < 1.0, longest_stall  # QGIS stayed responsive
    shown = "\n".join(said + [m for msgs in all_messages(messages).values() for m in msgs])
    assert not CONTROL.search(shown.replace("\n", " ").replace("\t", " ")), repr(CONTROL.findall(shown))


@pytest.mark.parametrize("scenario", ["echo-auth", "echo-auth-split"])
def test_a_server_quoting_the_password_is_shown_without_it(plugin, qgis_canvas, qtbot, messages, hostile, said,
                                                           scenario):
    use_api(hostile.url_for(scenario).replace("http://", f"http://reader:{SECRET}pw@"))
    set_canvas(qgis_canvas)
    click_and_wait(plugin, qtbot)
    assert_one_message(messages, "critical", "STAC API error", "HTTP 401")
    shown = "\n".join(said + [m for msgs in all_messages(messages).values() for m in msgs])
    assert "Rejected: user REDACTED with password REDACTED" in shown  # the answer is in the log, minus secrets
    assert SECRET not in shown and "RETpw" not in shown, [line for line in shown.splitlines() if "RETpw" in line]
