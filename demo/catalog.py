"""The embedded demo catalog: generated Sentinel-2-like COGs behind a Range-capable file server and a
real STAC API (rustac), both on 127.0.0.1. No account and no internet needed."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from tests.harness import datagen
from tests.harness.servers import CogServer, serve_dataset

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("STAC_QL_TESTDATA") or REPO / ".cache" / "testdata")
# The generated scenes (2024-05-14 .. 2024-09-16) over Rocky Mountain National Park.
DEMO_DATES = ("2024-05-01", "2024-09-30")
RMNP_BBOX = (-105.9, 40.1, -105.3, 40.6)


@contextlib.contextmanager
def local_catalog(size: str = "small", delay_ms: float = 0) -> Iterator[str]:
    """Start the COG server and rustac over the generated data; yield the STAC API URL; stop both."""
    dataset = datagen.build_dataset(CACHE, size).resolve()
    with tempfile.TemporaryDirectory(prefix="stac-ql-demo-") as tmp:
        work = Path(tmp)
        with CogServer(CACHE.resolve(), work / "cog-requests.jsonl", delay_ms=delay_ms) as cogs:
            cog_base = f"{cogs.url}/{dataset.relative_to(CACHE.resolve()).as_posix()}/cogs"
            server, _ = serve_dataset(dataset, cog_base, work)
            try:
                yield server.url
            finally:
                server.stop()
