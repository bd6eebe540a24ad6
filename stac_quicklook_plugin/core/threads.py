"""The engine's long-lived worker threads: pools made on first use, kept across runs (a later quicklook finds
its threads warm), and ended together when the plugin unloads or a test session ends."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Optional


class LazyPool:
    """A ThreadPoolExecutor made on first use; ``shutdown()`` ends its idle threads (it comes back when needed).
    Work submitted to one pool must never wait for work of the same pool (that could starve it)."""

    instances: list[LazyPool] = []

    def __init__(self, workers: int, name: str):
        self.workers, self.name = workers, name
        self._pool: Optional[ThreadPoolExecutor] = None
        self._lock = threading.Lock()
        LazyPool.instances.append(self)

    def get(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=self.name)
            return self._pool

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def shutdown_all() -> None:
    """End every pool's idle threads; work still running finishes in the background."""
    for pool in LazyPool.instances:
        pool.shutdown()
