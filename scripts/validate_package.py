"""Check a plugin ZIP the way the QGIS plugin repository (plugins.qgis.org) does before accepting an upload.

    python3 scripts/validate_package.py dist/stac_quicklook_plugin-0.1.0.zip [--version 0.1.0]

Prints every problem found and exits 1 if there is any, 0 (printing "ok ...") otherwise. Standard library only.
"""
from __future__ import annotations

import argparse
import configparser
import re
import sys
import zipfile
from pathlib import PurePosixPath

# Fields the repository refuses an upload without, and the ones it shows on the plugin's page.
REQUIRED = ("name", "qgisMinimumVersion", "description", "about", "version", "author", "email", "repository",
            "tracker")
RECOMMENDED = ("homepage", "tags", "changelog", "category", "icon")
BOOLEANS = ("experimental", "deprecated", "hasProcessingProvider", "server", "supportsQt6")
URL_FIELDS = ("repository", "tracker", "homepage")
VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")
QGIS_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$")
# Compiled code or executables the repository refuses; .qm translations and images are data it accepts.
BINARY_SUFFIXES = {".pyc", ".pyo", ".so", ".dll", ".dylib", ".pyd", ".exe", ".bin", ".o", ".a", ".jar", ".class"}
DATA_SUFFIXES = {".qm", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".svg", ".webp"}
MAX_BYTES = 25 * 1024 * 1024
LICENSE_NAMES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING")


def validate(zip_path: str, expected_version: str | None = None) -> list[str]:
    """Every problem the repository would reject (or warn about), as sentences; [] for a good package."""
    problems: list[str] = []
    try:
        archive = zipfile.ZipFile(zip_path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"{zip_path} is not a readable ZIP file: {exc}"]
    with archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        if not names:
            return [f"{zip_path} is empty"]
        tops = {PurePosixPath(name).parts[0] for name in names}
        if len(tops) != 1 or any("/" not in name.rstrip("/") and not name.endswith("/") for name in names):
            return [f"the ZIP must hold exactly one top folder (the plugin package), found: {sorted(tops)}"]
        top = tops.pop()
        if not top.isidentifier():
            problems.append(f"the top folder '{top}' is not a valid Python package name")
        if sum(info.file_size for info in infos) > MAX_BYTES:
            problems.append(f"the package unpacks to more than {MAX_BYTES // 2**20} MB")
        for info in infos:
            problems += _entry_problems(info, archive)
        for needed in ("__init__.py", "metadata.txt"):
            if f"{top}/{needed}" not in names:
                problems.append(f"{top}/{needed} is missing")
        if not any(f"{top}/{name}" in names for name in LICENSE_NAMES):
            problems.append(f"no licence file ({' or '.join(LICENSE_NAMES)}) in {top}/")
        if f"{top}/__init__.py" in names and b"def classFactory" not in archive.read(f"{top}/__init__.py"):
            problems.append(f"{top}/__init__.py defines no classFactory(iface)")
        if f"{top}/metadata.txt" in names:
            problems += _metadata_problems(archive.read(f"{top}/metadata.txt"), top, names, expected_version)
    return problems


def _entry_problems(info: zipfile.ZipInfo, archive: zipfile.ZipFile) -> list[str]:
    path = PurePosixPath(info.filename)
    if "__pycache__" in path.parts:
        return [f"{info.filename}: __pycache__ must not be packaged"]
    if any(part.startswith(".") for part in path.parts):
        return [f"{info.filename}: hidden files and folders (.git, .DS_Store, ...) must not be packaged"]
    if info.is_dir():
        return []
    suffix = path.suffix.lower()
    if suffix in BINARY_SUFFIXES:
        return [f"{info.filename}: compiled or binary files are refused"]
    if suffix not in DATA_SUFFIXES and b"\0" in archive.read(info.filename)[:8192]:
        return [f"{info.filename}: looks binary (NUL bytes); only source, text, images and .qm are accepted"]
    if info.external_attr >> 16 & 0o111 and suffix not in (".py", ".sh"):
        return [f"{info.filename}: executable bit set on a data file"]
    return []


def _metadata_problems(raw: bytes, top: str, names: list[str], expected_version: str | None) -> list[str]:
    problems = []
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive (qgisMinimumVersion)
    try:
        parser.read_string(raw.decode("utf-8"))
    except (UnicodeDecodeError, configparser.Error) as exc:
        return [f"metadata.txt cannot be read: {exc}"]
    if "general" not in parser:
        return ["metadata.txt has no [general] section"]
    meta = parser["general"]
    for key in REQUIRED + RECOMMENDED:
        if not meta.get(key, "").strip():
            problems.append(f"metadata.txt: '{key}' is missing or empty")
    version = meta.get("version", "")
    if version and not VERSION.match(version):
        problems.append(f"metadata.txt: version '{version}' is not like 1.2 or 1.2.3")
    if expected_version is not None and version != expected_version:
        problems.append(f"metadata.txt: version '{version}' does not match the package version '{expected_version}'")
    for key in ("qgisMinimumVersion", "qgisMaximumVersion"):
        value = meta.get(key)
        if value is not None and not QGIS_VERSION.match(value):
            problems.append(f"metadata.txt: {key} '{value}' is not like 3.22")
    if meta.get("email") and not EMAIL.match(meta["email"]):
        problems.append(f"metadata.txt: email '{meta['email']}' is not an e-mail address")
    for key in URL_FIELDS:
        if meta.get(key) and not URL.match(meta[key]):
            problems.append(f"metadata.txt: {key} '{meta[key]}' is not an http(s) URL")
    for key in BOOLEANS:
        if key in meta and meta[key].strip().lower() not in ("true", "false", "yes", "no", "1", "0"):
            problems.append(f"metadata.txt: {key} '{meta[key]}' is not True or False")
    if meta.get("tags") and any(not tag.strip() for tag in meta["tags"].split(",")):
        problems.append("metadata.txt: tags must be a comma-separated list without empty entries")
    if meta.get("about") and len(meta["about"]) < 40:
        problems.append("metadata.txt: 'about' is too short to tell a user what the plugin does")
    if meta.get("icon") and f"{top}/{meta['icon']}" not in names:
        problems.append(f"metadata.txt: icon '{meta['icon']}' is not in the package")
    if meta.get("changelog") and version and version not in meta["changelog"]:
        problems.append(f"metadata.txt: the changelog has no entry for version {version}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zip")
    parser.add_argument("--version", help="the version the package must declare")
    parser.add_argument("--require", action="append", default=[],
                        help="a path inside the top folder that must be packaged (repeatable)")
    args = parser.parse_args(argv)
    problems = validate(args.zip, args.version)
    if not problems and args.require:
        with zipfile.ZipFile(args.zip) as archive:
            names = set(archive.namelist())
            top = next(iter(names)).split("/")[0]
            problems = [f"{top}/{path} is missing" for path in args.require if f"{top}/{path}" not in names]
    if problems:
        print(f"{args.zip}: {len(problems)} problem(s) the QGIS plugin repository would refuse:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"ok {args.zip}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
