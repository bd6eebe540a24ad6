"""glibc's heaps limited when the plugin loads (gui/memory.py), checked in fresh processes by glibc's own
account of its heaps (malloc_info)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = r"""
import ctypes, json, re, sys, tempfile, threading
from stac_quicklook_plugin.gui.memory import limit_heap_arenas
limited = limit_heap_arenas(2) if sys.argv[1] == "limit" else None
barrier = threading.Barrier(9)
def work():
    blocks = [bytearray(4096) for _ in range(200)]  # each thread's first mallocs pick (or make) its heap
    barrier.wait()
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
barrier.wait()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
with tempfile.NamedTemporaryFile(suffix=".xml") as out:
    stream = libc.fopen(out.name.encode(), b"w")
    libc.malloc_info(0, ctypes.c_void_p(stream))
    libc.fclose(ctypes.c_void_p(stream))
    heaps = len(re.findall(r'<heap nr="\d+"', open(out.name).read()))
barrier.wait()
for t in threads: t.join()
print(json.dumps({"limited": limited, "heaps": heaps}))
"""

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heaps")


def _probe(mode: str, **env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    environment.update(env, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60,
                          env=environment, cwd=str(REPO))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_eight_threads_share_two_heaps_once_limited():
    unlimited = _probe("none")
    limited = _probe("limit")
    assert unlimited["heaps"] > 2  # glibc's default: a heap per new thread (up to 8 per core)
    assert limited == {"limited": True, "heaps": 2}


def test_a_limit_the_user_set_is_left_alone():
    assert _probe("limit", MALLOC_ARENA_MAX="4")["limited"] is False


def test_loading_the_plugin_sets_the_limit(monkeypatch):
    from stac_quicklook_plugin.gui import memory
    from stac_quicklook_plugin.gui.i18n import remove_translator

    calls = []
    monkeypatch.setattr("stac_quicklook_plugin.plugin.limit_heap_arenas", lambda: calls.append(True))
    from stac_quicklook_plugin.plugin import StacQuicklookPlugin

    plugin = StacQuicklookPlugin(iface=None)
    assert calls == [True] and memory.ARENAS == 2
    remove_translator(plugin.translator)
