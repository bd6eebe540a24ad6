"""A long QGIS session's memory: how many heaps glibc keeps for the threads.

glibc gives each new thread a heap ("arena") of its own, up to 8 per core. A quicklook runs on a QGIS task
thread, the engine's read and decode threads and the transport's watchdog; each heap keeps the pages its
thread freed, so with a dozen threads the session's RSS rose by about 24 MB per 100 quicklooks and never came
back. With the heaps limited to ``ARENAS`` the same 300 quicklooks level off about 100 MB lower
(``benchmarks/long_session.py``; figures in the README). Threads then share heaps: a malloc may wait for
another thread's, which cost no measurable time in that run.

Linux with glibc only (elsewhere there is nothing to set), set once when the plugin loads, and never over a
``MALLOC_ARENA_MAX`` the user chose.
"""
from __future__ import annotations

import ctypes
import os
import sys

ARENAS = 2
M_ARENA_MAX = -8  # mallopt's parameter number (malloc.h)
ENVIRONMENT = "MALLOC_ARENA_MAX"


def limit_heap_arenas(arenas: int = ARENAS) -> bool:
    """Limit glibc's heaps to ``arenas``; True when set. glibc applies a limit to the heaps it creates from
    then on (heaps already made stay), so it is best set early."""
    if not sys.platform.startswith("linux") or os.environ.get(ENVIRONMENT):
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 (a musl or other libc has no such symbol: leave it alone)
        return bool(libc.mallopt(M_ARENA_MAX, int(arenas)))
    except (OSError, AttributeError):
        return False
