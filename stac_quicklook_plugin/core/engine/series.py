"""Every date, one click: a quicklook per acquisition date (and sensor, in a mixed list) over the view (one
search, masks read once, a bounded number of dates at a time), delivered as each finishes so a cancel keeps
what is done."""
from __future__ import annotations

import hashlib
import re
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Callable, Optional

from stac_quicklook_plugin.core.engine.acquisitions import Acquisition, acquisitions_of, is_mixed
from stac_quicklook_plugin.core.engine.quicklook import quicklook_of
from stac_quicklook_plugin.core.engine.run import ProgressFn, Run, open_run
from stac_quicklook_plugin.core.engine.search import search
from stac_quicklook_plugin.core.errors import BadInput, Cancelled, NothingFound, QuicklookError
from stac_quicklook_plugin.core.models import Quicklook, QuicklookRequest
from stac_quicklook_plugin.core.stac import client as stac

MAX_DATES = 40
DATES_AT_ONCE = 2  # each date already reads its scenes 4 at a time


@dataclass
class Frame:
    """One date of the series: its quicklook, or the error that date met (other dates go on)."""

    acquisition: Acquisition
    quicklook: Optional[Quicklook] = None
    error: Optional[QuicklookError] = None
    mixed: bool = False  # the series mixes sensors: a date may have a frame per sensor

    @property
    def label(self) -> str:
        """The date, and in a mixed series the sensor: "2024-06-24 Landsat"."""
        return f"{self.date} {self.sensor}" if self.mixed and self.sensor else self.date

    @property
    def stem(self) -> str:
        """A file name for the frame: "2024-06-24", or "2024-06-24_Landsat" (a sensor from a catalog, made safe)."""
        if not self.mixed:
            return self.date
        safe = re.sub(r"[^A-Za-z0-9-]+", "-", self.sensor).strip("-")[:40]
        if safe != self.sensor:  # two names made safe could meet: what they were keeps them apart
            safe = f"{safe}-{hashlib.sha1(self.sensor.encode('utf-8', 'replace')).hexdigest()[:8]}".lstrip("-")
        return f"{self.date}_{safe}"

    @property
    def date(self) -> str:
        return self.acquisition.date

    @property
    def sensor(self) -> str:
        return self.acquisition.sensor


def quicklook_series(request: QuicklookRequest, progress: Optional[ProgressFn] = None,
                     is_cancelled: Optional[Callable[[], bool]] = None, gdal_config: Optional[dict[str, str]] = None,
                     on_frame: Optional[Callable[[Frame], None]] = None, max_dates: int = MAX_DATES) -> list[Frame]:
    """A quicklook of every acquisition date with view coverage > 0, oldest first. ``on_frame`` gets each
    as it finishes. More than ``max_dates`` dates is refused before any imagery is read."""
    with open_run(request, progress, is_cancelled, gdal_config) as run:
        outcome = search(run)
        dates = [a for a in acquisitions_of(run, outcome.items) if a.view_coverage > 0]
        if not dates:
            raise NothingFound("None of the scenes found has data over this view.")
        if len(dates) > max_dates:
            raise BadInput(f"The date range has {len(dates)} acquisition dates over this view, more than the "
                           f"{max_dates} a series makes at once. Narrow the date range (from {dates[-1].date} to "
                           f"{dates[0].date} now), lower the cloud limit, or raise the limit in the settings.")
        run.extend_budget(max(1.0, len(dates) / DATES_AT_ONCE))  # the budget grows with the series
        return _frames(run, outcome, list(reversed(dates)), on_frame or (lambda frame: None))


def _frames(run: Run, outcome: stac.SearchOutcome, dates: list[Acquisition],
            on_frame: Callable[[Frame], None]) -> list[Frame]:
    mixed = is_mixed(dates)
    done: list[Frame] = []

    def one(acquisition: Acquisition) -> Frame:
        day_run = replace(run, report=lambda pct, msg: None)  # shares the client, pool and reads
        # the acquisition's own items, by id (its sensor was judged on the items with their assets)
        ids = set(acquisition.items)
        day_outcome = replace(outcome, items=[i for i in outcome.items if str(i.get("id")) in ids])
        try:
            return Frame(acquisition, quicklook_of(day_run, day_outcome), mixed=mixed)
        except Cancelled:
            raise
        except QuicklookError as exc:
            return Frame(acquisition, error=exc, mixed=mixed)

    pool = ThreadPoolExecutor(max_workers=DATES_AT_ONCE)
    futures = {pool.submit(one, a): a for a in dates}
    pending = set(futures)
    try:
        while pending:
            finished, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            for future in finished:
                frame = future.result()  # Cancelled (or an unexpected error) ends the series here
                done.append(frame)
                on_frame(frame)
                run.checkpoint(100 * len(done) / len(dates), f"{frame.label}: done ({len(done)} of {len(dates)} dates)")
            if pending and run.cancelled():
                raise Cancelled(f"The series was cancelled after {len(done)} of {len(dates)} dates.")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return sorted(done, key=lambda f: (f.date, f.sensor))
