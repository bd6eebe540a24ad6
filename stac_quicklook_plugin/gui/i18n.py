"""The one ``tr()`` every user-facing string goes through, and the translator that QGIS's locale picks.

Translations live in ``i18n/stac_quicklook_<locale>.qm`` inside the package (``make package`` compiles them from
the ``.ts`` sources with lrelease; ``scripts/update_translations.py`` extracts the strings with pylupdate5).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from qgis.PyQt.QtCore import QCoreApplication, QTranslator

CONTEXT = "StacQuicklook"
I18N_DIR = Path(__file__).resolve().parents[1] / "i18n"


def tr(text: str) -> str:
    """Translate ``text`` in the plugin's single translation context."""
    return QCoreApplication.translate(CONTEXT, text)


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 (the name pylupdate5 looks for)
    """Marks a string for extraction where it is defined; ``tr()`` translates it where it is shown."""
    return text


# Strings shown through tr(variable): the engine's error titles (core/errors.py stays free of Qt) and names
# held in constants. Listed here so pylupdate5 extracts them.
MARKED = (
    QT_TRANSLATE_NOOP("StacQuicklook", "Quicklook failed"),
    QT_TRANSLATE_NOOP("StacQuicklook", "Invalid input"),
    QT_TRANSLATE_NOOP("StacQuicklook", "No imagery found"),
    QT_TRANSLATE_NOOP("StacQuicklook", "STAC API error"),
    QT_TRANSLATE_NOOP("StacQuicklook", "Network error"),
    QT_TRANSLATE_NOOP("StacQuicklook", "Malformed STAC answer"),
    QT_TRANSLATE_NOOP("StacQuicklook", "No usable asset"),
    QT_TRANSLATE_NOOP("StacQuicklook", "Refused catalog link"),
    QT_TRANSLATE_NOOP("StacQuicklook", "Could not read the image"),
    QT_TRANSLATE_NOOP("StacQuicklook", "Cancelled"),
    QT_TRANSLATE_NOOP("StacQuicklook", "Missing Python package"),
    QT_TRANSLATE_NOOP("StacQuicklook", "STAC Quicklook"),
    QT_TRANSLATE_NOOP("StacQuicklook", "STAC Quicklooks"),
)


def qgis_locale() -> str:
    """The locale QGIS shows its own interface in: the override in Settings > Options > General, else the system's."""
    from qgis.core import QgsApplication

    return QgsApplication.locale() or "en"


def translation_file(locale: str, folder: Optional[Path] = None) -> Optional[Path]:
    """The .qm for ``locale`` ("fr_FR", then "fr"), or None: English needs none."""
    folder = folder or I18N_DIR
    for name in (locale, locale.split("_")[0]):
        candidate = folder / f"stac_quicklook_{name}.qm"
        if name and candidate.is_file():
            return candidate
    return None


def install_translator(locale: Optional[str] = None, folder: Optional[Path] = None) -> Optional[QTranslator]:
    """Load and install the translation for ``locale`` (default: QGIS's); returns it (to ``remove_translator``),
    or None when there is none for that locale."""
    path = translation_file(locale or qgis_locale(), folder)
    if path is None:
        return None
    translator = QTranslator()
    if not translator.load(str(path)):
        return None
    QCoreApplication.installTranslator(translator)
    return translator


def remove_translator(translator: Optional[QTranslator]) -> None:
    if translator is not None:
        QCoreApplication.removeTranslator(translator)


def best_available_label() -> str:
    """How the collection "" reads: the best available Sentinel-2 L2A (the dock's first entry, task titles)."""
    return tr("Sentinel-2 L2A (best available)")
