"""`make package` builds an installable plugin ZIP with metadata, icon and no tests or caches."""
import configparser
import subprocess
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_make_package_builds_an_installable_zip():
    subprocess.run(["make", "-s", "package"], cwd=REPO, check=True, capture_output=True, timeout=120)
    meta = configparser.ConfigParser()
    meta.read(REPO / "metadata.txt")
    general = meta["general"]
    zip_path = REPO / "dist" / f"stac_quicklook_plugin-{general['version']}.zip"
    names = zipfile.ZipFile(zip_path).namelist()
    assert all(n.startswith("stac_quicklook_plugin/") for n in names)
    for required in ("__init__.py", "plugin.py", "metadata.txt", "core/quicklook.py", "gui/task.py",
                     general["icon"]):
        assert f"stac_quicklook_plugin/{required}" in names, required
    assert not any("__pycache__" in n or n.endswith(".pyc") or "/tests/" in n for n in names)
    for key in ("name", "qgisMinimumVersion", "description", "about", "version", "author", "email",
                "repository", "tracker", "homepage", "tags", "category", "icon", "experimental"):
        assert general.get(key), key
    assert general["qgisMinimumVersion"] == "3.22"
