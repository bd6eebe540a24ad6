"""Cancel through the dock mid-search and mid-read: the task ends within a second of Cancel (measured from
the click to the task's finished signal), no layer, no /vsimem file, and the next quicklook works."""
from __future__ import annotations

import time

from stac_quicklook_plugin.gui import layer as layer_mod
from tests.qgis.conftest import set_canvas
from tests.qgis.plugin_checks import (
    assert_next_quicklook_works,
    assert_nothing_left,
    assert_one_message,
    use_api,
)

CANCEL_WITHIN_S = 1.5  # the issue asks for 1 s; the margin is for a loaded test machine


def cancel_and_time(plugin, qtbot, when) -> float:
    """Click, wait until ``when()``, click Cancel; seconds from Cancel to the task's finished signal."""
    plugin.action.trigger()
    task = plugin._task
    finished: list[float] = []
    task.outcomeReady.connect(lambda outcome: finished.append(time.monotonic()))
    qtbot.waitUntil(when, timeout=30000)
    cancelled_at = time.monotonic()
    plugin.dock.cancel_button.click()
    qtbot.waitUntil(lambda: bool(finished), timeout=30000)
    qtbot.waitUntil(lambda: not plugin._tasks, timeout=5000)
    return finished[0] - cancelled_at


def _check_cancelled_cleanly(plugin, qgis_canvas, qtbot, messages, before, stac_server):
    assert_one_message(messages, "info", "Quicklook cancelled", "No layer was added.")
    assert_nothing_left(before)
    assert_next_quicklook_works(plugin, qgis_canvas, qtbot, messages, stac_server.url)


def test_cancel_mid_read_ends_the_task_within_a_second(plugin, qgis_canvas, qtbot, messages, stac_server,
                                                       stac_server_slow_cogs):
    use_api(stac_server_slow_cogs.url)  # every image request answers after 2 s
    set_canvas(qgis_canvas)
    before = set(layer_mod.vsimem_files())
    in_read = []

    def reading() -> bool:
        # Images are read from "Judging cloud over the view" on (the best scene's imagery is read meanwhile).
        text = plugin.dock.status_label.text()
        if ("Read" in text or "Judging" in text) and not in_read:
            in_read.append(time.monotonic())
        return bool(in_read) and time.monotonic() - in_read[0] > 0.3  # well inside the first image request

    seconds = cancel_and_time(plugin, qtbot, reading)
    print(f"\ncancel mid-read: the task finished {seconds:.2f} s after Cancel")
    assert seconds < CANCEL_WITHIN_S
    _check_cancelled_cleanly(plugin, qgis_canvas, qtbot, messages, before, stac_server)


def test_cancel_mid_search_ends_the_task_within_a_second(plugin, qgis_canvas, qtbot, messages, stac_server,
                                                         fault_stac):
    use_api(fault_stac.url_for("slow,tag-cancel-plugin"))  # every answer takes 3 s
    set_canvas(qgis_canvas)
    before = set(layer_mod.vsimem_files())
    started = time.monotonic()
    seconds = cancel_and_time(plugin, qtbot, lambda: time.monotonic() - started > 0.5)
    print(f"\ncancel mid-search: the task finished {seconds:.2f} s after Cancel")
    _check_cancelled_cleanly(plugin, qgis_canvas, qtbot, messages, before, stac_server)
    assert seconds < CANCEL_WITHIN_S
