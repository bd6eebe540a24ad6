"""What every fault case through the plugin ends with: the right message, nothing left behind, and a
dock that still makes the next quicklook."""
from __future__ import annotations

import time
from datetime import date

from qgis.core import Qgis, QgsProject, QgsRasterLayer

from stac_quicklook_plugin.gui import layer as layer_mod
from stac_quicklook_plugin.gui import settings
from tests.qgis.conftest import set_canvas

DATA_DATES = (date(2024, 5, 1), date(2024, 9, 30))  # the generated scenes: 2024-05-14 .. 2024-09-16
LEVELS = {"info": Qgis.Info, "warning": Qgis.Warning, "critical": Qgis.Critical, "success": Qgis.Success}


def quicklook_layers() -> list[QgsRasterLayer]:
    return [lyr for lyr in QgsProject.instance().mapLayers().values()
            if lyr.customProperty(layer_mod.PATH_PROPERTY)]


def use_api(url: str, dates=DATA_DATES) -> None:
    settings.set_api_url(url)
    settings.set_dates(*dates)


def click_and_wait(plugin, qtbot, timeout: int = 60000) -> float:
    started = time.monotonic()
    plugin.action.trigger()
    qtbot.waitUntil(lambda: not plugin._tasks, timeout=timeout)
    return time.monotonic() - started


def all_messages(bar) -> dict[str, list[str]]:
    return {name: list(bar.get_messages(level)) for name, level in LEVELS.items()}


def assert_one_message(bar, level: str, title: str, *fragments: str) -> str:
    """Exactly one message in the bar, at ``level``, titled ``title``, holding every fragment."""
    seen = all_messages(bar)
    others = {name: msgs for name, msgs in seen.items() if name != level and msgs}
    assert not others, seen
    (message,) = seen[level]
    assert message.startswith(f"{title}:"), message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def assert_nothing_left(files_before: set[str]) -> None:
    """No quicklook layer and no new /vsimem file (files left by earlier tests may have been swept)."""
    assert quicklook_layers() == []
    assert set(layer_mod.vsimem_files()) - files_before == set()


def assert_next_quicklook_works(plugin, qgis_canvas, qtbot, bar, good_api_url: str) -> None:
    """A good quicklook right after the fault adds exactly one layer and no warning."""
    for level_messages in bar.messages.values():
        level_messages.clear()
    use_api(good_api_url)
    set_canvas(qgis_canvas)
    before = set(layer_mod.vsimem_files())
    click_and_wait(plugin, qtbot)
    assert bar.get_messages(Qgis.Critical) == [] and bar.get_messages(Qgis.Warning) == []
    (layer,) = quicklook_layers()
    assert layer.isValid()
    assert set(layer_mod.vsimem_files()) - before == {layer.customProperty(layer_mod.PATH_PROPERTY)}
    assert not plugin.dock.cancel_button.isEnabled()
