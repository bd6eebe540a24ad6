"""The headless CLI on a representative set of faults and edges: exit code, one clear line on stderr,
no secret on stdout or stderr (--json too). The processes run concurrently, once per module."""
from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tests.harness.fixtures import SECRET
from tests.harness.servers import REPO, free_port

AREA = ["--bbox", "-105.7", "40.25", "-105.5", "40.45"]
THIN = ["--bbox", "-105.7", "40.30", "-105.5", "40.302"]  # 8192 px across, about 100 rows
DATES = ["--datetime", "2024-05-01/2024-09-30"]


@dataclass
class Case:
    args: list[str]
    exit_code: int
    says: tuple[str, ...] = ()
    api: str = "good"  # which API: good, fault:<flags>, cogs:<mode>, signed, signed:<mode>, userinfo, tls, url:<url>


CASES = {
    "ok": Case([], 0),
    "width-15": Case(["--width", "15"], 2, ("Invalid input", "width must be a whole number from 16 to 8192")),
    "width-16": Case(["--width", "16"], 0),
    "width-8192": Case(["--width", "8192", *THIN], 0),
    "width-8193": Case(["--width", "8193"], 2, ("from 16 to 8192",)),
    "cloud--0.1": Case(["--cloud-lt", "-0.1"], 2, ("cloud limit must be from 0 to 100",)),
    "cloud-0": Case(["--cloud-lt", "0"], 3, ("No imagery found", "raise the cloud limit")),
    "cloud-100": Case(["--cloud-lt", "100"], 0),
    "cloud-100.1": Case(["--cloud-lt", "100.1"], 2, ("from 0 to 100",)),
    "lon-180.5": Case(["--bbox", "179.5", "0", "180.5", "1"], 2, ("Longitudes must be between -180 and 180",)),
    "lat-90.5": Case(["--bbox", "0", "89.5", "1", "90.5"], 2, ("Latitudes must be between -90 and 90",)),
    "antimeridian": Case(["--bbox", "179.5", "-17", "-179.5", "-16"], 2,
                         ("crosses the antimeridian", "two quicklooks")),
    "east-180-south-pole": Case(["--bbox", "179", "-90", "180", "-89"], 3, ("No imagery found",)),
    "west-180-north-pole": Case(["--bbox", "-180", "89", "-179", "90"], 3, ("No imagery found",)),
    "dates-reversed": Case(["--datetime", "2024-09-30/2024-05-01"], 2, ("after the end date", "swap them")),
    "file-url": Case([], 2, ("must start with http:// or https://",), api="url:file:///etc/passwd"),
    "javascript-url": Case([], 2, ("must start with http:// or https://",), api="url:javascript:alert(1)"),
    "refused": Case([], 4, ("Network error", "connection refused"), api="refused"),
    "http-500": Case([], 4, ("STAC API error", "HTTP 500", "try again later"), api="fault:http-500"),
    "http-503": Case([], 4, ("HTTP 503",), api="fault:http-503"),
    "big-body": Case([], 4, ("more than the 32 MB",), api="fault:big-body"),
    "slow-api": Case(["--timeout", "1"], 4, ("did not answer within 1 s",), api="fault:slow"),
    "tls": Case([], 4, ("TLS/SSL error", "certificate"), api="tls"),
    "cloud-missing": Case([], 3, ("No imagery found",), api="fault:cloud-missing"),
    "asset-no-href": Case([], 5, ("No usable asset",), api="fault:asset-no-href"),
    "image-403": Case([], 5, ("HTTP 403, access denied",), api="cogs:403"),
    "image-html": Case([], 5, ("not a readable GeoTIFF",), api="cogs:html"),
    "image-ignore-range": Case([], 5, ("does not support HTTP range requests",), api="cogs:ignore-range"),
    "signed-ok-json": Case(["--json"], 0, (), api="signed"),
    "signed-403": Case([], 5, ("HTTP 403",), api="signed:403"),
    "userinfo-500": Case([], 4, ("HTTP 500",), api="userinfo:http-500"),
    "userinfo-ok": Case([], 0, (), api="userinfo:ok"),
}


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory, stac_server, fault_stac, api_over_cogs, tls_server) -> dict[str, Outcome]:
    out_dir = tmp_path_factory.mktemp("cli")

    def api_url(spec: str) -> str:
        kind, _, rest = spec.partition(":")
        if kind == "good":
            return stac_server.url
        if kind == "fault":
            return fault_stac.url_for(rest)
        if kind == "cogs":
            return api_over_cogs(rest).url
        if kind == "signed":
            return api_over_cogs(rest or None, signed=True).url
        if kind == "userinfo":
            return fault_stac.url_for(rest).replace("http://", f"http://reader:{SECRET}pw@")
        if kind == "tls":
            return tls_server.url
        if kind == "refused":
            return f"http://127.0.0.1:{free_port()}/"
        return rest

    def run(name: str) -> tuple[str, Outcome]:
        case = CASES[name]
        args = [*AREA, *DATES, "--width", "64", "--timeout", "10", "--out", str(out_dir / f"{name}.tif"),
                "--stac-api", api_url(case.api), *case.args]  # later options win over the defaults
        proc = subprocess.run([sys.executable, "-m", "stac_quicklook_plugin", *args], cwd=REPO,
                              capture_output=True, text=True, timeout=120)
        return name, Outcome(proc.returncode, proc.stdout, proc.stderr)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(pool.map(run, CASES))


@pytest.mark.parametrize("name", list(CASES))
def test_exit_code_and_message(outcomes, name):
    case, got = CASES[name], outcomes[name]
    assert got.code == case.exit_code, got.stderr[-2000:]
    last_line = got.stderr.strip().splitlines()[-1] if got.stderr.strip() else ""
    for fragment in case.says:
        assert fragment in got.stderr, (fragment, got.stderr[-2000:])
    if case.exit_code:
        assert "Traceback" not in got.stderr and last_line, got.stderr
    else:
        assert "Wrote" in last_line


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith("signed")] + ["userinfo-500"])
def test_no_secret_on_stdout_or_stderr(outcomes, name):
    got = outcomes[name]
    # Progress lines ("[ 5%] ...") are checked by the test below.
    said = [line for line in (got.stdout + got.stderr).splitlines() if not line.startswith("[")]
    assert said and SECRET not in "\n".join(said)
    if name.startswith("signed"):
        assert SECRET not in got.stdout + got.stderr
    if name == "signed-ok-json":
        assert '"hrefs"' in got.stdout and "sig=REDACTED" in got.stdout


def test_no_secret_in_progress_lines(outcomes):
    got = outcomes["userinfo-ok"]
    assert got.code == 0 and SECRET not in got.stderr
