"""``make demo``: a real QGIS with the plugin, on the local demo catalog, one click, one screenshot.

STAC_API=https://earth-search.aws.element84.com/v1 make demo   points it at the real service instead.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "demo" / "quicklook.png"
PLUGIN = "stac_quicklook_plugin"


def deploy(profiles: Path, api_url: str, dates: tuple[str, str], preset: str = "") -> None:
    """A throwaway QGIS profile with the plugin installed, enabled and pointed at ``api_url``."""
    profile = profiles / "profiles" / "demo"
    plugins = profile / "python" / "plugins"
    plugins.mkdir(parents=True)
    shutil.copytree(REPO / PLUGIN, plugins / PLUGIN, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "metadata.txt", plugins / PLUGIN / "metadata.txt")
    (plugins / PLUGIN / "resources").mkdir(exist_ok=True)
    shutil.copy(REPO / "resources" / "icon.svg", plugins / PLUGIN / "resources" / "icon.svg")
    ini = profile / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True)
    ini.write_text("\n".join([
        "[PythonPlugins]", f"{PLUGIN}=true", "",
        "[qgis]", "showTips=false", "checkVersion=false", "allowVersionCheck=false", "",
        "[stac_quicklook]", f"api_url={api_url}",  # no collection: a new user's best available
        f"date_from={dates[0]}", f"date_to={dates[1]}", "cloud_cover_max=20", "dock_visible=true",
        *([f"preset={preset}"] if preset else []), "",
    ]))


def qgis_command(profiles: Path, startup: str = "qgis_startup.py") -> list[str]:
    cmd = ["qgis", "--profiles-path", str(profiles), "--profile", "demo", "--nologo", "--noversioncheck",
           "--code", str(REPO / "demo" / startup)]
    if not os.environ.get("DISPLAY"):
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1440x900x24"] + cmd
    return cmd


def launch(startup: str, tmp: Path, env: dict[str, str], timeout: float) -> dict:
    """QGIS with the demo profile of ``tmp`` (``deploy``) running ``demo/<startup>``, until it quits or
    ``timeout``; the status its script wrote. ``env`` goes to QGIS's environment (the script's parameters)."""
    status_path = tmp / "status.json"
    full = dict(os.environ, STAC_QL_DEMO_STATUS=str(status_path), STAC_QL_DEMO_KIT=str(REPO / "demo"),
                QT_QPA_PLATFORM="xcb", XDG_RUNTIME_DIR=str(tmp))
    full.update(env)
    log = REPO / "demo" / "qgis.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(qgis_command(tmp / "profiles", startup), env=full, stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
    status = json.loads(status_path.read_text()) if status_path.exists() else {"error": "QGIS wrote no status"}
    status["qgis_log"] = str(log)
    return status


def run(api_url: str, dates: tuple[str, str], out: Path = OUT, timeout: float = 240,
        extra_env: dict[str, str] | None = None, preset: str = "") -> dict:
    """Launch QGIS, wait for it to finish, return the status the startup script wrote. ``extra_env``
    (e.g. PYTHONPATH=tests/hide_rasterio, STAC_QL_DEMO_LAYER_COPY=x.tif) goes to QGIS's environment."""
    with tempfile.TemporaryDirectory(prefix="stac-ql-qgis-") as tmp:
        deploy(Path(tmp) / "profiles", api_url, dates, preset)
        if out.exists():
            out.unlink()
        env = {"STAC_QL_DEMO_OUT": str(out), "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM_DEMO", "xcb"),
               **(extra_env or {})}
        return launch("qgis_startup.py", Path(tmp), env, timeout)


def main() -> int:
    """``make demo``; ``STAC_QL_DEMO_PRESET=ndvi make demo`` shows that preset (screenshot demo/ndvi.png)."""
    preset = os.environ.get("STAC_QL_DEMO_PRESET", "").strip().lower()
    out = REPO / "demo" / f"{preset}.png" if preset else OUT
    api = os.environ.get("STAC_API")
    start = time.time()
    if api:
        print(f"demo: using the STAC API at {api} (last 30 days)")
        from datetime import date, timedelta
        today = date.today()
        catalog = contextlib.nullcontext(api)
        dates = ((today - timedelta(days=30)).isoformat(), today.isoformat())
    else:
        from demo.catalog import DEMO_DATES, local_catalog
        print("demo: generating the demo data (cached after the first run) and starting the local "
              "STAC API and COG server on 127.0.0.1")
        catalog = local_catalog("small")
        dates = DEMO_DATES
    with catalog as api_url:
        print(f"demo: STAC API {api_url}; launching QGIS with the plugin in a throwaway profile"
              f"{' under Xvfb' if not os.environ.get('DISPLAY') else ''}")
        status = run(api_url, dates, out, preset=preset)
    print("demo: servers stopped")
    layer = status.get("layer")
    if layer and out.exists():
        print(f"demo: zoomed to Rocky Mountain National Park, clicked 'Quicklook current extent'; layer "
              f"'{layer['name']}' ({layer['bands']} bands, {layer['crs']}) added in "
              f"{status['layer_at'] - status['clicked']:.1f} s")
        print(f"demo: screenshot saved to {out.relative_to(REPO)} ({time.time() - start:.0f} s in all)")
        return 0
    print(f"demo: FAILED: {status.get('error') or status.get('messages') or 'no layer'}; "
          f"see {status['qgis_log']}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
