"""QuicklookTask on its own: the engine runs in a worker thread, outcomes are recorded in slots."""
from __future__ import annotations

import threading

from qgis.core import QgsApplication

from stac_quicklook_plugin.core import errors
from stac_quicklook_plugin.core.models import QuicklookRequest
from stac_quicklook_plugin.gui.task import QuicklookTask, live_tasks
from tests.qgis.conftest import TEST_BBOX, make_quicklook


def _run(qtbot, engine, cancel_when=None):
    outcomes, stages, progress = [], [], []
    task = QuicklookTask(QuicklookRequest(bbox_wgs84=TEST_BBOX), engine=engine)
    task.outcomeReady.connect(outcomes.append)
    task.stageChanged.connect(lambda pct, msg: stages.append((pct, msg, threading.get_ident())))
    task.progressChanged.connect(progress.append)
    QgsApplication.taskManager().addTask(task)
    if cancel_when is not None:
        qtbot.waitUntil(cancel_when, timeout=5000)
        task.cancel()
    qtbot.waitUntil(lambda: bool(outcomes), timeout=5000)
    return outcomes[0], stages, progress


def test_result_and_progress(qtbot):
    result = make_quicklook()
    engine_threads = []

    def engine(request, progress=None, is_cancelled=None):
        engine_threads.append(threading.get_ident())
        progress(50.0, "Reading 1 of 2 image(s)")
        return result

    outcome, stages, progress = _run(qtbot, engine)
    assert outcome.ok and outcome.result is result and not outcome.cancelled
    assert engine_threads[0] != threading.get_ident()
    assert stages and stages[0][:2] == (50.0, "Reading 1 of 2 image(s)")
    assert stages[0][2] == threading.get_ident()  # delivered on the main thread
    assert 50.0 in progress
    assert not live_tasks()


def test_cancel_is_an_outcome_without_result(qtbot):
    started = threading.Event()

    def engine(request, progress=None, is_cancelled=None):
        started.set()
        while not is_cancelled():
            threading.Event().wait(0.005)
        raise errors.Cancelled("The quicklook was cancelled.")

    outcome, _, _ = _run(qtbot, engine, cancel_when=started.is_set)
    assert outcome.cancelled and outcome.result is None and not outcome.ok


def test_expected_and_unexpected_exceptions(qtbot):
    def nothing(request, progress=None, is_cancelled=None):
        raise errors.NothingFound("no scenes")

    outcome, _, _ = _run(qtbot, nothing)
    assert isinstance(outcome.exception, errors.NothingFound) and outcome.traceback == ""

    def bug(request, progress=None, is_cancelled=None):
        return {}["missing"]

    outcome, _, _ = _run(qtbot, bug)
    assert isinstance(outcome.exception, KeyError) and "Traceback" in outcome.traceback
