"""The README's animation: the headless CLI's ``--every-date --animation`` on the local demo catalog, NDVI over
the season (one frame per date, oldest first, the date burned in, one colour range for every frame); saves
``demo/animation.gif``.

    .venv/bin/python -m demo.animation_demo
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "demo" / "animation.gif"
VIEW = (-105.8, 40.25, -105.55, 40.45)


def main() -> int:
    from demo.catalog import DEMO_DATES, local_catalog

    with local_catalog("small") as api_url, tempfile.TemporaryDirectory(prefix="stac-ql-anim-") as tmp:
        cmd = [sys.executable, "-m", "stac_quicklook_plugin", "--stac-api", api_url,
               "--bbox", *(f"{v}" for v in VIEW), "--datetime", "/".join(DEMO_DATES), "--cloud-lt", "100",
               "--preset", "ndvi", "--width", "360", "--every-date", "--out-dir", tmp, "--animation", str(OUT)]
        done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
        sys.stdout.write(done.stdout[-2000:])
        sys.stderr.write(done.stderr[-2000:])
        return done.returncode


if __name__ == "__main__":
    sys.exit(main())
