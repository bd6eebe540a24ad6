"""Refresh the translation sources (stac_quicklook_plugin/i18n/*.ts) from the code with pylupdate5.

    /usr/bin/python3 scripts/update_translations.py          # update every .ts in place, keep translations
    /usr/bin/python3 scripts/update_translations.py --check  # exit 1 if a .ts lacks strings of the code

pylupdate5 (Debian: pyqt5-dev-tools) files a module-level ``tr("...")`` under the context "@default"; the plugin
translates everything in one context (gui/i18n.py CONTEXT), so the contexts are merged into that one here.
New strings appear as unfinished messages for a translator (or Qt Linguist) to fill in.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "stac_quicklook_plugin"
I18N = PACKAGE / "i18n"
CONTEXT = "StacQuicklook"
# The headless CLI speaks English only (no Qt there).
SKIP = {"__main__.py"}


def sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name not in SKIP and "core" not in p.relative_to(PACKAGE).parts
                  and "__pycache__" not in p.parts)


def extract(ts_path: Path) -> ET.ElementTree:
    """pylupdate5 run over the code, seeded with ``ts_path``'s translations; one context, no obsolete entries."""
    pylupdate = shutil.which("pylupdate5")
    if pylupdate is None:
        sys.exit("pylupdate5 not found (Debian: apt install pyqt5-dev-tools)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / ts_path.name
        if ts_path.exists():
            # pylupdate5 merges by context: give the old translations the context it will file the strings under.
            tree = ET.parse(ts_path)
            for name in tree.getroot().iter("name"):
                name.text = "@default"
            tree.write(work, encoding="utf-8", xml_declaration=True)
        subprocess.run([pylupdate, "-noobsolete", *map(str, sources()), "-ts", str(work)], check=True,
                       capture_output=True)
        fresh = merge_contexts(ET.parse(work))
    if ts_path.exists():
        # Strings pylupdate5 filed under another context than before (QT_TRANSLATE_NOOP's) lose their translation
        # in its merge: give it back by source text.
        old = {m.findtext("source"): m.find("translation") for m in ET.parse(ts_path).getroot().iter("message")
               if _translated(m)}
        for message in fresh.getroot().iter("message"):
            source = message.findtext("source")
            if not _translated(message) and source in old:
                message.remove(message.find("translation"))
                message.append(old[source])
    return fresh


def merge_contexts(tree: ET.ElementTree) -> ET.ElementTree:
    root = tree.getroot()
    merged = ET.Element("context")
    ET.SubElement(merged, "name").text = CONTEXT
    seen: dict[str, ET.Element] = {}
    for context in root.findall("context"):
        for message in context.findall("message"):
            source = message.findtext("source")
            if source in seen:
                # The same string in two contexts: keep whichever has a translation.
                if _translated(message) and not _translated(seen[source]):
                    merged.remove(seen[source])
                else:
                    continue
            seen[source] = message
            for location in message.findall("location"):  # line numbers churn with every edit
                message.remove(location)
            merged.append(message)
        root.remove(context)
    root.append(merged)
    ET.indent(tree, space="    ")
    return tree


def _translated(message: ET.Element) -> bool:
    translation = message.find("translation")
    return translation is not None and bool(translation.text) and translation.get("type") != "unfinished"


def sources_in(tree: ET.ElementTree) -> set[str]:
    return {m.findtext("source") for m in tree.getroot().iter("message")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report missing strings, change nothing")
    args = parser.parse_args()
    status = 0
    for ts_path in sorted(I18N.glob("*.ts")):
        fresh = extract(ts_path)
        if args.check:
            missing = sources_in(fresh) - sources_in(ET.parse(ts_path))
            if missing:
                status = 1
                print(f"{ts_path.relative_to(REPO)} lacks {len(missing)} string(s) of the code:", file=sys.stderr)
                for text in sorted(missing):
                    print(f"  {text}", file=sys.stderr)
            continue
        with open(ts_path, "w", encoding="utf-8") as fh:
            fh.write('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n')
            fh.write(ET.tostring(fresh.getroot(), encoding="unicode"))
            fh.write("\n")
        unfinished = sum(1 for m in fresh.getroot().iter("message") if not _translated(m))
        print(f"{ts_path.relative_to(REPO)}: {len(sources_in(fresh))} strings, {unfinished} to translate")
    return status


if __name__ == "__main__":
    sys.exit(main())
