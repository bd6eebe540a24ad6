"""`make package` builds a ZIP the QGIS plugin repository accepts (checked by scripts/validate_package.py, which
refuses what the repository refuses), with the licence and the compiled French translation."""
import configparser
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VALIDATOR = REPO / "scripts" / "validate_package.py"


def _validator():
    spec = importlib.util.spec_from_file_location("validate_package", VALIDATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _metadata():
    meta = configparser.ConfigParser(interpolation=None)
    meta.optionxform = str
    meta.read(REPO / "metadata.txt")
    return meta["general"]


@pytest.fixture(scope="module")
def package_zip() -> Path:
    result = subprocess.run(["make", "-s", "package"], cwd=REPO, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "ok dist/" in result.stdout  # the validation ran and passed
    return REPO / "dist" / f"stac_quicklook_plugin-{_metadata()['version']}.zip"


def test_make_package_builds_an_installable_zip(package_zip):
    general = _metadata()
    names = zipfile.ZipFile(package_zip).namelist()
    assert all(n.startswith("stac_quicklook_plugin/") for n in names)
    for required in ("__init__.py", "plugin.py", "metadata.txt", "LICENSE", "core/quicklook.py", "gui/task.py",
                     "processing/algorithm.py", "gui/project.py", "i18n/stac_quicklook_fr.qm", general["icon"]):
        assert f"stac_quicklook_plugin/{required}" in names, required
    assert not any("__pycache__" in n or n.endswith((".pyc", ".ts")) or "/tests/" in n for n in names)
    for key in ("name", "qgisMinimumVersion", "description", "about", "version", "author", "email",
                "repository", "tracker", "homepage", "tags", "category", "icon", "experimental", "changelog"):
        assert general.get(key), key
    assert general["qgisMinimumVersion"] == "3.22" and general["hasProcessingProvider"] == "yes"
    assert _validator().validate(str(package_zip), general["version"]) == []


def test_the_zip_holds_the_gpl_and_a_working_french_translation(package_zip, tmp_path):
    archive = zipfile.ZipFile(package_zip)
    licence = archive.read("stac_quicklook_plugin/LICENSE").decode()
    assert "GNU GENERAL PUBLIC LICENSE" in licence and "Version 2" in licence and "any later version" in licence
    assert licence == (REPO / "LICENSE").read_text()
    qm = tmp_path / "fr.qm"
    qm.write_bytes(archive.read("stac_quicklook_plugin/i18n/stac_quicklook_fr.qm"))
    probe = (f"from qgis.PyQt.QtCore import QTranslator; t = QTranslator(); assert t.load({str(qm)!r}); "
             "print(t.translate('StacQuicklook', 'Quicklook current extent'))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "Aperçu de l’emprise actuelle", out.stderr


def test_make_package_fails_loudly_when_the_validation_fails(package_zip):
    bad = REPO / "dist" / "stac_quicklook_plugin-9.9.9.zip"
    try:
        result = subprocess.run(["make", "-s", "package", "VERSION=9.9.9"], cwd=REPO, capture_output=True,
                                text=True, timeout=180)
        assert result.returncode != 0
        assert "does not match the package version '9.9.9'" in result.stderr
        assert "built dist/" not in result.stdout and not bad.exists()  # no ZIP that would be refused
    finally:
        bad.unlink(missing_ok=True)


def _zip(path: Path, files: dict) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return str(path)


def _good_files() -> dict:
    top = "stac_quicklook_plugin"
    return {f"{top}/__init__.py": "def classFactory(iface):\n    pass\n",
            f"{top}/metadata.txt": (REPO / "metadata.txt").read_text(),
            f"{top}/LICENSE": "GPL-2.0-or-later",
            f"{top}/resources/icon.svg": "<svg/>"}


@pytest.mark.parametrize("change, expected", [
    (lambda f: f, None),
    (lambda f: {**f, "other/readme.txt": "x"}, "exactly one top folder"),
    (lambda f: {**f, "README.txt": "x"}, "exactly one top folder"),
    (lambda f: {**f, "stac_quicklook_plugin/__pycache__/plugin.cpython-311.pyc": "x"}, "__pycache__"),
    (lambda f: {**f, "stac_quicklook_plugin/core/engine.pyc": "x"}, "compiled or binary"),
    (lambda f: {**f, "stac_quicklook_plugin/lib/_speedups.so": "\x7fELF"}, "compiled or binary"),
    (lambda f: {**f, "stac_quicklook_plugin/data/blob.dat": "a\0b"}, "looks binary"),
    (lambda f: {**f, "stac_quicklook_plugin/.git/HEAD": "ref"}, "hidden files"),
    (lambda f: {k: v for k, v in f.items() if not k.endswith("LICENSE")}, "no licence file"),
    (lambda f: {k: v for k, v in f.items() if not k.endswith("icon.svg")}, "icon 'resources/icon.svg'"),
    (lambda f: {**f, "stac_quicklook_plugin/__init__.py": "x = 1\n"}, "no classFactory"),
    (lambda f: {**f, "stac_quicklook_plugin/metadata.txt": f["stac_quicklook_plugin/metadata.txt"].replace(
        "email=", "email=nobody\nold_email=")}, "is not an e-mail address"),
    (lambda f: {**f, "stac_quicklook_plugin/metadata.txt": f["stac_quicklook_plugin/metadata.txt"].replace(
        "tracker=", "bugs=")}, "'tracker' is missing"),
    (lambda f: {**f, "stac_quicklook_plugin/metadata.txt": f["stac_quicklook_plugin/metadata.txt"].replace(
        "changelog=", "history=")}, "'changelog' is missing"),
    (lambda f: {**f, "stac_quicklook_plugin/metadata.txt": f["stac_quicklook_plugin/metadata.txt"].replace(
        "experimental=True", "experimental=maybe")}, "experimental 'maybe' is not True or False"),
    (lambda f: {**f, "stac_quicklook_plugin/metadata.txt": f["stac_quicklook_plugin/metadata.txt"].replace(
        "repository=https://", "repository=ftp://")}, "is not an http(s) URL"),
])
def test_the_validator_refuses_what_the_repository_refuses(tmp_path, change, expected):
    path = _zip(tmp_path / "plugin.zip", change(_good_files()))
    version = _metadata()["version"]
    result = subprocess.run([sys.executable, str(VALIDATOR), path, "--version", version], capture_output=True,
                            text=True, timeout=60)
    if expected is None:
        assert result.returncode == 0 and result.stdout.startswith("ok "), result.stderr
    else:
        assert result.returncode == 1 and expected in result.stderr, result.stderr


def test_the_validator_checks_the_version(tmp_path):
    path = _zip(tmp_path / "plugin.zip", _good_files())
    problems = _validator().validate(path, "0.0.1")
    assert problems == [f"metadata.txt: version '{_metadata()['version']}' does not match the package version "
                        "'0.0.1'"]
