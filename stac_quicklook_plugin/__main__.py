"""Headless CLI: ``python -m stac_quicklook_plugin --bbox W S E N --out FILE.tif [--png FILE.png] [--json]``,
``--list`` (the acquisition dates over the view), ``--date D`` (one date), ``--every-date --out-dir DIR``.

Exit codes: 0 ok, 2 bad input, 3 nothing found, 4 server or network error, 5 unreadable data, 130 interrupted.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from stac_quicklook_plugin.core.bands.presets import PRESETS
from stac_quicklook_plugin.core.errors import BadInput, QuicklookError
from stac_quicklook_plugin.core.models import (
    DEFAULT_COLLECTION,
    DEFAULT_REFLECTANCE_RANGE,
    DEFAULT_WIDTH,
    EARTH_SEARCH_V1,
    QuicklookRequest,
)
from stac_quicklook_plugin.core.net.redact import redact


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep our message style
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    # allow_abbrev=False: "--date" must never pass for an abbreviation of "--datetime".
    p = _Parser(prog="python -m stac_quicklook_plugin", allow_abbrev=False,
                description="Stream a low-resolution Sentinel-2 quicklook of a bbox from a STAC API.")
    p.add_argument("--bbox", nargs=4, type=float, required=True, metavar=("W", "S", "E", "N"),
                   help="area in degrees (EPSG:4326)")
    p.add_argument("--datetime", default=None, help="RFC 3339 interval START/END, open ends '..' "
                   "(default: the last 30 days)")
    p.add_argument("--stac-api", default=EARTH_SEARCH_V1, help=f"STAC API root (default {EARTH_SEARCH_V1})")
    p.add_argument("--collection", default=DEFAULT_COLLECTION,
                   help="collection id, or several as a,b (searched together, each acquisition once, earlier "
                        "collections preferred). Default: the best Sentinel-2 L2A the API has (on Earth Search "
                        "v1 sentinel-2-c1-l2a and sentinel-2-l2a together, elsewhere sentinel-2-l2a)")
    p.add_argument("--cloud-lt", type=float, default=20.0, help="maximum scene cloud cover in %% (default 20)")
    p.add_argument("--asset", default=None, help="asset key (default: automatic true colour)")
    p.add_argument("--preset", default="", metavar="NAME",
                   help="what to show: " + ", ".join(PRESETS) + " (default: true-color)")
    p.add_argument("--expression", default="", metavar="EXPR",
                   help="band math over common names or asset keys, e.g. \"(nir - red) / (nir + red)\": "
                        "+ - * /, parentheses, numbers")
    p.add_argument("--width", type=int, default=DEFAULT_WIDTH, help=f"output width in pixels (default {DEFAULT_WIDTH})")
    p.add_argument("--dst-crs", default=None, help="output CRS (default: the scene's UTM zone)")
    p.add_argument("--overview-level", type=int, default=None, help="force a decimation of 2**N")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds per HTTP request (default 20)")
    p.add_argument("--rank", choices=("view", "scene"), default="view",
                   help="best scene = least cloud over the view (default, from the scene classification) or "
                        "over the whole scene (eo:cloud_cover)")
    p.add_argument("--mask-clouds", action="store_true", help="fill cloudy pixels from the next scenes")
    p.add_argument("--reflectance-range", nargs=2, type=float, default=list(DEFAULT_REFLECTANCE_RANGE),
                   metavar=("LOW", "HIGH"), help="reflectance drawn darkest and brightest in composites of "
                   "reflectance bands (default %(default)s; the visual asset and --asset KEY are as published)")
    p.add_argument("--list", action="store_true", help="print the acquisition dates over the view as JSON "
                   "(reads no imagery but the scene classification)")
    p.add_argument("--date", default=None, help="the quicklook of this acquisition date (YYYY-MM-DD) only")
    p.add_argument("--every-date", action="store_true", help="one GeoTIFF per acquisition date, in --out-dir")
    p.add_argument("--out-dir", default=None, help="folder for --every-date (DIR/YYYY-MM-DD.tif, or "
                   "DIR/YYYY-MM-DD_SENSOR.tif when the collections listed are of two sensors)")
    p.add_argument("--animation", default=None, metavar="FILE.gif",
                   help="with --every-date: also an animated GIF (or .mp4 where ffmpeg is installed), one frame per "
                        "date, the date burned in, the same stretch on every frame")
    p.add_argument("--timeseries", action="store_true",
                   help="print the index (--preset/--expression, default ndvi) per acquisition date as JSON, cloudy "
                        "dates flagged: over the view, or at --point (--out: a CSV, --png: the chart)")
    p.add_argument("--point", nargs=2, type=float, default=None, metavar=("LON", "LAT"),
                   help="with --timeseries: the pixel at this point (inside --bbox) instead of the view's mean")
    p.add_argument("--out", default=None, help="GeoTIFF to write (with --list: the JSON; with --timeseries: a CSV)")
    p.add_argument("--png", default=None, help="also write a PNG figure")
    p.add_argument("--json", action="store_true", help="print one JSON object describing the result on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return p


def check_combination(args: argparse.Namespace) -> None:
    """Bad combinations of flags, as a sentence (BadInput, exit 2), before any request."""
    if args.list and args.every_date:
        raise BadInput("--list and --every-date do different things: give one of them.")
    if args.timeseries and (args.list or args.every_date or args.date):
        raise BadInput("--timeseries gives every date already: it does not go with --list, --every-date or --date.")
    if args.point is not None and not args.timeseries:
        raise BadInput("--point goes with --timeseries (the series at that point).")
    if args.every_date and not args.out_dir:
        raise BadInput("--every-date writes one file per date: give the folder with --out-dir DIR.")
    if args.animation and not args.every_date:
        raise BadInput("--animation goes with --every-date (one frame per date).")
    if args.animation and Path(args.animation).suffix.lower() not in (".gif", ".mp4"):
        raise BadInput("An animation is written as .gif (or .mp4 where ffmpeg is installed): name the file so.")
    if args.out_dir and not args.every_date:
        raise BadInput("--out-dir goes with --every-date; for one quicklook give --out FILE.tif.")
    if args.date and (args.list or args.every_date):
        raise BadInput("--date picks one date: it does not go with --list or --every-date.")
    if not (args.list or args.every_date or args.timeseries) and not args.out:
        raise BadInput("Give the GeoTIFF to write with --out FILE.tif (or use --list or --every-date).")
    if args.png and (args.list or args.every_date):
        raise BadInput("--png goes with a single quicklook (--out) or a time series.")
    for path in [Path(p) for p in (args.out, args.png, args.animation) if p]:
        if not path.parent.exists():
            raise BadInput(f"The output folder {path.parent} does not exist.")
        if path.is_dir():
            raise BadInput(f"{path} is a folder; give a file name.")
    if args.out_dir and not Path(args.out_dir).is_dir():
        raise BadInput(f"The output folder {args.out_dir} does not exist.")


def write_atomically(path: Path, write: Callable[[Path], Any]) -> None:
    """``write`` to a temporary file beside ``path``, then rename: a failure leaves no partial output."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix or ".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # as any new file of the user's (mkstemp makes it private)
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, tmp + ".aux.xml"):
            if os.path.exists(leftover):
                os.unlink(leftover)


def _umask() -> int:
    mask = os.umask(0o077)  # read by setting; put back at once (the CLI writes from one thread)
    os.umask(mask)
    return mask


def main(argv: Optional[Sequence[str]] = None) -> int:
    if not sys.warnoptions:  # a library's deprecation notice is not the user's business (-W shows them)
        warnings.simplefilter("ignore")
    args = build_parser().parse_args(argv)
    progress = None if args.quiet else (
        lambda pct, msg: print(f"[{pct:3.0f}%] {redact(msg)}", file=sys.stderr, flush=True))
    try:
        check_combination(args)
        req = QuicklookRequest(bbox_wgs84=tuple(args.bbox), stac_api=args.stac_api, collection=args.collection,
                               datetime_range=args.datetime, cloud_cover_max=args.cloud_lt, asset_key=args.asset,
                               width=args.width, dst_crs=args.dst_crs, overview_level=args.overview_level,
                               timeout=args.timeout, rank=args.rank, mask_clouds=args.mask_clouds,
                               acquisition_date=args.date,
                               reflectance_range=tuple(args.reflectance_range), preset=args.preset,
                               expression=args.expression)
        if args.timeseries:
            document = _timeseries(req, args, progress)
        elif args.list:
            document = _list(req, args, progress)
        elif args.every_date:
            document = _every_date(req, args, progress)
        else:
            document = _one(req, args, progress)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr, flush=True)
        sys.stdout.flush()
        # Reads still running in worker threads would hold the exit for up to GDAL's timeouts.
        os._exit(130)
    except QuicklookError as exc:
        print(f"{exc.title}: {redact(exc)}", file=sys.stderr)
        return exc.exit_code
    if args.json or args.list or args.timeseries:
        print(redact(json.dumps(document)))  # redact: no secret the engine holds reaches stdout
    return 0


def _one(req: QuicklookRequest, args: argparse.Namespace, progress: Any) -> dict[str, Any]:
    from stac_quicklook_plugin.core.engine.quicklook import quicklook

    ql = quicklook(req, progress=progress)
    for note in ql.meta.get("metadata_notes") or []:  # a catalog's unusable band metadata: said, not fatal
        print(f"Note: {redact(note)}", file=sys.stderr)
    out = Path(args.out)
    _write(ql, out, args.png)
    if progress:
        progress(100, f"Wrote {out}" + (f" and {args.png}" if args.png else ""))
    return _describe(ql, out, args.png)


def _write(ql: Any, out: Path, png: Optional[str] = None) -> None:
    from stac_quicklook_plugin.core.engine.render import write_geotiff, write_png
    from stac_quicklook_plugin.core.raster.backend import backend

    try:
        write_atomically(out, lambda tmp: write_geotiff(ql, tmp))
        if png:
            write_atomically(Path(png), lambda tmp: write_png(ql, tmp))
    except (OSError, ValueError, *backend().ERRORS) as exc:
        raise BadInput(f"Could not write the output: {exc}. Check the file names and free space.") from None


def _describe(ql: Any, out: Path, png: Optional[str]) -> dict[str, Any]:
    return {
        "items": [i.as_json() for i in ql.items],
        "collections": ql.meta.get("collections"), "duplicates": ql.meta.get("duplicates"),
        "reflectance": ql.meta.get("reflectance"), "metadata_notes": ql.meta.get("metadata_notes") or [],
        "asset": ql.asset_key, "crs": f"EPSG:{ql.crs_epsg}" if ql.crs_epsg else ql.crs,
        "bounds": list(ql.bounds), "width": ql.width, "height": ql.height, "count": ql.count,
        "dtype": str(ql.array.dtype), "out": str(out), "png": png, "strategy": ql.strategy,
        "hrefs": ql.hrefs, "overview_factor": ql.meta.get("overview_factor"), "rank": ql.meta.get("rank"),
        "mask_clouds": ql.meta.get("mask_clouds"), "view_cloud": ql.meta.get("view_cloud"),
        "preset": ql.meta.get("preset", "true-color"), "expression": ql.meta.get("expression", ""),
        "bands": ql.meta.get("bands") or {}, "value_range": ql.meta.get("value_range"),
    }


def _list(req: QuicklookRequest, args: argparse.Namespace, progress: Any) -> dict[str, Any]:
    from stac_quicklook_plugin.core.engine.acquisitions import is_mixed, list_acquisitions

    acquisitions = list_acquisitions(req, progress=progress)
    mixed = is_mixed(acquisitions)  # the keys of one sensor's list stay the contract's
    document = {"acquisitions": [a.as_json(with_sensor=mixed) for a in acquisitions]}
    if args.out:
        text = redact(json.dumps(document, indent=1))
        write_atomically(Path(args.out), lambda tmp: tmp.write_text(text + "\n"))
    return document


def _timeseries(req: QuicklookRequest, args: argparse.Namespace, progress: Any) -> dict[str, Any]:
    from stac_quicklook_plugin.core.engine.render import series_csv, write_series_png
    from stac_quicklook_plugin.core.engine.timeseries import timeseries

    series = timeseries(req, point=tuple(args.point) if args.point else None, progress=progress)
    for note in series.notes:
        print(f"Note: {note}", file=sys.stderr)
    try:
        if args.out:
            text = series_csv(series)
            write_atomically(Path(args.out), lambda tmp: tmp.write_text(text))
        if args.png:
            write_atomically(Path(args.png), lambda tmp: write_series_png(series, tmp))
    except (OSError, ValueError) as exc:
        raise BadInput(f"Could not write the output: {exc}. Check the file names and free space.") from None
    return series.as_json()


def _every_date(req: QuicklookRequest, args: argparse.Namespace, progress: Any) -> dict[str, Any]:
    from stac_quicklook_plugin.core.engine.series import quicklook_series

    out_dir = Path(args.out_dir)
    outputs: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []

    def on_frame(frame: Any) -> None:  # written as each date finishes: a cancel keeps what is done
        sensor = {"sensor": frame.sensor} if frame.mixed else {}  # a list of two sensors: each labelled
        if frame.quicklook is None:
            failed.append({"date": frame.date, **sensor, "error": f"{frame.error.title}: {redact(frame.error)}"})
            if progress:
                progress(100, f"{frame.label}: {frame.error.title}: {redact(frame.error)}")
            return
        path = out_dir / f"{frame.stem}.tif"  # a mixed list: a file per date and sensor
        _write(frame.quicklook, path)
        items = [i.id for i in frame.quicklook.items]
        outputs.append({"date": frame.date, **sensor, "path": str(path), "items": items})
        if args.animation:
            frames.append((frame.label, frame.quicklook))

    frames: list[Any] = []
    quicklook_series(req, progress=progress, on_frame=on_frame)
    outputs.sort(key=lambda o: (o["date"], o.get("sensor", "")))
    document: dict[str, Any] = {"outputs": outputs, "failed": failed}
    if args.animation:
        from stac_quicklook_plugin.core.engine.animation import write_animation

        target = Path(args.animation)
        try:
            write_atomically(target, lambda tmp: write_animation(sorted(frames, key=lambda f: f[0]), tmp))
        except OSError as exc:
            raise BadInput(f"Could not write the animation: {exc}. Check the file name and free space.") from None
        document["animation"] = {"path": str(target), "frames": len(frames)}
    return document


if __name__ == "__main__":
    sys.exit(main())
