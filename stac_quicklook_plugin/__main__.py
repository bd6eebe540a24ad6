"""Headless CLI: ``python -m stac_quicklook_plugin --bbox W S E N --out FILE.tif [--png FILE.png] [--json]``.

Exit codes: 0 ok, 2 bad input, 3 nothing found, 4 server or network error, 5 unreadable data, 130 interrupted.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

from stac_quicklook_plugin.core.errors import BadInput, QuicklookError
from stac_quicklook_plugin.core.models import DEFAULT_COLLECTION, DEFAULT_WIDTH, EARTH_SEARCH_V1, QuicklookRequest
from stac_quicklook_plugin.core.redact import redact


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep our message style
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m stac_quicklook_plugin",
                description="Stream a low-resolution Sentinel-2 quicklook of a bbox from a STAC API.")
    p.add_argument("--bbox", nargs=4, type=float, required=True, metavar=("W", "S", "E", "N"),
                   help="area in degrees (EPSG:4326)")
    p.add_argument("--datetime", default=None, help="RFC 3339 interval START/END, open ends '..' "
                   "(default: the last 30 days)")
    p.add_argument("--stac-api", default=EARTH_SEARCH_V1, help=f"STAC API root (default {EARTH_SEARCH_V1})")
    p.add_argument("--collection", default=DEFAULT_COLLECTION)
    p.add_argument("--cloud-lt", type=float, default=20.0, help="maximum cloud cover in %% (default 20)")
    p.add_argument("--asset", default=None, help="asset key (default: automatic true colour)")
    p.add_argument("--width", type=int, default=DEFAULT_WIDTH, help=f"output width in pixels (default {DEFAULT_WIDTH})")
    p.add_argument("--dst-crs", default=None, help="output CRS (default: the scene's UTM zone)")
    p.add_argument("--overview-level", type=int, default=None, help="force a decimation of 2**N")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds per HTTP request (default 20)")
    p.add_argument("--out", required=True, help="GeoTIFF to write")
    p.add_argument("--png", default=None, help="also write a PNG figure")
    p.add_argument("--json", action="store_true", help="print one JSON object describing the result on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    progress = None if args.quiet else (lambda pct, msg: print(f"[{pct:3.0f}%] {msg}", file=sys.stderr, flush=True))
    try:
        out = Path(args.out)
        for path in [out] + ([Path(args.png)] if args.png else []):
            if not path.parent.exists():
                raise BadInput(f"The output folder {path.parent} does not exist.")
            if path.is_dir():
                raise BadInput(f"{path} is a folder; give a file name.")
        req = QuicklookRequest(bbox_wgs84=tuple(args.bbox), stac_api=args.stac_api, collection=args.collection,
                               datetime_range=args.datetime, cloud_cover_max=args.cloud_lt, asset_key=args.asset,
                               width=args.width, dst_crs=args.dst_crs, overview_level=args.overview_level,
                               timeout=args.timeout)
        from stac_quicklook_plugin.core.backend import backend
        from stac_quicklook_plugin.core.quicklook import quicklook
        from stac_quicklook_plugin.core.render import write_geotiff, write_png

        ql = quicklook(req, progress=progress)
        try:
            write_geotiff(ql, out)
            if args.png:
                write_png(ql, args.png)
        except (OSError, ValueError, *backend().ERRORS) as exc:
            raise BadInput(f"Could not write the output: {exc}. Check the file names and free space.") from None
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr, flush=True)
        sys.stdout.flush()
        # Reads still running in worker threads would hold the exit for up to GDAL's timeouts.
        os._exit(130)
    except QuicklookError as exc:
        print(f"{exc.title}: {redact(exc)}", file=sys.stderr)
        return exc.exit_code
    if progress:
        progress(100, f"Wrote {out}" + (f" and {args.png}" if args.png else ""))
    if args.json:
        print(json.dumps({
            "items": [{"id": i.id, "datetime": i.datetime, "eo:cloud_cover": i.cloud_cover} for i in ql.items],
            "asset": ql.asset_key, "crs": f"EPSG:{ql.crs_epsg}" if ql.crs_epsg else ql.crs,
            "bounds": list(ql.bounds), "width": ql.width, "height": ql.height, "count": ql.count,
            "dtype": str(ql.array.dtype), "out": str(out), "png": args.png, "strategy": ql.strategy,
            "hrefs": ql.hrefs, "overview_factor": ql.meta.get("overview_factor"),
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
