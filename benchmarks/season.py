"""A season of 25 acquisitions for the time-series cases (l) and (m), issue 21's "a generated world with 20+
dates": the five generated 13TDE scenes (tests/harness/datagen.py), each served again under four more dates, six
days apart from 2024-05-02 to 2024-09-25, as the collection ``sentinel-2-l2a-season``.

Every date's files have URLs of their own (``season-v1/dNN/...``, symlinks in the test-data cache to the
full-size files), so each date costs its own requests and bytes, as a real season does; the pixels (and the
clouds) repeat every five dates. The other cases never see this collection.
"""
from __future__ import annotations

import copy
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

COLLECTION = "sentinel-2-l2a-season"
DATES = 25
FIRST, STEP = date(2024, 5, 2), timedelta(days=6)
FOLDER = "season-v1"


def _aliases(cache: Path, dataset: Path) -> None:
    """``<cache>/season-v1/dNN`` -> the dataset folder, one per date (made once)."""
    root = cache / FOLDER
    root.mkdir(exist_ok=True)
    for k in range(DATES):
        link = root / f"d{k:02d}"
        if not link.is_symlink():
            os.symlink(os.path.relpath(dataset, root), link)


def season_items(items: list[dict[str, Any]], cog_url: str, cache: Path, dataset: Path) -> list[dict[str, Any]]:
    """The season's items, from the dataset's own (``datagen.make_items``) 13TDE items."""
    _aliases(cache, dataset)
    scenes = sorted((i for i in items if "_13TDE_" in i["id"]), key=lambda i: i["properties"]["datetime"])
    prefix = f"{cog_url.rstrip('/')}/{dataset.relative_to(cache).as_posix()}/"
    season = []
    for k in range(DATES):
        item = copy.deepcopy(scenes[k % len(scenes)])
        day = FIRST + k * STEP
        item["properties"]["datetime"] = f"{day.isoformat()}{item['properties']['datetime'][10:]}"
        item["id"] = item["id"].replace(item["id"].split("_")[2], day.strftime("%Y%m%d"))
        item["collection"] = COLLECTION
        item["links"] = [link for link in item.get("links", []) if link.get("rel") not in ("self", "parent",
                                                                                           "collection")]
        for asset in item["assets"].values():
            if asset.get("href", "").startswith(prefix):
                asset["href"] = f"{cog_url.rstrip('/')}/{FOLDER}/d{k:02d}/{asset['href'][len(prefix):]}"
        season.append(item)
    return season
