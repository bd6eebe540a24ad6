"""Stage 4, read: every (scene, asset) pair of the plan read onto its grid concurrently, with the cloud masks
when masking; then spares while pixels are still empty (or cloudy). Reads already started by the prefetch
step are waited for, not repeated."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
from numpy.typing import NDArray

from stac_quicklook_plugin.core.bands.expression import evaluate
from stac_quicklook_plugin.core.bands.reflectance import Conversion, asset_conversions, to_reflectance
from stac_quicklook_plugin.core.engine.masks import read_masks
from stac_quicklook_plugin.core.engine.mosaic import mosaic
from stac_quicklook_plugin.core.engine.plan import ReadPlan
from stac_quicklook_plugin.core.engine.prefetch import submit_reads
from stac_quicklook_plugin.core.engine.run import READ_THREADS, Run
from stac_quicklook_plugin.core.errors import Cancelled, QuicklookError, ReadError
from stac_quicklook_plugin.core.masks.scl import CloudMask
from stac_quicklook_plugin.core.raster.read import ReadResult


@dataclass
class Layer:
    """One scene read onto the grid: its pixels, and its cloud mask where masking."""

    item: dict[str, Any]
    result: ReadResult
    hrefs: list[str]
    mask: Optional[CloudMask] = None

    @property
    def clear(self) -> NDArray[Any]:
        """Pixels usable as they are: data, and not cloudy where the mask says so."""
        return self.result.valid if self.mask is None else self.result.valid & ~self.mask.cloudy


def read_scenes(run: Run, plan: ReadPlan, items: list[dict[str, Any]], required: bool = True) -> list[Layer]:
    """Read every (scene, asset) pair concurrently. A scene that lacks the asset or fails is skipped,
    except the first one when ``required`` (the best scene; spares filling holes are never required)."""
    jobs = submit_reads(run, plan, items, required)
    futures = {(i, j): run.reads[("image", href, plan.grid, plan.resampling)]
               for i, (_, hrefs) in enumerate(jobs) for j, href in enumerate(hrefs)}
    results = run.gather(futures, lambda done, n: run.checkpoint(40 + 40 * done / n, f"Read {done} of {n} image(s)"))
    layers = []
    for i, (item, hrefs) in enumerate(jobs):
        parts = [results[(i, j)] for j in range(len(hrefs))]
        errors = [p for p in parts if isinstance(p, QuicklookError)]
        if errors:
            if isinstance(errors[0], Cancelled) or (required and i == 0):
                raise errors[0]
            continue
        converted = in_reflectance(plan, item, _stack(parts))
        if converted is None:
            if required and i == 0:
                raise ReadError(f"The values of item {item.get('id')} cannot be made reflectance.")
            continue  # a spare whose metadata says no scale/offset: not mixed with reflectance
        layers.append(Layer(item, converted, hrefs))
    if run.req.mask_clouds and layers:
        masks = read_masks(run, [layer.item for layer in layers], plan.grid)
        for layer in layers:
            layer.mask = masks.get(str(layer.item.get("id")))
    if not layers and required:
        raise ReadError("None of the scenes could be read.")
    return layers


def read_plan(run: Run, plan: ReadPlan) -> list[Layer]:
    """The plan's first scenes, then spares while pixels are still empty (or cloudy, when masking)."""
    layers = read_scenes(run, plan, plan.first)
    clear = mosaic([(ln.result.array, ln.clear) for ln in layers])[1]
    spare = list(plan.spare)
    while not clear.all() and spare and len(layers) < run.req.max_mosaic_items:
        # Holes (nodata wedges at swath edges, gaps in footprints, clouds when masking): the next scenes.
        batch, spare = spare[:READ_THREADS], spare[READ_THREADS:]
        what = "cloudy or empty" if run.req.mask_clouds else "empty"
        run.checkpoint(80, f"Filling {100 * (1 - clear.mean()):.0f} % {what} pixels from {len(batch)} more scene(s)")
        more = read_scenes(run, plan, batch, required=False)
        layers.extend(more)
        for layer in more:
            clear |= layer.clear
    return layers


def _stack(parts: list[ReadResult]) -> ReadResult:
    if len(parts) == 1:
        return parts[0]
    array = np.concatenate([p.array for p in parts], axis=0)
    valid = np.logical_and.reduce([p.valid for p in parts])
    first = parts[0]
    return ReadResult(array, valid, first.nodata, first.dtype, first.overview_factor, first.profile)


def in_reflectance(plan: ReadPlan, item: dict[str, Any], result: ReadResult) -> Optional[ReadResult]:
    """A scene's composite as reflectance (float32, NaN where no data), an index computed on it (one band), or
    None when its values cannot be made reflectance (``item_conversions``)."""
    if plan.conversions is None and plan.math is None:
        return result
    if plan.conversions is None:  # band math on values as published (the metadata gives no scale/offset)
        array = result.array.astype(np.float32)
        np.copyto(array, np.float32(np.nan), where=~result.valid)
    else:
        conversions = item_conversions(plan, item)
        if conversions is None:
            return None
        array = to_reflectance(result.array, result.valid, conversions)
    if plan.math is not None and plan.math.expression is not None:  # an index: one band, NaN where no data
        keys = list(plan.choice.keys)
        bands = {name: array[keys.index(key)] for name, key in plan.bands.items()}
        array = evaluate(plan.math.expression, bands)[None]
    return ReadResult(array, result.valid, None, "float32", result.overview_factor, result.profile)


def item_conversions(plan: ReadPlan, item: dict[str, Any]) -> Optional[tuple[Conversion, ...]]:
    """How a scene's values become reflectance: its own item's scale/offset; for an item that gives none, the
    best scene's when both are of one collection (the same processing); else None (the scene is left out)."""
    own, _ = asset_conversions(item, plan.choice.keys)
    if own is None and item.get("collection") == plan.best.get("collection"):
        return plan.conversions
    return own
