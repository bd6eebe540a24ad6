"""The one ``tr()`` every user-facing string goes through."""
from __future__ import annotations

from qgis.PyQt.QtCore import QCoreApplication

CONTEXT = "StacQuicklook"


def tr(text: str) -> str:
    """Translate ``text`` in the plugin's single translation context."""
    return QCoreApplication.translate(CONTEXT, text)
