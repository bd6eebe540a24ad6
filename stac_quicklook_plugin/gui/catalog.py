"""The dock's catalog lists, out of the widget: the API's collections and a collection's assets, fetched in
background tasks (one of each kind at a time, a newer one replacing an older), handed to the dock as lists."""
from __future__ import annotations

from typing import Any, Callable, Optional

from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QObject

from stac_quicklook_plugin.core.net.redact import redact
from stac_quicklook_plugin.gui.i18n import tr
from stac_quicklook_plugin.gui.task import CatalogTask

LIST_TIMEOUT_S = 10.0  # the collection and asset lists: a short wait is enough
BEST_AVAILABLE_ASSETS_OF = "sentinel-2-l2a"  # every API with Sentinel-2 L2A has it: its assets stand for the best


class CatalogLists(QObject):
    """Fetches the lists the dock shows when the API or the collection changed; ``collections(list of (id,
    title))``, ``assets(list of keys)`` or ``failed(kind, error)`` are called back on the main thread."""

    def __init__(self, collections: Callable[[list[tuple[str, str]]], None], assets: Callable[[list[str]], None],
                 failed: Callable[[str, Optional[BaseException]], None],
                 functions: Optional[Callable[[], tuple[Callable[..., Any], Callable[..., Any]]]] = None,
                 parent: Optional[QObject] = None):
        super().__init__(parent)
        self._deliver = {"collections": collections, "assets": assets}
        self._failed = failed
        self._functions = functions or _engine_catalog_functions
        self._tasks: dict[str, Optional[CatalogTask]] = {"collections": None, "assets": None}
        self._loaded_for: dict[str, Any] = {"collections": None, "assets": None}

    def refresh(self, api_url: str, collection: str, auth_cfg: Optional[str]) -> None:
        if not api_url.lower().startswith(("http://", "https://")):
            return
        try:
            list_collections, collection_item_assets = self._functions()
        except ImportError:
            return  # the plugin reports missing packages on the click; the lists just stay as typed
        from stac_quicklook_plugin.gui.network import AuthError, qgis_connection

        try:  # QGIS's auth manager and proxy are read here, on the main thread
            connection = qgis_connection(api_url, auth_cfg, timeout=LIST_TIMEOUT_S)
        except AuthError:
            connection = qgis_connection(api_url, None, timeout=LIST_TIMEOUT_S)
        if self._loaded_for["collections"] != api_url:
            self._start("collections", api_url, tr("Listing collections of {api}").format(api=redact(api_url)),
                        lambda: list_collections(api_url, connection))
        first = collection.split(",")[0].strip() or BEST_AVAILABLE_ASSETS_OF  # the first collection searched
        if self._loaded_for["assets"] != (api_url, first):
            self._start("assets", (api_url, first), tr("Listing assets of {collection}").format(collection=first),
                        lambda: collection_item_assets(api_url, first, connection))

    def forget(self, kind: str) -> None:
        """The next refresh fetches that list again."""
        self._loaded_for[kind] = None

    def _start(self, kind: str, key: Any, description: str, fetch: Callable[[], Any]) -> None:
        self.cancel(kind)
        self._loaded_for[kind] = key
        task = CatalogTask(description, fetch)
        task.loaded.connect(lambda value, error: self._loaded(kind, key, value, error))
        self._tasks[kind] = task
        QgsApplication.taskManager().addTask(task)

    def cancel(self, kind: Optional[str] = None) -> None:
        for name in ([kind] if kind else list(self._tasks)):
            task = self._tasks.get(name)
            self._tasks[name] = None
            if task is not None:
                try:
                    task.loaded.disconnect()
                    task.cancel()
                except (RuntimeError, TypeError):  # already finished and deleted
                    pass

    def _loaded(self, kind: str, key: Any, value: Any, error: Optional[BaseException]) -> None:
        self._tasks[kind] = None
        if self._loaded_for[kind] != key:
            return  # a newer request is on its way
        if error is not None or value is None:
            self._loaded_for[kind] = None  # try again next time
            self._failed(kind, error)
            return
        self._deliver[kind](value)


def _engine_catalog_functions() -> tuple[Callable[..., Any], Callable[..., Any]]:
    from stac_quicklook_plugin.core.stac.client import collection_item_assets, list_collections

    return list_collections, collection_item_assets
