"""`make profile`: where the engine's CPU goes, per stage, at network speed (0 ms servers).

    python -m benchmarks.profile [--scenarios a,b,c,d] [--runs 3] [--rate 1000] [--out benchmarks/profile.json]

For every case, a quicklook is run in a fresh process of the bench venv (as `make bench` runs it) twice over:
**cold** (the landing page known, nothing else) and **warm** (a later click: the same process made a quicklook of
another MGRS tile first). The process sets itself up, then waits; py-spy (from the package registry, installed
into the bench venv) attaches without pausing it (``--nonblocking``) and samples its threads that the OS sees
running, until it exits. Samples of threads that run no engine frame (the harness) are left out.

Each sample is charged to one stage by its innermost Python frame that says which (STAGES): GDAL's work is
charged to the call that asked for it. search (STAC API, items), assess (the scene classification judged over
the view), plan (grid, overviews, footprints), header (a file's first bytes, tile index, GDAL's opens), tiles
(the ranged GETs: Python, sockets), decode (GDAL's windowed reads: tiles decoded and decimated), warp (GDAL's
warper), proj (CRS look-ups and transforms), compose (mosaic, stretch), gdal-other, python-other. Figures are
CPU milliseconds per quicklook (samples / rate / runs) summed over threads: on 2 cores they can add up to more
than the wall time, and the wall time printed is the quicklook's own, sampled.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.cases import scenarios
from benchmarks.run import (
    CLOUD_COVER_MAX,
    COLLECTION,
    DATETIME_RANGE,
    DATETIME_RFC3339,
    PROFILES,
    REPO,
    Servers,
    ensure_bench_venv,
)
from tests.harness import datagen

CONFIGS = {"cold": "ours, conformance cached", "warm": "ours, later click"}
# (stage, substrings of a frame "function (file:line)"), tried from the innermost frame outwards: the first
# frame that matches names the stage. GDAL's work is charged to the Python call that asked for it: a windowed
# read decodes tiles and decimates them (decode), a warp reprojects (warp), an open parses a file's header.
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("decode", ("Source.read (", "Source.read_mask (", "Source._window_vrt (")),
    ("warp", ("Source.warp (",)),
    ("proj", ("crs_wkt (", "crs_epsg (", "crs_label (", "same_crs (", "transform_bounds (", "bounds_in (", "_srs (",
              "source_crs (", "output_crs (")),
    ("header", ("remote_tiff (", "tiff_index.py", "open_source (", "_open (", "fetch_header (", "open (rasterio/",
                "Open (osgeo/", "OpenEx (osgeo/")),
    ("tiles", ("ranges.py", "sparse.py", "transport.py", "urllib3/", "requests/", "http/client", "socket.py",
               "ssl.py")),
    ("compose", ("compose.py", "mosaic.py", "render.py", "reflectance.py")),
    ("assess", ("assess.py", "masks.py", "scl.py")),
    ("plan", ("plan.py", "grid.py", "footprints.py", "prefetch.py")),
    ("search", ("stac/", "search.py", "http.py", "validate.py", "json/")),
    ("gdal-other", ("rasterio/", "osgeo/", "gdal_env.py", "backend.py", "Env.")),
]
# A thread waiting (for a lock, a queue, a future) is not using CPU: py-spy leaves out threads the OS sees
# sleeping; these frames catch a wait it samples as it starts or ends.
IDLE_PYTHON = ("Condition.wait (", "Event.wait (", "_wait_for_tstate_lock (", "Queue.get (", "_worker (concurrent",
               "Future.result (", "as_completed (", "Thread.join (", "_Watchdog._loop (")


def stage_of(frames: list[str]) -> str:
    """The stage a sample belongs to: ``frames`` innermost first."""
    for frame in frames:
        for stage, needles in STAGES:
            if any(n in frame for n in needles):
                return stage
    return "python-other"


def idle(frames: list[str]) -> bool:
    """Whether a sample (innermost frame first) is a thread waiting: its innermost Python frame is a wait."""
    for frame in frames:
        if ".py:" in frame:  # a Python frame: "function (file.py:line)"
            return any(frame.startswith(w) for w in IDLE_PYTHON)
    return False


def ensure_py_spy(python: Path) -> Path:
    spy = python.parent / "py-spy"
    if not spy.exists():
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "py-spy"],
                       check=True)
    return spy


def profile_once(python: Path, spy: Path, spec: dict[str, Any], rate: int, workdir: Path) -> tuple[Counter, float]:
    """One quicklook in a fresh process under py-spy: samples per stage (and per function), and its wall time."""
    ready = workdir / f"ready-{time.monotonic_ns()}"
    raw = workdir / f"{ready.name}.txt"
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore", "MPLBACKEND": "Agg",
           "STAC_QL_PROFILE_READY": str(ready)}
    for key in [k for k in env if k.startswith(("GDAL_", "CPL_", "VSI_", "AWS_"))]:
        env.pop(key)
    child = subprocess.Popen([str(python), "-m", "benchmarks.contenders", json.dumps(spec)], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not ready.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    sampler = subprocess.Popen([str(spy), "record", "--pid", str(child.pid), "--rate", str(rate), "--nonblocking",
                                "--threads", "--format", "raw", "--output", str(raw)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)  # py-spy attaches
    Path(str(ready) + ".go").write_text("")
    out, err = child.communicate(timeout=180)
    _, spy_err = sampler.communicate(timeout=60)
    if not raw.exists():
        raise RuntimeError(f"py-spy wrote nothing: {spy_err.strip()[-500:]}")
    if child.returncode != 0:
        raise RuntimeError(f"the quicklook failed: {err.strip().splitlines()[-1] if err.strip() else child.returncode}")
    wall = json.loads(out.strip().splitlines()[-1])["wall_s"]
    if os.environ.get("STAC_QL_PROFILE_KEEP"):
        shutil.copy(raw, os.environ["STAC_QL_PROFILE_KEEP"])
    counts: Counter = Counter()
    for line in raw.read_text().splitlines() if raw.exists() else []:
        stack, _, n = line.rpartition(" ")
        frames = [f for f in stack.split(";") if not f.startswith("thread (")][::-1]  # innermost first
        if not any("stac_quicklook_plugin" in f or "concurrent/futures" in f for f in frames):
            continue  # the process's own set-up threads, the bench harness
        if idle(frames):
            counts[("idle",)] += int(n)
            continue
        stage = stage_of(frames)
        counts[("stage", stage)] += int(n)
        counts[("function", stage, frames[0].split(" (")[0][:80])] += int(n)
    return counts, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default="a,b,c,d")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=int, default=1000, help="samples per second")
    parser.add_argument("--top", type=int, default=4, help="functions shown per stage")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "profile.json"))
    args = parser.parse_args(argv)
    python = ensure_bench_venv()
    spy = ensure_py_spy(python)
    cache = (REPO / ".cache" / "testdata").resolve()
    dataset = datagen.build_dataset(cache, "full").resolve()
    cases = scenarios()
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="profile-") as tmp:
        servers = Servers(cache, dataset, PROFILES["0ms"], Path(tmp))
        try:
            for key in args.scenarios.split(","):
                sc = cases[key]
                for config, contender in CONFIGS.items():
                    spec = {"contender": contender, "scenario": {**sc, "contenders": None},
                            "stac_api": servers.api_url, "collection": sc.get("collection", COLLECTION),
                            "datetime_range": DATETIME_RANGE, "datetime_rfc3339": DATETIME_RFC3339,
                            "cloud_cover_max": CLOUD_COVER_MAX}
                    total: Counter = Counter()
                    walls = []
                    for _ in range(args.runs):
                        counts, wall = profile_once(python, spy, spec, args.rate, Path(tmp))
                        total.update(counts)
                        walls.append(wall)
                    report[f"{key} {config}"] = _summary(total, walls, args)
                    _print(key, config, report[f"{key} {config}"])
        finally:
            servers.stop()
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(f"written {args.out}")
    return 0


def _summary(total: Counter, walls: list[float], args: argparse.Namespace) -> dict[str, Any]:
    per_run = 1000.0 / args.rate / args.runs  # ms of CPU per sample, per quicklook
    stages = {k[1]: round(v * per_run, 1) for k, v in total.most_common() if k[0] == "stage"}
    functions: dict[str, list[tuple[str, float]]] = {}
    for k, v in total.most_common():
        if k[0] == "function" and len(functions.setdefault(k[1], [])) < args.top:
            functions[k[1]].append((k[2], round(v * per_run, 1)))
    walls.sort()
    return {"wall_ms_median": round(1000 * walls[len(walls) // 2], 1), "cpu_ms": round(sum(stages.values()), 1),
            "stages_cpu_ms": stages, "top_functions": functions}


def _print(key: str, config: str, summary: dict[str, Any]) -> None:
    print(f"({key}) {config}: wall {summary['wall_ms_median']:.0f} ms, CPU {summary['cpu_ms']:.0f} ms over all "
          "threads", flush=True)
    for stage, ms in summary["stages_cpu_ms"].items():
        tops = ", ".join(f"{name} {v:.0f}" for name, v in summary["top_functions"].get(stage, []))
        print(f"    {stage:<13} {ms:6.1f} ms   {tops}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
