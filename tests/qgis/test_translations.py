"""Translations: the French .ts is complete and current with the code, and switching QGIS's locale to French
turns the plugin's buttons, menus and Processing algorithm French (and back to English on unload)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from qgis.core import QgsApplication, QgsSettings

from stac_quicklook_plugin.gui import i18n

REPO = Path(__file__).resolve().parents[2]
FRENCH_TS = REPO / "stac_quicklook_plugin" / "i18n" / "stac_quicklook_fr.ts"
PLACEHOLDER = re.compile(r"\{[^}]*\}")


def messages(ts: Path):
    root = ET.parse(ts).getroot()
    return [(m.findtext("source"), m.find("translation")) for m in root.iter("message")]


def test_french_is_complete_with_the_same_placeholders():
    root = ET.parse(FRENCH_TS).getroot()
    assert root.get("language") == "fr_FR"
    assert [c.findtext("name") for c in root.iter("context")] == [i18n.CONTEXT]
    found = messages(FRENCH_TS)
    assert len(found) > 100
    for source, translation in found:
        assert translation is not None and translation.get("type") is None and translation.text, source
        assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(translation.text)), source


def test_every_string_of_the_code_is_in_the_ts():
    """pylupdate5 run over the code finds nothing the .ts lacks (scripts/update_translations.py adds new ones)."""
    if shutil.which("pylupdate5") is None:
        pytest.fail("pylupdate5 is missing: apt install pyqt5-dev-tools (scripts/debian-packages.txt)")
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "update_translations.py"), "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, (result.stderr + "\nRun /usr/bin/python3 scripts/update_translations.py and "
                                    "translate the new (unfinished) messages in the .ts.")


@pytest.fixture()
def french(tmp_path):
    """QGIS's locale overridden to fr_FR (Settings > Options > General), the .qm compiled as make package does."""
    lrelease = shutil.which("lrelease")
    if lrelease is None:
        pytest.fail("lrelease is missing: apt install qttools5-dev-tools (scripts/debian-packages.txt)")
    qm = tmp_path / "stac_quicklook_fr.qm"
    subprocess.run([lrelease, "-silent", str(FRENCH_TS), "-qm", str(qm)], check=True, timeout=60)
    settings = QgsSettings()
    saved = {key: settings.value(key) for key in ("locale/overrideFlag", "locale/userLocale")}
    settings.setValue("locale/overrideFlag", True)
    settings.setValue("locale/userLocale", "fr_FR")
    yield tmp_path
    for key, value in saved.items():
        if value is None:
            settings.remove(key)
        else:
            settings.setValue(key, value)


def test_switching_the_locale_translates_the_plugin(french, web_iface, clean_settings, qgis_new_project,
                                                    qgis_processing, monkeypatch):
    from stac_quicklook_plugin import classFactory

    assert QgsApplication.locale() == "fr_FR"
    monkeypatch.setattr(i18n, "I18N_DIR", french)
    plugin = classFactory(web_iface)
    plugin.initGui()
    try:
        assert plugin.translator is not None
        assert plugin.dock.quicklook_button.text() == "Aperçu"
        assert plugin.dock.cancel_button.text() == "Annuler"
        assert plugin.action.text() == "Aperçu de l’emprise actuelle"
        assert web_iface.recorder.menu[0][0] == "STAC Quicklook"  # the product name stays
        alg = QgsApplication.processingRegistry().algorithmById("stac_quicklook:quicklook")
        assert alg.displayName() == "Aperçu d’une emprise"
        assert alg.parameterDefinition("START").description() == "Date de début"
        assert i18n.tr("No imagery found") == "Aucune image trouvée"  # the engine's error titles too
    finally:
        plugin.unload()
    assert i18n.tr("Quicklook") == "Quicklook"  # unload removed the translator


def test_english_and_unknown_locales_need_no_file(french):
    assert i18n.translation_file("en_US", french) is None
    assert i18n.translation_file("de_DE", french) is None
    assert i18n.translation_file("fr_CA", french) == french / "stac_quicklook_fr.qm"  # falls back to the language
