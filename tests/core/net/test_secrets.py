"""Secrets in hrefs, headers and URLs never reach an exception message, and TLS verification stays on.

Every secret below holds the word SECRET, so one search finds any leak."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.core.errors import APIError, NetworkError, QuicklookError, ReadError
from stac_quicklook_plugin.core.models import QuicklookRequest
from tests.harness.fixtures import SECRET

BBOX = (-105.7, 40.25, -105.5, 40.45)
DATES = "2024-05-01/2024-09-30"
PACKAGE = Path(__file__).resolve().parents[3] / "stac_quicklook_plugin"


def run(url: str, progress=None, **kw):
    return quicklook(QuicklookRequest(bbox_wgs84=BBOX, stac_api=url, datetime_range=DATES, width=128, **kw),
                     progress=progress)


def everything_said(exc: BaseException) -> str:
    parts = [str(exc), repr(exc)] + [str(getattr(exc, name, "")) for name in ("url", "body")]
    return "\n".join(parts)


def with_userinfo(url: str) -> str:
    return url.replace("http://", f"http://reader:{SECRET}pw@", 1)


def test_signed_hrefs_that_work_leave_no_secret_in_the_result(api_over_cogs):
    result = run(api_over_cogs(signed=True).url)
    assert result.items
    shown = "\n".join([*result.hrefs, str(result.meta)])
    assert SECRET not in shown and "sig=REDACTED" in shown


def test_signed_hrefs_refused_with_403_leave_no_secret_in_the_error(api_over_cogs):
    with pytest.raises(ReadError) as err:
        run(api_over_cogs("403", signed=True).url)
    assert "HTTP 403" in str(err.value) and SECRET not in everything_said(err.value)


def test_authorization_header_quoted_back_by_the_server_is_redacted(fault_stac):
    with pytest.raises(APIError) as err:
        run(fault_stac.url_for("http-401-echo"), headers={"Authorization": f"Bearer {SECRET}token123"})
    assert err.value.status == 401 and "HTTP 401" in str(err.value) and "credentials" in str(err.value)
    assert SECRET not in everything_said(err.value)
    assert "Bearer REDACTED" in str(err.value)  # the server's answer is still shown, minus the token


def test_authorization_header_on_a_working_api_is_sent_and_not_kept(fault_stac):
    result = run(fault_stac.url_for("tag-auth-ok"), headers={"Authorization": f"Bearer {SECRET}token123"})
    sent = [r for r in fault_stac.requests() if "tag-auth-ok" in r["path"]]
    assert sent and all(r["authorization"] for r in sent)
    assert SECRET not in str(result.meta) and SECRET not in " ".join(result.hrefs)


def test_password_in_the_api_url_stays_out_of_errors(fault_stac):
    with pytest.raises(APIError) as err:
        run(with_userinfo(fault_stac.url_for("http-500")))
    assert "HTTP 500" in str(err.value) and SECRET not in everything_said(err.value)


def test_password_in_the_api_url_stays_out_of_progress_messages(fault_stac):
    said: list[str] = []
    run(with_userinfo(fault_stac.url_for("ok")), progress=lambda pct, msg: said.append(msg))
    assert said and SECRET not in "\n".join(said)


def test_signed_href_with_an_unsupported_scheme_is_refused_without_its_secret(api_with_hrefs):
    with pytest.raises(QuicklookError) as err:
        run(api_with_hrefs("ftp", "ftp://example.com/cogs").url)
    assert "ftp" in str(err.value) and SECRET not in everything_said(err.value)


# ----- TLS verification stays on -----

def test_api_with_a_self_signed_certificate_is_refused(tls_server):
    with pytest.raises(NetworkError) as err:
        run(tls_server.url)
    text = str(err.value)
    assert "TLS/SSL error talking to 127.0.0.1" in text and "certificate" in text


def test_image_with_a_self_signed_certificate_is_refused(tls_server, api_with_hrefs):
    with pytest.raises(ReadError) as err:
        run(api_with_hrefs("tls", tls_server.url + "/cogs").url)
    text = str(err.value)
    assert tls_server.url in text and SECRET not in text
    assert re.search(r"(?i)ssl|certificate", text), text


def test_the_source_never_turns_verification_off():
    """In addition to the behavioural tests above: no switch that disables certificate checks."""
    forbidden = re.compile(r"verify\s*=\s*False|GDAL_HTTP_UNSAFESSL|CURLOPT_SSL_VERIFY|CERT_NONE|"
                           r"check_hostname\s*=\s*False|_create_unverified_context|GDAL_HTTP_SSL_VERIFYSTATUS")
    hits = [f"{path.relative_to(PACKAGE)}:{n}" for path in PACKAGE.rglob("*.py")
            for n, line in enumerate(path.read_text().splitlines(), 1) if forbidden.search(line)]
    assert hits == []
