"""Per-run state shared by the engine's stages (search, assess, plan, read, compose): the checked request,
the HTTP client, the signer, GDAL options, the budget, cancel and progress, and the reads in flight."""
from __future__ import annotations

import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

from stac_quicklook_plugin.core.engine.budget import Budget
from stac_quicklook_plugin.core.engine.validate import validate_request
from stac_quicklook_plugin.core.errors import BadAnswer, Cancelled, QuicklookError, UnexpectedError
from stac_quicklook_plugin.core.models import Connection, QuicklookRequest
from stac_quicklook_plugin.core.net import transport
from stac_quicklook_plugin.core.net.http import HttpClient
from stac_quicklook_plugin.core.net.redact import redact
from stac_quicklook_plugin.core.net.signing import SasSigner, signer_for, token_url_for
from stac_quicklook_plugin.core.raster.remote import RemoteFile
from stac_quicklook_plugin.core.threads import LazyPool, shutdown_all

ProgressFn = Callable[[float, str], None]
READ_THREADS = 4  # reads at once for one quicklook: GDAL multiplexes each file's tiles on top of this
SHARED_THREADS = 24  # the process's read threads, shared by runs (a quicklook, a dates list, a series: its
# files are small reads, a header and a tile or two each, so a season of 25 dates is read in about three rounds)
# They outlive a run, so a later click finds them warm: a thread's first file in a CRS costs it 10-20 ms of
# PROJ look-ups (per thread, per CRS). Read work never waits for other read work (no starving).
READ_POOL = LazyPool(SHARED_THREADS, "stac-quicklook-read")


def shutdown_threads() -> None:
    """End the engine's idle threads and kept-alive connections (plugin unload, the end of a test session);
    they come back when needed."""
    shutdown_all()
    transport.close_connections()


@dataclass
class Run:
    """One engine run. Reads are submitted once per key into ``reads`` (a Future each), so a stage that
    needs what another already started (a speculative read, a cloud mask) waits for it instead of
    reading twice."""

    req: QuicklookRequest
    client: HttpClient
    signer: Optional[SasSigner]
    gdal_config: dict[str, str]
    cancelled: Callable[[], bool]
    report: ProgressFn
    pool: ThreadPoolExecutor = field(default_factory=READ_POOL.get)
    reads: dict[Any, Future[Any]] = field(default_factory=dict)
    tokens: dict[Any, str] = field(default_factory=dict)  # signing tokens of this run, one per container
    notes: list[str] = field(default_factory=list)  # what the run left aside and the user should read
    sign_lock: threading.Lock = field(default_factory=threading.Lock)
    submit_lock: threading.Lock = field(default_factory=threading.Lock)

    def extend_budget(self, factor: float) -> None:
        """Give the run ``factor`` times its time budget (a series of many dates)."""
        seconds = getattr(self.cancelled, "seconds", None)
        if isinstance(seconds, (int, float)):
            self.cancelled.seconds = seconds * factor  # type: ignore[attr-defined]

    def checkpoint(self, pct: float, message: str) -> None:
        """Report progress; the cancel checkpoint of every stage."""
        if self.cancelled():
            raise Cancelled("The quicklook was cancelled.")
        self.report(pct, message)

    def sign(self, href: str) -> str:
        if self.signer is None:
            return href
        with self.sign_lock:  # concurrent reads of one container wait for one token
            return self.signer.sign(href, self.tokens)

    @property
    def connection(self) -> Connection:
        assert self.req.connection is not None  # validate_request made it
        return self.req.connection

    def remote(self, href: str) -> RemoteFile:
        """The file at ``href`` as every read of it in this run sees it (signed where signing applies)."""
        return RemoteFile.of(href, self.connection, self.sign(href), self.gdal_config)

    def submit(self, key: Any, fn: Callable[[], Any]) -> Future[Any]:
        """The read for ``key``: already submitted (by any stage, any date of a series), or submitted now."""
        with self.submit_lock:
            if key not in self.reads:
                self.reads[key] = self.pool.submit(fn)
            return self.reads[key]

    def gather(self, futures: dict[Any, Future[Any]], on_done: Callable[[int, int], None] = lambda done, n: None
               ) -> dict[Any, Any]:
        """Wait for ``futures`` (label -> Future): their results, or the QuicklookError each raised.
        Polls, so that a cancel is answered at once even while GDAL is still inside a read."""
        results: dict[Any, Any] = {}
        labels = {future: label for label, future in futures.items()}
        pending = set(labels)
        while pending:
            finished, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            for future in finished:
                try:
                    results[labels[future]] = future.result()
                except QuicklookError as exc:
                    results[labels[future]] = exc
                on_done(len(results), len(futures))
            if pending and self.cancelled():
                raise Cancelled("The quicklook was cancelled.")
        return results

    def close(self) -> None:
        # Reads not started are dropped; those running finish in the background (GDAL cannot be
        # interrupted); nobody waits.
        with self.submit_lock:
            for future in self.reads.values():
                future.cancel()
        self.client.close()


@contextmanager
def open_run(request: QuicklookRequest, progress: Optional[ProgressFn] = None,
             is_cancelled: Optional[Callable[[], bool]] = None, gdal_config: Optional[dict[str, str]] = None,
             budget_factor: float = 1.0) -> Iterator[Run]:
    """A checked request and everything a run needs; every failure inside leaves as one QuicklookError.
    ``budget_factor`` scales the time budget (a series of N dates gets more than one quicklook)."""
    req = validate_request(request)
    budget = Budget.for_quicklook(req.timeout, is_cancelled or (lambda: False))
    budget.seconds *= max(1.0, budget_factor)
    assert req.connection is not None
    client = HttpClient(req.connection, api_url=req.stac_api, is_cancelled=budget)
    run = Run(req=req, client=client, signer=_signer(req), gdal_config=dict(gdal_config or {}), cancelled=budget,
              report=progress or (lambda pct, msg: None))
    try:
        run.checkpoint(2, f"Connecting to the STAC API (gives up after {budget.seconds:.0f} s)")
        yield run
    except Cancelled:
        if budget.exceeded:
            raise budget.error() from None
        raise
    except QuicklookError:
        raise
    except RecursionError as exc:  # a structure nested deep enough to pass the JSON parser
        raise BadAnswer(f"The answer of {redact(req.stac_api)} is nested too deeply to be STAC.") from exc
    except Exception as exc:  # an unexpected failure still reaches the user as one clear error
        raise UnexpectedError(f"Unexpected error ({type(exc).__name__}) while making the quicklook from "
                              f"{redact(req.stac_api)}. Please report it, with the details of the log.") from exc
    finally:
        run.close()


def _signer(req: QuicklookRequest) -> Optional[SasSigner]:
    connection = req.connection or Connection()
    token_url = token_url_for(req.stac_api, connection.sas_token_url)
    if not token_url:
        return None
    # The token endpoint is not the STAC API: it gets no API headers, but the same proxy.
    return signer_for(token_url, lambda: HttpClient(connection.for_token_endpoint()),
                      tuple(connection.sas_host_suffixes))
