"""The hostile STAC API through the headless CLI: the exit code, one readable error (no traceback, no
control character, no secret), no output file on failure, an end within the deadline, bounded memory.
The processes run concurrently, once per module; each is timed and its peak RSS read from wait4()."""
from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.harness.fixtures import SECRET
from tests.harness.servers import REPO

AREA = ["--bbox", "-105.7", "40.25", "-105.5", "40.45", "--datetime", "2024-05-01/2024-09-30", "--width", "64"]
TIMEOUT_S = 3  # the user's --timeout in every case
START_S = 6.0  # a CLI process's own start (imports) on a loaded 2-core machine, on top of any deadline
PROCESS_LIMIT_S = 45  # a case still running then has hung (it is killed)
BEST = "S2B_13TDE_20240623_0_L2A"  # the least cloudy generated item
PASSWORD = f"{SECRET}pw"
API_USER = "reader"
PROXY_PASSWORD = f"{SECRET}proxy"
MAX_RSS_MB = 200
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
REFUSED = ("Refused catalog link", "cannot point at local files")


@dataclass
class Case:
    exit_code: int
    says: tuple[str, ...] = ()
    within_s: float = TIMEOUT_S + START_S  # the whole run, process start included
    userinfo: bool = False  # the API URL carries reader:SECRETpw@
    proxy: bool = False  # http_proxy names the hostile server, with puser:SECRETproxy@
    args: list[str] = field(default_factory=list)


CASES = {
    # a catalog that names local files or GDAL paths: refused, naming the item, the asset and the href
    "href-file": Case(4, REFUSED + (BEST, "'visual'", "file:///", "it is a local path")),
    "href-file-localhost": Case(4, REFUSED + ("file://localhost/",)),
    "href-vsicurl": Case(4, REFUSED + ("/vsicurl/http://", "GDAL virtual file path")),
    "href-vsizip": Case(4, REFUSED + ("/vsizip/",)),
    "href-data": Case(4, REFUSED + ("'data:'",)),
    "href-windows": Case(4, REFUSED + ("C:\\Windows",)),
    "self-file": Case(4, REFUSED + ("self link of item", "file:///etc/passwd")),
    "next-file": Case(4, REFUSED + ("next-page link", "file:///etc/passwd")),
    "search-link-file": Case(4, REFUSED + ("search link", "file:///etc/passwd")),
    "redirect-file": Case(4, REFUSED + ("redirect of", "file:///etc/passwd")),
    # an absolute or relative path resolves on the API's host (there: 404), never on this machine
    # a remote "GeoTIFF" that is a VRT of a local file: only image formats are opened
    "href-vrt": Case(5, ("not a readable GeoTIFF",)),
    "href-abs": Case(5, ("HTTP 404",)),
    "href-relative": Case(5, ("HTTP 404",)),
    # answers that never end: given up on at the user's timeout
    "trickle-landing": Case(4, ("Network error", "sent the answer too slowly", "bytes in")),
    "trickle-search": Case(4, ("Network error", "sent the answer too slowly", "bytes in")),
    "trickle-headers": Case(4, ("Network error", f"did not answer within {TIMEOUT_S} s")),
    "trickle-image": Case(5, ("Could not read the image",), within_s=4 * TIMEOUT_S + START_S),
    # servers that quote the credentials they received
    "echo-auth": Case(4, ("HTTP 401", "Rejected: user REDACTED with password REDACTED"), userinfo=True),
    "echo-auth-split": Case(4, ("HTTP 401",), userinfo=True),
    "echo-proxy": Case(4, ("HTTP 502", "password REDACTED"), proxy=True),
    # malformed answers: the server's fault, said so
    "deep-search": Case(4, ("Malformed STAC answer", "nested too deeply")),
    "deep-landing": Case(4, ("Malformed STAC answer", "nested too deeply")),
    "bbox-nan": Case(4, ("Malformed STAC answer", "its bbox is [NaN, NaN, NaN, NaN]")),
    "bbox-strings": Case(4, ("Malformed STAC answer", "its bbox is [\"west\"")),
    "geometry-nan": Case(4, ("Malformed STAC answer", "its geometry holds nan")),
    "geometry-strings": Case(4, ("Malformed STAC answer", "its geometry holds \"x\"")),
    "assets-list": Case(4, ("Malformed STAC answer", "its assets are a JSON list")),
    "cloud-text": Case(4, ("Malformed STAC answer", "eo:cloud_cover is \"cloudy\", not a number")),
    "properties-list": Case(4, ("Malformed STAC answer", "properties are not a JSON object")),
    "ids-escapes": Case(4, ("Malformed STAC answer", "its id is not a short plain text")),
    "escapes-500": Case(4, ("HTTP 500", "database on fire")),
    # malformed hints only: tolerated, the quicklook is made
    "bbox-nan-best": Case(0, args=["--json"]),
    "links-int": Case(0),
    "proj-bogus": Case(0),
    "roles-int": Case(0),
    # big answers: stopped at 32 MB, memory bounded
    "huge-body": Case(4, ("larger than 32 MB",)),
    "gzip-bomb": Case(4, ("larger than 32 MB",)),
    "many-features": Case(3, ("No imagery found", "all cloudier")),
}


@dataclass
class Outcome:
    code: int | str  # "hung" when killed at PROCESS_LIMIT_S
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float
    out_exists: bool


def run_cli(args: list[str], env: dict[str, str], workdir: Path, name: str) -> Outcome:
    out_path, err_path = workdir / f"{name}.stdout", workdir / f"{name}.stderr"
    started = time.monotonic()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "stac_quicklook_plugin", *args], cwd=REPO, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
    code: int | str = "hung"
    rss_kb = 0
    while time.monotonic() - started < PROCESS_LIMIT_S:
        rss_kb = max(rss_kb, _high_water_kb(proc.pid))
        pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            code = os.waitstatus_to_exitcode(status)
            break
        time.sleep(0.02)
    seconds = time.monotonic() - started
    if code == "hung":
        os.killpg(proc.pid, signal.SIGKILL)
        os.wait4(proc.pid, 0)
    proc.returncode = -1  # reaped above: keep Popen from waiting again
    return Outcome(code, out_path.read_text(errors="replace"), err_path.read_text(errors="replace"), seconds,
                   rss_kb / 1024, (workdir / f"{name}.tif").exists())


def _high_water_kb(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM, per address space: not the forking parent's,
    which wait4's ru_maxrss would report for a child forked from this big test process)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


@pytest.fixture(scope="module")
def outcomes(hostile, tmp_path_factory) -> dict[str, Outcome]:
    workdir = tmp_path_factory.mktemp("hostile_cli")
    hostile.clear_log()

    def run(name: str) -> tuple[str, Outcome]:
        case = CASES[name]
        api = hostile.url_for(name)
        if case.userinfo:
            api = api.replace("http://", f"http://{API_USER}:{PASSWORD}@")
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        if case.proxy:
            env["http_proxy"] = f"http://puser:{PROXY_PASSWORD}@127.0.0.1:{hostile.port}"
        args = [*AREA, "--timeout", str(TIMEOUT_S), "--stac-api", api, "--out", str(workdir / f"{name}.tif"),
                *case.args]
        return name, run_cli(args, env, workdir, name)

    with ThreadPoolExecutor(max_workers=6) as pool:
        return dict(pool.map(run, CASES))


@pytest.mark.parametrize("name", list(CASES))
def test_exit_code_and_one_readable_error(outcomes, name):
    case, got = CASES[name], outcomes[name]
    assert got.code == case.exit_code, (got.code, got.stderr[-1500:])
    said = [line for line in got.stderr.splitlines() if not line.startswith("[")]  # not the progress lines
    assert "Traceback" not in got.stderr
    assert not CONTROL.search(got.stdout + got.stderr), repr(CONTROL.findall(got.stdout + got.stderr))
    if case.exit_code:
        assert said and said[0].split(":")[0] in ("Refused catalog link", "Network error", "STAC API error",
                                                   "Malformed STAC answer", "Could not read the image",
                                                   "No imagery found"), said
        assert not got.out_exists, "no output file on failure"
        assert got.stdout == ""
    else:
        assert got.out_exists and "Wrote" in got.stderr.splitlines()[-1]
    for fragment in case.says:
        assert fragment in got.stderr, (fragment, got.stderr[-1500:])


@pytest.mark.parametrize("name", list(CASES))
def test_ends_within_its_deadline(outcomes, name):
    got = outcomes[name]
    assert got.code != "hung" and got.seconds < CASES[name].within_s, (got.seconds, got.stderr[-500:])


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.userinfo or c.proxy])
def test_no_secret_the_engine_holds_is_echoed(outcomes, name):
    got = outcomes[name]
    told = got.stdout + got.stderr
    forms = [SECRET, base64.b64encode(f"{API_USER}:{PASSWORD}".encode()).decode(),
             base64.b64encode(f"puser:{PROXY_PASSWORD}".encode()).decode(), PASSWORD[3:]]
    assert not [f for f in forms if f in told], told[-1500:]


def test_paths_resolve_on_the_api_host_not_on_this_machine(outcomes, hostile, cog_server):
    # the absolute path and the relative one were asked of the hostile server: never opened locally
    best = next(i for i in hostile.items if i["id"] == BEST)["assets"]["visual"]["href"]
    local = str((cog_server.root / best[len(cog_server.url) + 1:]).resolve())
    relative = urlsplit(urljoin(hostile.url_for("href-relative"), os.path.relpath(local, REPO))).path
    asked = {r["path"] for r in hostile.requests()}
    assert local in asked and relative in asked, sorted(asked)[-20:]


def test_a_malformed_best_item_is_skipped_and_the_next_one_used(outcomes):
    got = outcomes["bbox-nan-best"]
    used = [item["id"] for item in json.loads(got.stdout)["items"]]
    assert used and BEST not in used


@pytest.mark.parametrize("name", ["huge-body", "gzip-bomb", "many-features", "deep-search"])
def test_memory_stays_bounded_on_the_largest_answers(outcomes, name):
    got = outcomes[name]
    print(f"{name}: peak RSS {got.peak_rss_mb:.0f} MB in {got.seconds:.1f} s")
    assert got.peak_rss_mb < MAX_RSS_MB


def test_trickling_servers_are_given_up_on_at_the_users_timeout(outcomes):
    for name in ("trickle-landing", "trickle-search", "trickle-headers"):
        got = outcomes[name]
        print(f"{name}: gave up after {got.seconds:.1f} s (timeout {TIMEOUT_S} s, process start included)")
        assert TIMEOUT_S <= got.seconds < TIMEOUT_S + START_S  # as long as the user said, and no longer
