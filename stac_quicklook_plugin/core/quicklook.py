"""The engine's front door: from a request to a georeferenced quicklook, search included."""
from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any, Callable, Optional

import numpy as np

from stac_quicklook_plugin.core import stac
from stac_quicklook_plugin.core.assets import AssetChoice, asset_href, choose_assets, to_gdal_path
from stac_quicklook_plugin.core.compose import mosaic, plan_mosaic
from stac_quicklook_plugin.core.errors import (APIError, BadAnswer, Cancelled, NothingFound, QuicklookError,
                                               ReadError, RefusedHref, UnexpectedError)
from stac_quicklook_plugin.core.http import Budget, HttpClient, proxy_for
from stac_quicklook_plugin.core.signing import SasSigner, signer_for, token_url_for
from stac_quicklook_plugin.core.models import Quicklook, QuicklookRequest
from stac_quicklook_plugin.core.backend import backend
from stac_quicklook_plugin.core.gdal_env import proxy_options, timeout_options
from stac_quicklook_plugin.core.read import Grid, ReadResult, crs_wkt, plan_grid, read_to_grid, source_crs
from stac_quicklook_plugin.core.redact import redact
from stac_quicklook_plugin.core.validate import validate_request

ProgressFn = Callable[[float, str], None]
READ_THREADS = 4
CATEGORICAL_KEYS = ("scl", "SCL", "cloud", "snow")


def quicklook(request: QuicklookRequest, progress: Optional[ProgressFn] = None,
              is_cancelled: Optional[Callable[[], bool]] = None, gdal_config: Optional[dict[str, str]] = None
              ) -> Quicklook:
    """Search, choose the asset, read only the view's pixels from overviews, mosaic; raises QuicklookError."""
    report = progress or (lambda pct, msg: None)
    cancelled = is_cancelled or (lambda: False)

    def checkpoint(pct: float, msg: str) -> None:
        if cancelled():
            raise Cancelled("The quicklook was cancelled.")
        report(pct, msg)

    req = validate_request(request)
    # One budget for the whole quicklook: a cancel that also comes when it runs out (requests, reads).
    cancelled = budget = Budget.for_quicklook(req.timeout, cancelled)
    checkpoint(2, f"Connecting to the STAC API (gives up after {budget.seconds:.0f} s)")
    client = _client(req, cancelled)
    signer = _signer(req)
    try:
        outcome = stac.search_items(client, req, cancelled, lambda msg: checkpoint(5, msg))
        checkpoint(30, f"Found {len(outcome.items)} scene(s) within {req.cloud_cover_max:g} % cloud")
        best = stac.ensure_assets(client, req.stac_api, outcome.items[0])
        choice = choose_assets(best, req.asset_key)
        dst_crs = _output_crs(req, best, choice, gdal_config, signer)
        grid = plan_grid(req.bbox_wgs84, dst_crs, req.width)
        first, spare = plan_mosaic([best] + outcome.items[1:], req.bbox_wgs84, req.max_mosaic_items)
        checkpoint(40, f"Reading {len(first)} scene(s) at about {grid.resolution:.0f} m per pixel")
        layers = _read_scenes(client, req, first, choice, grid, gdal_config, cancelled, checkpoint, signer)
        array, valid = mosaic([(l[1].array, l[1].valid) for l in layers])
        used = [l for l in layers if l[1].valid.any()]
        while not valid.all() and spare and len(layers) < req.max_mosaic_items:
            # Holes (nodata wedges at swath edges, gaps in footprints): fill from the next best scenes.
            batch, spare = spare[:READ_THREADS], spare[READ_THREADS:]
            checkpoint(80, f"Filling {100 * (1 - valid.mean()):.0f} % empty pixels from {len(batch)} more scene(s)")
            more = _read_scenes(client, req, batch, choice, grid, gdal_config, cancelled, checkpoint, signer,
                                required=False)
            if not more:
                continue
            layers.extend(more)
            before = valid.copy()
            array, valid = mosaic([(array, valid)] + [(l[1].array, l[1].valid) for l in more])
            used.extend(l for l in more if (l[1].valid & ~before).any())
        if not valid.any():
            raise NothingFound(f"The scene(s) found ({', '.join(l[0]['id'] for l in layers)}) have no valid "
                               "pixels over this area. Try another date range or area.")
        checkpoint(95, "Composing the result")
        return _result(req, outcome, choice, grid, array, valid, used, best)
    except Cancelled:
        if budget.exceeded:
            raise budget.error() from None
        raise
    except QuicklookError:
        raise
    except RecursionError as exc:  # a structure nested deep enough to pass the JSON parser
        raise BadAnswer(f"The answer of {redact(req.stac_api)} is nested too deeply to be STAC.") from exc
    except Exception as exc:  # an unexpected failure still reaches the user as one clear error
        raise UnexpectedError(f"Unexpected error ({type(exc).__name__}) while making the quicklook from "
                              f"{redact(req.stac_api)}. Please report it, with the details of the log.") from exc
    finally:
        client.close()


def _client(req: QuicklookRequest, cancelled: Callable[[], bool] = lambda: False) -> HttpClient:
    return HttpClient(headers=req.headers, timeout=req.timeout, is_cancelled=cancelled, api_url=req.stac_api,
                      proxy=req.proxy, proxy_exclude=req.proxy_exclude)


def _signer(req: QuicklookRequest) -> Optional[SasSigner]:
    token_url = token_url_for(req.stac_api, req.sas_token_url)
    if not token_url:
        return None
    # The token endpoint is not the STAC API: it gets no API headers, but the same proxy.
    return signer_for(token_url, lambda: HttpClient(timeout=req.timeout, proxy=req.proxy,
                                                    proxy_exclude=req.proxy_exclude),
                      tuple(req.sas_host_suffixes))


def _read_options(req: QuicklookRequest, href: str, gdal_config: Optional[dict[str, str]]) -> dict[str, str]:
    options = timeout_options(req.timeout)  # GDAL's HTTP limits follow the user's timeout
    options.update(gdal_config or {})
    options.update(proxy_options(proxy_for(href, req.proxy, req.proxy_exclude)))
    return options


def _output_crs(req: QuicklookRequest, item: dict[str, Any], choice: AssetChoice,
                gdal_config: Optional[dict[str, str]], signer: Optional[SasSigner] = None) -> str:
    """WKT of the output CRS: the user's, else the item's (proj:epsg / proj:code), else the file's."""
    if req.dst_crs:
        return crs_wkt(req.dst_crs)
    asset = item["assets"][choice.keys[0]]
    props = item.get("properties") or {}
    for source in (asset, props):
        epsg = source.get("proj:epsg")
        code = source.get("proj:code")
        if isinstance(epsg, int) and not isinstance(epsg, bool) and epsg > 0:
            return crs_wkt(f"EPSG:{epsg}")
        if isinstance(code, str) and code.upper().startswith("EPSG:") and code[5:].isdigit():
            return crs_wkt(code)
    href = asset_href(item, choice.keys[0], req.stac_api)
    signed = signer.sign(href) if signer else href
    return source_crs(to_gdal_path(signed), href, _read_options(req, href, gdal_config))


def _read_scenes(client: HttpClient, req: QuicklookRequest, items: list[dict[str, Any]], choice: AssetChoice,
                 grid: Grid, gdal_config: Optional[dict[str, str]], cancelled: Callable[[], bool],
                 checkpoint: Callable[[float, str], None], signer: Optional[SasSigner] = None,
                 required: bool = True) -> list[tuple[dict[str, Any], ReadResult, list[str]]]:
    """Read every (scene, asset) pair concurrently. A scene that lacks the asset or fails is skipped,
    except the first one when ``required`` (the best scene; spares filling holes are never required)."""
    full_items = []
    for item in items:
        try:
            full_items.append(stac.ensure_assets(client, req.stac_api, item))
        except APIError:
            if required and item is items[0]:
                raise
    jobs = []
    for item in full_items:
        if all(k in (item.get("assets") or {}) and (item["assets"][k] or {}).get("href") for k in choice.keys):
            try:
                jobs.append((item, [asset_href(item, k, req.stac_api) for k in choice.keys]))
            except RefusedHref:  # a scene whose href is refused is skipped, unless it is the one required
                if required and item is full_items[0]:
                    raise
    resampling = "nearest" if any(k in CATEGORICAL_KEYS for k in choice.keys) else "average"
    tasks = [(i, j, href) for i, (_, hrefs) in enumerate(jobs) for j, href in enumerate(hrefs)]
    results: dict[tuple[int, int], Any] = {}
    done = 0

    def read_one(href: str) -> ReadResult:
        signed = signer.sign(href) if signer else href  # cached: one token request per container
        return read_to_grid(to_gdal_path(signed), href, grid, resampling, req.overview_level,
                            _read_options(req, href, gdal_config), cancelled)

    pool = ThreadPoolExecutor(max_workers=min(READ_THREADS, max(1, len(tasks))))
    futures = {pool.submit(read_one, href): (i, j) for i, j, href in tasks}
    pending = set(futures)
    try:
        while pending:
            # Poll, so that a cancel is answered at once even while GDAL is still inside a read.
            finished, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            for future in finished:
                try:
                    results[futures[future]] = future.result()
                except QuicklookError as exc:
                    results[futures[future]] = exc
                done += 1
                checkpoint(40 + 40 * done / len(tasks), f"Read {done} of {len(tasks)} image(s)")
            if pending and cancelled():
                raise Cancelled("The quicklook was cancelled.")
    finally:
        # Reads still running finish in the background (GDAL cannot be interrupted); nobody waits.
        pool.shutdown(wait=not pending, cancel_futures=True)
    out = []
    for i, (item, hrefs) in enumerate(jobs):
        parts = [results[(i, j)] for j in range(len(hrefs))]
        errors = [p for p in parts if isinstance(p, QuicklookError)]
        if errors:
            if isinstance(errors[0], Cancelled) or (required and i == 0):
                raise errors[0]
            continue
        out.append((item, _stack(parts), hrefs))
    if not out and required:
        raise ReadError("None of the scenes could be read.")
    return out


def _stack(parts: list[ReadResult]) -> ReadResult:
    if len(parts) == 1:
        return parts[0]
    array = np.concatenate([p.array for p in parts], axis=0)
    valid = np.logical_and.reduce([p.valid for p in parts])
    first = parts[0]
    return ReadResult(array, valid, first.nodata, first.dtype, first.overview_factor, first.profile)


def _result(req: QuicklookRequest, outcome: stac.SearchOutcome, choice: AssetChoice, grid: Grid,
            array: np.ndarray, valid: np.ndarray, used: list, best: dict[str, Any]) -> Quicklook:
    nodata = used[0][1].nodata if used else None
    if nodata is not None:
        array = array.copy()
        array[:, ~valid] = np.array(nodata).astype(array.dtype)
    hrefs = [redact(h) for _, _, hs in used for h in hs]
    first_href = used[0][2][0] if used else asset_href(best, choice.keys[0], req.stac_api)
    profile = dict(used[0][1].profile) if used else {}
    be = backend()
    profile.update(width=grid.width, height=grid.height, count=int(array.shape[0]), crs=be.crs_label(grid.crs),
                   transform=grid.transform, dtype=str(array.dtype))
    meta = {
        "chosen_asset_key": choice.label,
        "href": redact(first_href),
        "vsi_href": redact(to_gdal_path(first_href)),
        "item_id": used[0][0]["id"] if used else best["id"],
        "collection": req.collection,
        "overview_factor": used[0][1].overview_factor if used else None,
        "kind": choice.kind,
        "search_notes": outcome.notes,
        **profile,
    }
    return Quicklook(
        array=array, mask=valid, crs=grid.crs, crs_epsg=be.crs_epsg(grid.crs),
        transform=grid.transform, bounds=grid.bounds,
        items=[stac.summarize(item) for item, _, _ in used], asset_key=choice.label, hrefs=hrefs,
        strategy=outcome.strategy, nodata=nodata, meta=meta)


def whole_scene_bbox(request: QuicklookRequest) -> QuicklookRequest:
    """The request narrowed to the best scene's own bbox, at the overview level's width (seed parity:
    a whole-scene read). The search runs over ``request.bbox_wgs84``."""
    from dataclasses import replace

    req = validate_request(request)
    client = _client(req)
    try:
        best = stac.ensure_assets(client, req.stac_api, stac.search_items(client, req).items[0])
    finally:
        client.close()
    bbox = best.get("bbox")
    if not (isinstance(bbox, list) and len(bbox) >= 4):
        raise NothingFound(f"Item {best.get('id')} has no bbox; give a bbox for the quicklook.")
    choice = choose_assets(best, req.asset_key)
    shape = best["assets"][choice.keys[0]].get("proj:shape") or [10980, 10980]
    level = req.overview_level if req.overview_level is not None else 4
    width = int(min(8192, max(16, round(shape[-1] / 2 ** level))))
    return replace(request, bbox_wgs84=(bbox[0], bbox[1], bbox[-2], bbox[-1]), width=width)
