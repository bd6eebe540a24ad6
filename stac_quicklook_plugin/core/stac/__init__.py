"""The STAC wing: the API client (``client``: landing page, conformance, search strategies, paging), which
collections a search asks and one entry per acquisition (``collections``), what is remembered of APIs and
searches (``cache``), which assets of an item to read (``assets``).

``stac_quicklook_plugin.core.stac`` was one module before; its names (``search_items``, ``clear_api_cache``,
``get_api_info``, ...) still resolve here, from ``client``, for scripts written against it."""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any


def __getattr__(name: str) -> Any:  # PEP 562: the old module's names, without importing the client eagerly
    if name.startswith("__") or (Path(__file__).parent / f"{name}.py").is_file():
        raise AttributeError(name)  # the import system asks for submodules not loaded yet: let it load them
    client = importlib.import_module(f"{__name__}.client")
    try:
        return getattr(client, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
