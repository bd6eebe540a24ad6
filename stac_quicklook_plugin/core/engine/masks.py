"""The masks stage of a run: each scene's cloud mask read on a grid (nearest, never averaged: they are
classes; from the coarsest overview that still resolves the grid), once per scene and grid, whoever asks."""
from __future__ import annotations

from typing import Any, Callable, Optional

from stac_quicklook_plugin.core.engine.run import Run
from stac_quicklook_plugin.core.errors import Cancelled, QuicklookError, ReadError
from stac_quicklook_plugin.core.masks.scl import CloudMask
from stac_quicklook_plugin.core.masks.sources import mask_source
from stac_quicklook_plugin.core.raster.grid import Grid
from stac_quicklook_plugin.core.raster.native import read_classes
from stac_quicklook_plugin.core.raster.read import read_to_grid
from stac_quicklook_plugin.core.stac.assets import asset_href


def submit_mask_read(run: Run, item: dict[str, Any], grid: Grid) -> Optional[Any]:
    """Start reading the item's cloud mask on ``grid`` (a Future of CloudMask), or None without a source.
    Submitted once per item and grid: a second call gets the same Future."""
    found = mask_source(item)
    if found is None:
        return None
    source, key = found
    try:
        href = asset_href(item, key, run.req.stac_api)
    except QuicklookError:  # a refused or unusable href: no mask, the item ranks by its scene cloud
        return None

    def read() -> CloudMask:
        remote = run.remote(href)
        # straight from the fetched tiles when the file is a plain tiled classification in the grid's CRS
        result = read_classes(remote, grid, run.cancelled) or read_to_grid(remote, grid, "nearest", None,
                                                                           run.cancelled)
        if result.dtype not in source.dtypes:  # not what the source is: its values would mean nothing
            raise ReadError(f"The '{key}' asset of item {item.get('id')} holds {result.dtype} values, not the "
                            f"{' or '.join(source.dtypes)} of a {source.name}: its clouds are not read from it (the "
                            "scene ranks by its scene cloud cover and is not cloud-masked).")
        classes = result.array[0]
        data = result.valid & source.data(classes)
        return CloudMask(data, source.is_cloudy(classes) & data)

    return run.submit(("mask", href, grid), read)


def read_masks(run: Run, items: list[dict[str, Any]], grid: Grid,
               progress: Callable[[int, int], None] = lambda done, n: None) -> dict[str, Optional[CloudMask]]:
    """Cloud masks of ``items`` on ``grid``, read concurrently: item id -> CloudMask, or None where the item
    has no classification or it could not be read (that item then ranks by its scene cloud)."""
    futures = {}
    for item in items:
        future = submit_mask_read(run, item, grid)
        if future is not None:
            futures[str(item.get("id"))] = future
    results = run.gather(futures, progress)
    masks: dict[str, Optional[CloudMask]] = {str(item.get("id")): None for item in items}
    for item_id, result in results.items():
        if isinstance(result, QuicklookError):
            if isinstance(result, Cancelled):
                raise result
            if isinstance(result, ReadError) and str(result) not in run.notes:
                run.notes.append(str(result))
            continue
        masks[item_id] = result
    return masks
