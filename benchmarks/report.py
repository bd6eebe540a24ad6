"""The benchmark's table (Markdown, ready for the README) and its targets, from the results document."""
from __future__ import annotations

from typing import Any, Optional

FLOOR = "floor"


def _find(doc: dict[str, Any], profile: str, scenario: str, contender: str) -> Optional[dict[str, Any]]:
    for r in doc["results"]:
        if (r["profile"], r["scenario"], r["contender"]) == (profile, scenario, contender):
            return r["summary"] if r["summary"].get("ok_runs") else None
    return None


def table_rows(doc: dict[str, Any]) -> list[list[str]]:
    rows = []
    profiles = []
    for r in doc["results"]:
        if r["profile"] not in profiles:
            profiles.append(r["profile"])
    for profile in profiles:
        label = doc["profiles"][profile]["label"]
        for key in doc["scenarios"]:
            entries = [r for r in doc["results"] if r["profile"] == profile and r["scenario"] == key]
            if not entries:
                continue
            fl = doc["floor"].get(key)
            for r in entries:
                s = r["summary"]
                if not s.get("ok_runs"):
                    rows.append([label, key, r["contender"], "failed: " + str(s.get("error"))[:60]] + [""] * 5)
                    continue
                over = ""
                own = doc["floor"].get(f"{key}:seed") if r["contender"] == "seed" else fl
                if r["contender"] == "rio-tiler preview":
                    over = "n/a (whole scene)"
                elif own:
                    extra = s["cog_bytes"] - own["bytes"]
                    over = f"{s['cog_bytes'] / own['bytes']:.2f}x ({extra / 1e3:+,.0f} kB)"
                    if own is not fl:
                        over += " of its own floor (whole scene at 1/16)"
                rows.append([
                    label, key, r["contender"],
                    f"{s['wall_s'] * 1000:,.0f} ({s['wall_min_s'] * 1000:,.0f}–{s['wall_max_s'] * 1000:,.0f})",
                    f"{s['cog_requests']:.0f} + {s['stac_requests']:.0f}",
                    f"{s['chain']:.0f}",
                    f"{s['cog_bytes'] / 1e6:.2f}",
                    over,
                    f"{s['peak_rss_mb']:.0f}",
                ])
            if fl:
                decode = fl.get("decode") or {}
                rows.append([label, key, FLOOR, (f"decode {decode['decode_ms']:,.0f} (nearest {decode['decode_nearest_ms']:,.0f})"
                              if "decode_ms" in decode else ""),
                             f"{fl['files']} file(s), {fl['tiles']} tiles",
                             f"{fl['round_trips_cold']} ({fl['round_trips_cached']} cached)",
                             f"{fl['bytes'] / 1e6:.2f}", "1.00x", ""])
    return rows


HEADER = ["latency", "case", "contender", "wall ms, median (min–max)", "requests COG + STAC",
          "sequential chain", "COG MB", "vs floor", "peak RSS MB"]


def markdown_table(doc: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(doc)]
    return "\n".join(lines)


def evaluate_targets(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured figure and met / missed / not measured."""
    out = []

    def add(name: str, measured: Optional[float], limit: float, fmt: str, ok: Optional[bool]) -> None:
        out.append({"target": name, "measured": measured, "limit": limit,
                    "text": fmt.format(m=measured) if measured is not None else "not measured",
                    "status": "not measured" if ok is None else ("met" if ok else "MISSED")})

    cached = "ours, conformance cached"  # a first click with the landing page known (on disk in QGIS)
    for key in ("a", "b", "c", "d"):
        s, fl, rt = _find(doc, "50ms", key, cached), doc["floor"].get(key), _find(doc, "50ms", key, "rio-tiler")
        if key not in doc["scenarios"]:
            continue
        ratio = s["cog_bytes"] / fl["bytes"] if s and fl else None
        add(f"({key}) bytes, first click <= 1.10x floor", ratio, 1.10, "{m:.3f}x",
            None if ratio is None else ratio <= 1.10)
        chain = s["chain"] if s else None
        add(f"({key}) first click, landing page known: chain <= 3", chain, 3, "{m:.0f}",
            None if chain is None else chain <= 3)
        pace = s["wall_s"] / rt["wall_s"] if s and rt else None
        add(f"({key}) first click, landing page known: ours <= rio-tiler's time", pace, 1.0,
            "ours / rio-tiler = {m:.2f}", None if pace is None else pace <= 1.0)
    for key in ("a", "b", "c", "d"):  # issue 24: CPU at network speed
        if key not in doc["scenarios"]:
            continue
        for profile, limit in (("0ms", 1.0), ("50ms", 0.9)):
            s, rt = _find(doc, profile, key, cached), _find(doc, profile, key, "rio-tiler")
            pace = s["wall_s"] / rt["wall_s"] if s and rt else None
            add(f"({key}) {profile}, landing page known: ours <= {limit:g}x rio-tiler", pace, limit,
                "ours / rio-tiler = {m:.2f}", None if pace is None else pace <= limit)
        s, rt = _find(doc, "0ms", key, "ours, later click"), _find(doc, "0ms", key, "rio-tiler, later click")
        pace = s["wall_s"] / rt["wall_s"] if s and rt else None
        add(f"({key}) 0ms later click: ours <= rio-tiler", pace, 1.0, "ours / rio-tiler = {m:.2f}",
            None if pace is None else pace <= 1.0)
        decode = (doc["floor"].get(key) or {}).get("decode") or {}
        s = _find(doc, "0ms", key, cached)
        if key in ("a", "b"):
            over = s["wall_s"] * 1000 / decode["decode_ms"] if s and decode.get("decode_ms") else None
            add(f"({key}) 0ms, landing page known: ours <= 2x the decode floor", over, 2.0,
                "ours / decode floor = {m:.2f}", None if over is None else over <= 2.0)
    first = _find(doc, "50ms", "h", "ours")
    for move, chain_limit in (("repeat", 1), ("pan half a view", 2), ("zoom in 2x", 2)):
        s = _find(doc, "50ms", "h", f"ours, {move}")
        chain = s["chain"] if s else None
        add(f"(h) {move}: chain <= {chain_limit}", chain, chain_limit, "{m:.0f}",
            None if chain is None else chain <= chain_limit)
        if move != "repeat":
            share = s["wall_s"] / first["wall_s"] if s and first else None
            add(f"(h) {move}: under 60 % of a cold click", share, 0.6, "{m:.0%}", None if share is None else share < 0.6)
    for profile in ("0ms", "50ms"):  # issue 19: the union of two collections costs no request, no round trip
        one, union = _find(doc, profile, "i", "ours"), _find(doc, profile, "i", "ours, best available")
        for what in ("requests", "chain"):
            extra = union[what] - one[what] if one and union else None
            add(f"(i) {profile}: best available (two collections) adds no {what[:-1] if what == 'requests' else what}"
                f" to one collection", extra, 0, "+{m:.0f}", None if extra is None else extra <= 0)
    for key in ("j", "k"):  # issue 20: presets cost what true colour costs
        if key not in doc["scenarios"]:
            continue
        s, fl = _find(doc, "50ms", key, cached), doc["floor"].get(key)
        colour = _find(doc, "50ms", key, "ours, true colour from bands")
        ratio = s["cog_bytes"] / fl["bytes"] if s and fl else None
        add(f"({key}) {doc['scenarios'][key].get('preset')}: bytes <= 1.10x the floor of its files", ratio, 1.10,
            "{m:.3f}x", None if ratio is None else ratio <= 1.10)
        extra = s["chain"] - colour["chain"] if s and colour else None
        add(f"({key}) {doc['scenarios'][key].get('preset')}: chain equal to true colour's", extra, 0, "+{m:.0f}",
            None if extra is None else extra <= 0)
    if "n" in doc["scenarios"]:  # issue 23: a Landsat quicklook costs what a Sentinel-2 one does
        s, fl = _find(doc, "50ms", "n", cached), doc["floor"].get("n")
        chain = s["chain"] if s else None
        add("(n) Landsat, landing page known: chain <= 3 (search, header, tiles)", chain, 3, "{m:.0f}",
            None if chain is None else chain <= 3)
        ratio = (s["cog_bytes"] - s["mask_bytes"]) / fl["bytes"] if s and fl else None
        add("(n) Landsat: imagery bytes (all but qa_pixel's) <= 1.10x the floor", ratio, 1.10, "{m:.3f}x",
            None if ratio is None else ratio <= 1.10)
        share = s["mask_bytes"] / (s["cog_bytes"] - s["mask_bytes"]) if s and s["cog_bytes"] > s["mask_bytes"] else None
        add("(n) Landsat: qa_pixel bytes < 10 % of the imagery's", share, 0.10, "{m:.1%}",
            None if share is None else share < 0.10)
    seed, ours = _find(doc, "50ms", "a", "seed"), _find(doc, "50ms", "a", "ours")
    speedup = seed["wall_s"] / ours["wall_s"] if seed and ours else None
    add("(a) at 50 ms ours >= 2x faster than the seed", speedup, 2.0, "{m:.2f}x",
        None if speedup is None else speedup >= 2.0)
    later = ((doc.get("qgis") or {}).get("later_click") or {}).get("click_to_layer_s")
    add("QGIS later click: click to layer <= 350 ms", None if later is None else later * 1000, 350, "{m:.0f} ms",
        None if later is None else later * 1000 <= 350)
    chart = ((doc.get("qgis") or {}).get("chart_point") or {}).get("click_to_layer_s")
    add("QGIS time-series tool: a point click to chart <= 2 s (25 dates, 50 ms)", None if chart is None else chart,
        2.0, "{m:.2f} s", None if chart is None else chart <= 2.0)
    for mode in ("first_click", "first_click_disk", "later_click", "repeat_click", "chart_point"):
        q = (doc.get("qgis") or {}).get(mode) or {}
        stall = q.get("max_stall_ms")
        add(f"main-thread stall <= 50 ms ({mode.replace('_', ' ')})", stall, 50, "{m:.0f} ms",
            None if stall is None else stall <= 50)
    return out


def qgis_text(doc: dict[str, Any]) -> str:
    lines = []
    for mode, words in (("first_click", "first click 20 ms after the plugin loads (nothing known of the API)"),
                        ("first_click_disk", "first click 20 ms after load, the landing page kept on disk"),
                        ("later_click", "later click (after a quicklook of another MGRS tile in the session)"),
                        ("repeat_click", "the same view clicked again"),
                        ("chart_point", "the time-series tool clicked at the point of case (l), 25 dates")):
        q = (doc.get("qgis") or {}).get(mode) or {}
        if q.get("ok_runs"):
            what = "case (l): click -> chart drawn" if mode == "chart_point" else "case (a)"
            lines.append(f"QGIS {q['qgis_version']} (GDAL {q['gdal_version']}), 50 ms, {what}, {words}: click -> result "
                         f"{q['click_to_layer_s'] * 1000:,.0f} ms (median; {q['click_to_layer_min_s'] * 1000:,.0f}–"
                         f"{q['click_to_layer_max_s'] * 1000:,.0f}), longest main-thread stall {q['max_stall_ms']:.0f} ms "
                         f"(worst run {q['max_stall_worst_ms']:.0f} ms); plugin load {q.get('plugin_load_ms', 0):.0f} ms "
                         f"on the main thread, longest stall before the click {q.get('max_stall_before_click_ms', 0):.0f} ms")
    return "\n" + "\n".join(lines) if lines else ""


def print_table(doc: dict[str, Any]) -> None:
    v = doc["versions"]
    print()
    print(f"GDAL {v['gdal']} (rasterio {v['rasterio']}), rio-tiler {v['rio_tiler']}, "
          f"{doc['runs_per_contender']} fresh-process runs per row")
    print(markdown_table(doc))
    print(qgis_text(doc))
    print("\nTargets:")
    for t in doc["targets"]:
        print(f"  [{t['status']:>12}] {t['target']}: {t['text']}")
