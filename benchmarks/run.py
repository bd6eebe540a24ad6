"""`make bench`: ours against the seed's approach, rio-tiler and the physical floor, on local servers.

    python -m benchmarks.run [--runs 5] [--profiles 0ms,50ms,50ms+tls] [--scenarios a,b,c,d] [--no-qgis]

Starts the COG server (per-request delay, optional per-connection delay) and rustac behind a logging proxy
with the same delays, on the full-size generated Sentinel-2 tiles; runs every contender in a fresh process
of the bench venv (one GDAL for all), takes medians, prints a table, writes benchmarks/results.json and
stops its servers.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks import floor as floor_mod
from benchmarks import landsat_scene
from benchmarks.cases import LATER_CLICK_FIRST_VIEW, PREVIOUS, PREVIOUS_TREE, VARIANTS, scenarios
from benchmarks.logs import run_metrics
from benchmarks.report import evaluate_targets, print_table
from benchmarks.season import season_items
from tests.harness import datagen, worlds
from tests.harness.servers import CogServer, free_port, read_jsonl, serve_items, start_process, stop_process

REPO = Path(__file__).resolve().parents[1]
BENCH_VENV = REPO / ".venv-bench"
BENCH_REQUIREMENTS = REPO / "requirements-bench.txt"
RESULTS = REPO / "benchmarks" / "results.json"
COLLECTION = "sentinel-2-l2a"
DATETIME_RANGE = "2024-01-01/2024-12-31"
DATETIME_RFC3339 = "2024-01-01T00:00:00Z/2024-12-31T23:59:59Z"
CLOUD_COVER_MAX = 20.0
RUN_TIMEOUT_S = 180
SEED_OVERVIEW_FACTOR = 16
LANDSAT_FOLDER = "landsat-scene-v1"  # benchmarks/landsat_scene.py: the tests' Landsat world at a real scene's size

PROFILES = {
    "0ms": {"delay_ms": 0, "connect_delay_ms": 0, "label": "0 ms"},
    "50ms": {"delay_ms": 50, "connect_delay_ms": 0, "label": "50 ms per request"},
    "50ms+tls": {"delay_ms": 50, "connect_delay_ms": 100, "label": "50 ms per request + 100 ms per new connection",
                 "scenarios": ("a",)},
}


# ----------------------------------------------------------------------------- set-up

def ensure_bench_venv() -> Path:
    """.venv-bench with the pinned PyPI rasterio + rio-tiler (rio-tiler needs rasterio >= 1.4)."""
    python = BENCH_VENV / "bin" / "python"
    stamp = BENCH_VENV / ".requirements.sha"
    want = hashlib.sha256(BENCH_REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == want:
        return python
    print(f"bench: creating {BENCH_VENV.name} with {BENCH_REQUIREMENTS.name}", flush=True)
    subprocess.run(["/usr/bin/python3", "-m", "venv", str(BENCH_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                    str(BENCH_REQUIREMENTS)], check=True)
    stamp.write_text(want + "\n")
    return python


class Servers:
    """COG server + rustac + the logging proxy in front of rustac, all with one latency profile."""

    def __init__(self, cache: Path, dataset: Path, profile: dict[str, Any], workdir: Path):
        delays = dict(delay_ms=profile["delay_ms"], connect_delay_ms=profile["connect_delay_ms"])
        self.cog = self.rustac = self.proxy = None
        try:
            self.cog = CogServer(cache, workdir / "cog.jsonl", **delays)
            proxy_port = free_port()
            self.api_url = f"http://127.0.0.1:{proxy_port}/"
            cog_base = f"{self.cog.url}/{dataset.relative_to(cache).as_posix()}/cogs"
            items = datagen.make_items(dataset, cog_base, self.api_url)  # links name the logging proxy
            # Earth Search v1's second Sentinel-2 collection, Collection 1 (the same files, laid out as its
            # bucket), for the union rows of case (i)
            c1 = worlds.make_c1_items(dataset, worlds.bucket_url(self.cog.url, cache, dataset), self.api_url)
            season = season_items(items, self.cog.url, cache, dataset)  # the time series' 25 dates
            # case (n): the generated Landsat C2 L2 world at a real scene's size, as Planetary Computer serves it
            landsat_root = landsat_scene.build(cache / LANDSAT_FOLDER)
            landsat_items = landsat_scene.make_items(landsat_root, f"{self.cog.url}/{LANDSAT_FOLDER}", self.api_url)
            self.rustac = serve_items(items, workdir, api_url=self.api_url, more_items=c1 + season + landsat_items)
            self.stac_log = workdir / "stac.jsonl"
            self.stac_log.write_text("")
            self.proxy, _ = start_process(
                [sys.executable, "-m", "benchmarks.stacproxy", "--upstream", self.rustac.url, "--port",
                 str(proxy_port), "--log", str(self.stac_log), "--delay-ms", str(profile["delay_ms"]),
                 "--connect-delay-ms", str(profile["connect_delay_ms"])],
                stderr_path=workdir / "stac.stderr")
        except BaseException:
            self.stop()
            raise

    def clear_logs(self) -> None:
        self.cog.clear_log()
        self.stac_log.write_text("")

    def logs(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return self.cog.requests(), read_jsonl(self.stac_log)

    def local_path(self, href: str, cache: Path) -> Path:
        return cache / href[len(self.cog.url) + 1:]

    def stop(self) -> None:
        if self.proxy is not None:
            stop_process(self.proxy)
        for server in (self.rustac, self.cog):
            if server is not None:
                server.stop()


# ----------------------------------------------------------------------------- runs

def run_once(python: Path, spec: dict[str, Any], servers: Servers) -> dict[str, Any]:
    servers.clear_logs()
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore", "MPLBACKEND": "Agg"}
    for key in [k for k in env if k.startswith(("GDAL_", "CPL_", "VSI_", "AWS_"))]:
        env.pop(key)  # every contender starts from GDAL's defaults plus its own options
    name = spec["contender"]
    cwd = REPO
    if name in VARIANTS:
        spec = {**spec, "contender": VARIANTS[name][0]}
        python = REPO / ".venv" / "bin" / "python" if VARIANTS[name][1] == "debian" else python
        env.update(VARIANTS[name][2])
    if name == PREVIOUS and PREVIOUS_TREE.is_dir():  # the engine as it was before this work, same sitting
        spec, cwd = {**spec, "contender": "ours"}, PREVIOUS_TREE
        env["PYTHONPATH"] = str(PREVIOUS_TREE)
    proc = subprocess.run([str(python), "-m", "benchmarks.contenders", json.dumps(spec)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    time.sleep(0.05)  # the servers write a record before the answer's last byte; this is slack only
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}",
                "stderr": proc.stderr[-3000:]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    cog, stac = servers.logs()
    out.update(run_metrics(cog, stac, out["t0"], out["t1"]))
    return out


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return {"ok_runs": 0, "error": runs[0].get("error") if runs else "no run"}
    walls = [r["wall_s"] for r in ok]
    med = lambda key: statistics.median(r[key] for r in ok)  # noqa: E731
    return {
        "ok_runs": len(ok), "failed_runs": len(runs) - len(ok),
        "wall_s": statistics.median(walls), "wall_min_s": min(walls), "wall_max_s": max(walls),
        "read_s": med("read_s"),
        "requests": med("cog_requests") + med("stac_requests"),
        "cog_requests": med("cog_requests"), "stac_requests": med("stac_requests"),
        "landing_requests": med("landing_requests"),
        "chain": med("chain"), "chain_cog": med("chain_cog"),
        "cog_bytes": med("cog_bytes"), "stac_bytes": med("stac_bytes"), "mask_bytes": med("mask_bytes"),
        "cog_connections": med("cog_connections"),
        "peak_rss_mb": med("peak_rss_mb"),
        "shape": ok[0]["shape"], "items": ok[0]["items"], "hrefs": ok[0]["hrefs"],
        "overview_factor": ok[0].get("overview_factor"), "notes": ok[0].get("notes", []),
        "errors": sorted({e for r in ok for e in r.get("errors", [])}),
    }


def run_profile(name: str, python: Path, cache: Path, dataset: Path, wanted: list[str], runs: int,
                floors: dict[str, Any]) -> list[dict[str, Any]]:
    profile = PROFILES[name]
    all_scenarios = scenarios()
    keys = [k for k in wanted if k in profile.get("scenarios", all_scenarios)]
    results = []
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        servers = Servers(cache, dataset, profile, Path(tmp))
        try:
            for key in keys:
                sc = all_scenarios[key]
                configs = sc["contenders"]
                per: dict[str, list[dict[str, Any]]] = {c: [] for c in configs}
                for i in range(runs):  # round-robin, so drift in the machine's load hits everyone alike
                    for contender in configs:
                        spec = {"contender": contender, "scenario": {**sc, "contenders": None},
                                "stac_api": servers.api_url, "collection": sc.get("collection", COLLECTION),
                                "datetime_range": DATETIME_RANGE, "datetime_rfc3339": DATETIME_RFC3339,
                                "cloud_cover_max": CLOUD_COVER_MAX}
                        out = run_once(python, spec, servers)
                        if i > 0:
                            out.pop("trace", None)  # the first run's requests are kept as an example
                        per[contender].append(out)
                        if "error" in out:
                            print(f"  {name} {key} {contender} run {i + 1}: FAILED {out['error']}", flush=True)
                        if contender in ("ours", "ours, conformance cached") and "error" not in out \
                                and key not in floors:
                            paths = [servers.local_path(h, cache) for h in out["hrefs"]]
                            floors[key] = floor_mod.floor(paths, out["grid"], out["overview_factor"])
                            floors[key]["decode"] = floor_mod.decode_floor(python, paths, out["grid"],
                                                                           out["overview_factor"])
                        if contender == "seed" and "error" not in out and f"{key}:seed" not in floors:
                            floors[f"{key}:seed"] = floor_mod.whole_file_floor(
                                servers.local_path(out["hrefs"][0], cache), SEED_OVERVIEW_FACTOR)
                for contender in configs:
                    summary = summarize(per[contender])
                    results.append({"profile": name, "scenario": key, "contender": contender,
                                    "summary": summary, "runs": per[contender]})
                    if summary.get("ok_runs"):
                        print(f"  {profile['label']:<22} ({key}) {contender:<26} {summary['wall_s'] * 1000:7.0f} ms "
                              f"{summary['requests']:4.0f} req  chain {summary['chain']:3.0f}  "
                              f"{summary['cog_bytes'] / 1e6:6.2f} MB", flush=True)
        finally:
            servers.stop()
    return results


def run_qgis(cache: Path, dataset: Path, runs: int) -> dict[str, Any]:
    """The plugin in a real (offscreen) QGIS, Debian venv, at 50 ms, case (a): click -> layer added and the
    longest main-thread stall, for a session's first click (engine imported in the worker) and a later one."""
    python = REPO / ".venv" / "bin" / "python"
    out: dict[str, Any] = {"profile": "50ms", "case": "a"}
    with tempfile.TemporaryDirectory(prefix="bench-qgis-") as tmp:
        servers = Servers(cache, dataset, PROFILES["50ms"], Path(tmp))
        try:
            env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
            sc = scenarios()["a"]
            store = Path(tmp) / "store"  # the landing page kept on disk by an earlier QGIS session
            modes = (("first_click", {"store": False}), ("first_click_disk", {"store": True}),
                     ("later_click", {"preimport": True, "first_bbox": LATER_CLICK_FIRST_VIEW}),
                     ("repeat_click", {"preimport": True, "clicks": 2}),
                     # issue 21: the time-series tool at a point of case (l), the season of 25 dates
                     ("chart_point", {"preimport": True, "case": "l"}))
            for mode, how in modes:
                done = []
                run_env = dict(env, STAC_QUICKLOOK_CACHE_DIR=str(store if how.get("store") else Path(tmp) / mode))
                for i in range(runs + (1 if how.get("store") else 0)):
                    case = scenarios()[how["case"]] if how.get("case") else sc
                    spec = {"stac_api": servers.api_url, "bbox": case["bbox"], "width": case["width"],
                            "collection": case.get("collection", COLLECTION),
                            "cloud_cover_max": case.get("cloud_cover_max", CLOUD_COVER_MAX),
                            "chart_point": case.get("point"),
                            "dates": case.get("datetime_range", "2024-01-01/2024-12-31").split("/"),
                            "preimport": how.get("preimport", False), "clicks": how.get("clicks", 1),
                            "first_bbox": how.get("first_bbox"),
                            # a first click at once: the landing page has no time to arrive in the background
                            "click_after_ms": 20 if mode.startswith("first_click") else 300}
                    proc = subprocess.run([str(python), "-m", "benchmarks.qgis_bench", json.dumps(spec)], cwd=REPO,
                                          env=run_env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
                    if how.get("store") and i == 0:
                        continue  # that run only filled the store
                    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
                    done.append(json.loads(lines[-1]) if proc.returncode == 0 and lines
                                else {"error": (proc.stderr or proc.stdout)[-2000:]})
                out[mode] = _qgis_summary(done)
                q = out[mode]
                if q.get("ok_runs"):
                    print(f"  QGIS {q['qgis_version']} {mode.replace('_', ' ')}: click -> layer "
                          f"{q['click_to_layer_s'] * 1000:.0f} ms, longest main-thread stall {q['max_stall_ms']:.0f} ms "
                          f"(worst {q['max_stall_worst_ms']:.0f}); plugin load {q['plugin_load_ms']:.0f} ms, "
                          f"stall before the click {q['max_stall_before_click_ms']:.0f} ms", flush=True)
                else:
                    print(f"  QGIS {mode} failed: {str(q.get('error'))[-500:]}", flush=True)
        finally:
            servers.stop()
    return out


def _qgis_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return {"ok_runs": 0, "error": runs[0].get("error") if runs else "no run", "runs": runs}
    return {
        "ok_runs": len(ok), "mode": ok[0]["mode"],
        "click_to_layer_s": statistics.median(r["click_to_layer_s"] for r in ok),
        "click_to_layer_min_s": min(r["click_to_layer_s"] for r in ok),
        "click_to_layer_max_s": max(r["click_to_layer_s"] for r in ok),
        "max_stall_ms": statistics.median(r["max_stall_ms"] for r in ok),
        "max_stall_worst_ms": max(r["max_stall_ms"] for r in ok),
        "plugin_load_ms": statistics.median(r["plugin_load_ms"] for r in ok),
        "max_stall_before_click_ms": statistics.median(r["max_stall_before_click_ms"] for r in ok),
        "gdal_version": ok[0]["gdal_version"], "qgis_version": ok[0]["qgis_version"],
        "example": ok[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profiles", default="0ms,50ms,50ms+tls")
    parser.add_argument("--scenarios", default="a,b,c,d,e,f,g,h,i")
    parser.add_argument("--no-qgis", action="store_true")
    parser.add_argument("--python", type=Path, help="interpreter for the contenders (default: .venv-bench)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    started = time.monotonic()
    python = args.python or ensure_bench_venv()
    versions = json.loads(subprocess.run(
        [str(python), "-c", "import json, rasterio, numpy, rio_tiler; print(json.dumps({'gdal': rasterio.__gdal_version__, "
         "'rasterio': rasterio.__version__, 'numpy': numpy.__version__, 'rio_tiler': rio_tiler.__version__}))"],
        capture_output=True, text=True, check=True).stdout)
    print(f"bench: contenders run in {python.parent.parent.name}: GDAL {versions['gdal']}, rasterio "
          f"{versions['rasterio']}, rio-tiler {versions['rio_tiler']}, numpy {versions['numpy']}", flush=True)
    cache = Path(os.environ.get("STAC_QL_TESTDATA") or REPO / ".cache" / "testdata").resolve()
    print("bench: building (or reusing) the full-size test data ...", flush=True)
    # Built in a child: Linux keeps a process's peak RSS across fork and exec, so data built in this process
    # would be every contender's "peak RSS" (the Landsat scene alone takes 0.5 GB to write).
    subprocess.run([sys.executable, "-c", "import pathlib, sys; from benchmarks import landsat_scene; "
                    "from tests.harness import datagen; cache = pathlib.Path(sys.argv[1]); "
                    "datagen.build_dataset(cache, 'full'); landsat_scene.build(cache / sys.argv[2])",
                    str(cache), LANDSAT_FOLDER], check=True, cwd=REPO)
    dataset = datagen.build_dataset(cache, "full").resolve()  # built: found
    wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    floors: dict[str, Any] = {}
    results: list[dict[str, Any]] = []
    for name in [p.strip() for p in args.profiles.split(",") if p.strip()]:
        print(f"bench: profile {PROFILES[name]['label']}, {args.runs} runs each", flush=True)
        results += run_profile(name, python, cache, dataset, wanted, args.runs, floors)
    qgis = None if args.no_qgis else run_qgis(cache, dataset, args.runs)
    all_scenarios = scenarios()
    document = {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "versions": versions,
        "dataset": str(dataset.relative_to(REPO)) if dataset.is_relative_to(REPO) else str(dataset),
        "runs_per_contender": args.runs,
        "profiles": {k: PROFILES[k] for k in PROFILES},
        "scenarios": {k: {kk: vv for kk, vv in v.items() if kk != "contenders"} for k, v in all_scenarios.items()
                      if k in wanted},
        "floor": floors,
        "results": results,
        "qgis": qgis,
    }
    document["targets"] = evaluate_targets(document)
    document["seconds"] = round(time.monotonic() - started, 1)
    args.out.write_text(json.dumps(document, indent=1, default=str) + "\n")
    print_table(document)
    print(f"bench: wrote {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out} "
          f"in {document['seconds']:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
