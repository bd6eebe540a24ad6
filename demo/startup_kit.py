"""What the scripts QGIS runs at start-up (``qgis --code``, one per demo) share: timers kept alive, the status
file, a guard that records a failure and quits, and a poll that waits for a condition. A script finds it through
``STAC_QL_DEMO_KIT`` (this folder, set by ``demo.run_demo.launch``); being a module, what it keeps outlives the
script's namespace, which QGIS drops once the script has run."""
import json
import os
import time
import traceback

from qgis.PyQt.QtCore import QTimer

STATUS = os.environ["STAC_QL_DEMO_STATUS"]
keep = []  # timers, callbacks and dialogs that must stay alive
state = {"started": time.time()}


def later(ms, fn):
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(fn)
    timer.start(ms)
    keep.append((timer, fn))


def write_status(**kw):
    state.update(kw)
    with open(STATUS, "w") as fh:
        json.dump(state, fh, indent=2, default=str)


def guarded(fn):
    """``fn``, its exception (if any) written to the status file before QGIS quits with status 1."""
    def run():
        try:
            fn()
        except Exception:
            write_status(error=traceback.format_exc())
            os._exit(1)
    return run


def wait_until(condition, then, timeout_s=90):
    """Poll ``condition`` every 250 ms; once true, run ``then`` 1.5 s later (the canvas has drawn)."""
    deadline = time.time() + timeout_s

    def poll():
        if condition():
            later(1500, guarded(then))
        elif time.time() > deadline:
            write_status(error=f"timed out waiting before {then.__name__}")
            os._exit(1)
        else:
            later(250, poll)
    later(250, poll)
