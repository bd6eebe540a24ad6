"""What the plugin tells the user: the message bar (short), the log (everything), the dock's status line.
Its own warnings and errors are remembered, so a quicklook that works can take them away again."""
from __future__ import annotations

import traceback
from typing import Any, Callable, Optional

from qgis.core import Qgis, QgsMessageLog

from stac_quicklook_plugin.gui.i18n import tr

LOG_TAG = "STAC Quicklook"
# Seconds a message stays in the bar, by level.
DURATION = {Qgis.MessageLevel.Info: 5, Qgis.MessageLevel.Success: 5, Qgis.MessageLevel.Warning: 10,
            Qgis.MessageLevel.Critical: 15}


class Messages:
    """The plugin's messages, to ``iface``'s bar and log and to the dock ``dock()`` returns (or None)."""

    def __init__(self, iface: Any, dock: Callable[[], Any]):
        self.iface = iface
        self._dock = dock
        self._bar_items: list[Any] = []  # this plugin's warnings and errors in the message bar

    def report_exception(self, exc: BaseException, trace: str = "") -> None:
        """An engine error as its title and sentence (the detail in the log); anything else as unexpected."""
        from stac_quicklook_plugin.core import errors
        from stac_quicklook_plugin.core.net.redact import redact

        if isinstance(exc, errors.QuicklookError):
            expected = isinstance(exc, (errors.BadInput, errors.NothingFound))
            level = Qgis.MessageLevel.Warning if expected else Qgis.MessageLevel.Critical
            detail = str(exc)
            if isinstance(exc, errors.APIError):
                detail += "\n" + tr("Status: {status}\nURL: {url}\nBody: {body}").format(
                    status=exc.status, url=exc.url, body=(exc.body or "")[:4000])
            self.report(tr(exc.title), bar_text(redact(str(exc))), level, redact(detail))
        else:
            self.report(tr("Unexpected error"),
                        tr("STAC Quicklook hit an unexpected error ({kind}: {error}). The details are in the "
                           "log (View > Panels > Log Messages, tab “STAC Quicklook”).").format(
                            kind=type(exc).__name__, error=redact(str(exc))[:200]),
                        Qgis.MessageLevel.Critical,
                        redact(trace or "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))))

    def report(self, title: str, text: str, level: Qgis.MessageLevel, detail: Optional[str] = None) -> None:
        """A short message in the bar (and the dock's status line); the full detail in the log."""
        short = text if len(text) <= 400 else text[:399] + "…"
        bar = self.iface.messageBar()
        bar.pushMessage(title, short, level, DURATION.get(level, 10))
        if level in (Qgis.MessageLevel.Warning, Qgis.MessageLevel.Critical) and hasattr(bar, "currentItem"):
            shown = bar.items()  # items whose time ran out are gone from the bar: forget them
            self._bar_items = [item for item in self._bar_items if item in shown] + [bar.currentItem()]
        QgsMessageLog.logMessage(f"{title}: {detail or text}", LOG_TAG, level)
        dock = self._dock()
        if dock is not None:
            dock.set_status(f"{title}: {short}")

    def dismiss_own(self) -> None:
        """A quicklook worked: this plugin's earlier warnings and errors are stale; other messages stay."""
        bar = self.iface.messageBar()
        items, self._bar_items = self._bar_items, []
        if not hasattr(bar, "items"):
            return
        shown = bar.items()
        for item in items:
            if item is not None and item in shown:
                bar.popWidget(item)


def bar_text(message: str) -> str:
    """The part of an engine message for the message bar: what failed and what to try, without the
    server's (possibly long, HTML) answer, which stays in the log."""
    lines = [line.strip() for line in message.strip().splitlines()]
    for index, line in enumerate(lines):
        if line.lower().startswith("server says"):
            kept = " ".join(part for part in lines[:index] if part)
            return kept + " " + tr("(The server's answer is in the log.)") if kept else message.strip()
    return " ".join(part for part in lines if part)


