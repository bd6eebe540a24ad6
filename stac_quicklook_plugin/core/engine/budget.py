"""The whole run's time budget, as the cancel callable every request and read polls."""
from __future__ import annotations

import time
from typing import Callable, Optional

from stac_quicklook_plugin.core.errors import NetworkError


class Budget:
    """The whole quicklook's time budget, as a cancel callable: true when the caller cancels, or once the
    budget has run out (then ``exceeded`` is set). Every request and read polls it."""

    FACTOR = 3.0  # times the per-request timeout: a search, an item fetch and the reads, each bounded
    MINIMUM_S = 30.0

    def __init__(self, seconds: float, is_cancelled: Optional[Callable[[], bool]] = None):
        self.seconds = seconds
        self.is_cancelled = is_cancelled or (lambda: False)
        self.started = time.monotonic()
        self.exceeded = False

    @classmethod
    def for_quicklook(cls, timeout: float, is_cancelled: Optional[Callable[[], bool]] = None) -> Budget:
        return cls(max(cls.MINIMUM_S, cls.FACTOR * timeout), is_cancelled)

    def __call__(self) -> bool:
        if self.is_cancelled():
            return True
        if time.monotonic() - self.started > self.seconds:
            self.exceeded = True
        return self.exceeded

    def error(self) -> NetworkError:
        return NetworkError(f"The quicklook took longer than its {self.seconds:.0f} s budget "
                            f"({Budget.FACTOR:g} times the timeout) and was stopped. The servers are too slow "
                            "right now: try again later, a smaller area, or a longer timeout.")
