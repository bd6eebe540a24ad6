"""What one run did on the wire, from the servers' JSONL logs: requests, bytes, the longest sequential chain."""
from __future__ import annotations

from typing import Any

LANDING_PATHS = ("/", "/conformance")


def longest_chain(records: list[dict[str, Any]]) -> int:
    """The most requests that follow one another, each starting after the previous one ended.

    Greedy by earliest end (interval scheduling) gives the largest set of pairwise non-overlapping
    requests, which is exactly the longest such chain: the round trips no amount of parallelism hides.
    """
    count, last_end = 0, float("-inf")
    for rec in sorted(records, key=lambda r: r["t_end"]):
        if rec["t_start"] >= last_end:
            count += 1
            last_end = rec["t_end"]
    return count


def run_metrics(cog: list[dict[str, Any]], stac: list[dict[str, Any]], t0: float, t1: float) -> dict[str, Any]:
    """Requests between t0 and t1 (the contender's timed part): counts, bytes, chains."""
    def inside(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in records if r.get("t_end") and t0 <= r["t_start"] <= t1]

    cog, stac = inside(cog), inside(stac)
    return {
        "cog_requests": len(cog),
        "stac_requests": len(stac),
        "landing_requests": sum(1 for r in stac if r["method"] == "GET" and r["path"] in LANDING_PATHS),
        "cog_bytes": sum(int(r.get("bytes") or 0) for r in cog),
        # the cloud masks' files (scene classification, qa_pixel): what judging cloud costs beside the imagery
        "mask_bytes": sum(int(r.get("bytes") or 0) for r in cog if is_mask(r["path"])),
        "stac_bytes": sum(int(r.get("bytes") or 0) for r in stac),
        "cog_connections": len({r.get("connection") for r in cog}),
        "chain": longest_chain(cog + stac),
        "chain_cog": longest_chain(cog),
        "errors": [f"{r['method']} {r['path']} -> {r['status']}" for r in cog + stac
                   if not r.get("status") or r["status"] >= 400],
        "trace": trace(cog, stac, t0),
    }


def is_mask(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return name.startswith("scl") or "qa_pixel" in name


def trace(cog: list[dict[str, Any]], stac: list[dict[str, Any]], t0: float) -> list[str]:
    """One line per request, in start order: start and duration in ms after t0, what, bytes, connection."""
    lines = []
    for kind, rec in sorted([("cog", r) for r in cog] + [("stac", r) for r in stac], key=lambda x: x[1]["t_start"]):
        what = rec["path"].rsplit("/", 1)[-1] if kind == "cog" else rec["path"]
        extra = f" {rec.get('range')}" if rec.get("range") else ""
        lines.append(f"{(rec['t_start'] - t0) * 1000:7.1f} +{(rec['t_end'] - rec['t_start']) * 1000:6.1f} ms "
                     f"{kind} c{rec.get('connection')} {rec['method']} {what}{extra} -> {rec.get('status')} "
                     f"{rec.get('bytes')} B")
    return lines
