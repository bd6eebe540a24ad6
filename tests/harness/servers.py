"""Start and stop the test servers as real processes: the COG server, the fault STAC API and rustac.

Each process runs in its own session so `stop()` can end its whole process group; nothing is
left behind even when a server spawned children.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 30.0


class ServerStartError(RuntimeError):
    """A server process exited or stayed silent before it was ready."""


def free_port() -> int:
    """A port that was free a moment ago (for servers that cannot report the port they bound)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stderr_tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-2000:]
    except OSError:
        return ""


def start_process(argv: list[str], *, cwd: Path = REPO, env: dict[str, str] | None = None,
                  timeout: float = READY_TIMEOUT_S, stderr_path: Path | None = None) -> tuple[subprocess.Popen, int]:
    """Run argv and wait for the `READY <port>` line it prints on stdout; returns (process, port)."""
    if stderr_path is None:
        stderr_path = Path(tempfile.mkstemp(prefix="server-", suffix=".stderr")[1])
    with open(stderr_path, "wb") as stderr:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=stderr,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    buffered = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while b"\n" not in buffered:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or proc.poll() is not None and not sel.select(0):
                stop_process(proc)
                raise ServerStartError(f"{argv[:4]} not ready (exit {proc.returncode}): {_stderr_tail(stderr_path)}")
            if sel.select(min(remaining, 0.2)):
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk and proc.poll() is not None:
                    continue
                buffered += chunk
    line = buffered.split(b"\n", 1)[0].decode()
    if not line.startswith("READY "):
        stop_process(proc)
        raise ServerStartError(f"{argv[:4]} printed {line!r} instead of READY <port>")
    # Keep draining stdout so the child can never block on a full pipe.
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc, int(line.split()[1])


def stop_process(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    """SIGTERM the process group, SIGKILL it if it lingers; waits for the exit."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=timeout)
            break
        except subprocess.TimeoutExpired:
            continue
    if proc.poll() is None:
        proc.wait()
    try:  # children that outlived the leader
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if proc.stdout:
        proc.stdout.close()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class _Process:
    """A server process that stops when the `with` block ends."""

    proc: subprocess.Popen

    def stop(self) -> None:
        stop_process(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(_Process):
    proc: subprocess.Popen
    port: int
    log_path: Path

    def requests(self) -> list[dict[str, Any]]:
        """Every request logged so far, oldest first."""
        return read_jsonl(self.log_path)

    def clear_log(self) -> None:
        self.log_path.write_text("")



class CogServer(_Server):
    """tests.harness.cogserver serving `root`; files are at `url + '/' + relpath`."""

    def __init__(self, root: Path, log_path: Path, *, delay_ms: float = 0, connect_delay_ms: float = 0,
                 max_body_bytes: int | None = None):
        self.root, self.log_path = Path(root), Path(log_path)
        self.log_path.write_text("")
        argv = [sys.executable, "-m", "tests.harness.cogserver", "--root", str(root), "--log", str(log_path),
                "--delay-ms", str(delay_ms), "--connect-delay-ms", str(connect_delay_ms)]
        if max_body_bytes is not None:
            argv += ["--max-body-bytes", str(max_body_bytes)]
        self.proc, self.port = start_process(argv, stderr_path=self.log_path.with_suffix(".stderr"))
        self.url = f"http://127.0.0.1:{self.port}"

    def fault_url(self, mode: str, relpath: str) -> str:
        return f"{self.url}/_fault/{mode}/{relpath.lstrip('/')}"


class FaultStac(_Server):
    """tests.harness.faultstac serving an item collection file; `url_for(flags)` is an API root."""

    def __init__(self, items_path: Path, log_path: Path, collection_path: Path | None = None):
        self.log_path = Path(log_path)
        self.log_path.write_text("")
        argv = [sys.executable, "-m", "tests.harness.faultstac", "--items", str(items_path), "--log", str(log_path)]
        if collection_path:
            argv += ["--collection", str(collection_path)]
        self.proc, self.port = start_process(argv, stderr_path=self.log_path.with_suffix(".stderr"))
        self.url = f"http://127.0.0.1:{self.port}"

    def url_for(self, flags: str = "ok") -> str:
        """The API root for a fault scenario, e.g. url_for("ignore-filter,http-503-once")."""
        return f"{self.url}/{flags}/"


class HostileStac(_Server):
    """tests.harness.hostile as a process; ``url_for(scenario)`` is an API root."""

    def __init__(self, items_path: Path, log_path: Path, cog_url: str, cog_root: Path):
        self.log_path = Path(log_path)
        self.log_path.write_text("")
        argv = [sys.executable, "-m", "tests.harness.hostile", "--items", str(items_path), "--log", str(log_path),
                "--cog-url", cog_url, "--cog-root", str(cog_root)]
        self.proc, self.port = start_process(argv, stderr_path=self.log_path.with_suffix(".stderr"))
        self.url = f"http://127.0.0.1:{self.port}"

    def url_for(self, scenario: str) -> str:
        return f"{self.url}/{scenario}/"


class RustacServer(_Process):
    """`rustac serve` (in-memory backend) loaded with a collection and an item collection file.

    rustac cannot report the port it bound, so a free port is picked first (pass `port` to
    know it before writing items that link to the API); the landing page is polled until it answers. The API root is `url` (with a trailing slash, as rustac links it).
    """

    def __init__(self, items_path: Path, collection_path: Path | None = None, *, port: int | None = None,
                 timeout: float = READY_TIMEOUT_S, extra_collections: list[Path] = ()):
        exe = Path(sys.executable).with_name("rustac")
        hrefs = [str(collection_path)] if collection_path else []
        hrefs += [str(p) for p in extra_collections]
        hrefs.append(str(items_path))
        last_error = ""
        for _attempt in range(3):  # the free port may be taken between our probe and rustac's bind
            self.port = port or free_port()
            port = None  # a retry takes a fresh port
            self.url = f"http://127.0.0.1:{self.port}/"
            self._stderr = Path(tempfile.mkstemp(prefix="rustac-", suffix=".log")[1])
            with open(self._stderr, "wb") as err:
                self.proc = subprocess.Popen([str(exe), "serve", *hrefs, "--addr", f"127.0.0.1:{self.port}"],
                                             stdout=err, stderr=err, stdin=subprocess.DEVNULL,
                                             start_new_session=True)
            if self._wait_ready(timeout):
                return
            last_error = _stderr_tail(self._stderr)
            stop_process(self.proc)
        raise ServerStartError(f"rustac serve did not come up: {last_error}")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if requests.get(self.url, timeout=1).status_code == 200:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.05)
        return False



def serve_items(items: list[dict[str, Any]], workdir: Path, port: int | None = None,
                api_url: str | None = None, more_items: list[dict[str, Any]] | None = None) -> RustacServer:
    """rustac serving ``items`` (and their collection, with item_assets) on ``port``; ``api_url`` is the
    root the collection's links name (default: rustac's own address). ``more_items`` are of other
    collections (named by their ``collection``), served beside them."""
    from tests.harness import datagen

    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    api = api_url or f"http://127.0.0.1:{port}"
    items_path = datagen.write_item_collection(items + (more_items or []), workdir / "items.json")
    collection_path = workdir / "collection.json"
    collection_path.write_text(json.dumps(datagen.make_collection(api, items=items)))
    extra = []
    for other in dict.fromkeys(i["collection"] for i in more_items or []):
        extra.append(workdir / f"collection-{other}.json")
        members = [i for i in more_items or [] if i["collection"] == other]
        extra[-1].write_text(json.dumps(datagen.make_collection(api, other, items=members)))
    return RustacServer(items_path, collection_path, port=port, extra_collections=extra)


def serve_dataset(dataset: Path, cog_base: str, workdir: Path) -> tuple[RustacServer, list[dict[str, Any]]]:
    """rustac serving a generated dataset's items, their assets under ``cog_base``; (server, items)."""
    from tests.harness import datagen

    port = free_port()
    items = datagen.make_items(dataset, cog_base, f"http://127.0.0.1:{port}")
    return serve_items(items, workdir, port), items


def cogs_relpath(server: CogServer, dataset: Path) -> str:
    """Where a dataset's cogs/ folder is under a COG server's root."""
    return f"{dataset.relative_to(server.root).as_posix()}/cogs"


def cog_base_url(server: CogServer, dataset: Path) -> str:
    """Where a dataset's cogs/ folder is served."""
    return f"{server.url}/{cogs_relpath(server, dataset)}"
