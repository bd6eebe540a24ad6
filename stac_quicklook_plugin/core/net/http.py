"""One HTTP session for STAC APIs: timeouts, bounded retries, size limits, redirects, errors a person can act on."""
from __future__ import annotations

import json
import re
import time
import zlib
from typing import Any, Callable, Optional
from urllib.parse import urljoin, urlsplit

import requests

from stac_quicklook_plugin.core.errors import APIError, BadAnswer, Cancelled, NetworkError, QuicklookError
from stac_quicklook_plugin.core.net import hrefs, transport
from stac_quicklook_plugin.core.net.redact import (
    redact,
    register_environment,
    register_headers,
    register_url,
    strip_controls,
)
from stac_quicklook_plugin.core.net.transport import Exchange, TrackingAdapter, body_chunks

RETRY_STATUSES = (429, 502, 503, 504)
MAX_RETRIES = 2
MAX_RETRY_AFTER_S = 5.0  # a server may ask for minutes; a quicklook does not wait that long
MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_REDIRECTS = 5
SNIPPET_CHARS = 1000
from stac_quicklook_plugin.core.models import USER_AGENT as USER_AGENT  # noqa: E402 (defined once, in models)
from stac_quicklook_plugin.core.models import Connection  # noqa: E402

_ESCAPED_CONTROL = re.compile(r"\\u00(?:0[0-8bcefBCEF]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])")


def server_says(response: requests.Response, body: bytes | None = None) -> str:
    """The server's answer, pretty-printed if JSON, truncated to about 1000 characters."""
    raw = body if body is not None else response.content[:SNIPPET_CHARS * 4]
    text = raw.decode("utf-8", errors="replace").strip()
    try:
        # json.dumps writes control characters as \u00XX: drop them, as redact drops raw ones.
        text = _ESCAPED_CONTROL.sub("", json.dumps(_without_controls(json.loads(text)), indent=2,
                                                   ensure_ascii=False))
    except (ValueError, RecursionError):
        pass
    if len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS] + " [...]"
    return redact(text) or "(empty body)"


def _without_controls(value: Any) -> Any:
    """A decoded JSON snippet with the control characters (and terminal escapes) of its texts removed."""
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, list):
        return [_without_controls(v) for v in value]
    if isinstance(value, dict):
        return {strip_controls(k): _without_controls(v) for k, v in value.items()}
    return value


class HttpClient:
    """The client of a quicklook's STAC API calls, on the engine's one transport (``net.transport``).

    It takes the user's ``Connection``: its ``headers`` (API keys, auth) go to the API's own host only, never
    across a redirect to another host; its ``timeout`` bounds each whole answer (connect, headers and the
    complete body), not only the wait for each byte; ``is_cancelled`` is answered within ~0.1 s, even
    mid-answer. ``session`` replaces the transport's shared session (a caller's own, closed by ``close()``).
    """

    def __init__(self, connection: Optional[Connection] = None, *, api_url: Optional[str] = None,
                 is_cancelled: Optional[Callable[[], bool]] = None, session: Optional[requests.Session] = None):
        connection = connection or Connection()
        headers, proxy = connection.headers, connection.proxy
        self.connection = connection
        self.own_session = session is not None
        if session is None:
            self.session = transport.session(explicit_proxy=bool(proxy))
        else:
            self.session = session
            self.session.headers.setdefault("User-Agent", USER_AGENT)
            for prefix in ("http://", "https://"):  # sockets we can shut when an answer runs past its deadline
                self.session.mount(prefix, TrackingAdapter())
            self.session.trust_env = not proxy
        register_headers(headers)
        register_environment()  # the proxy requests takes from http_proxy & co. when QGIS sets none
        register_url(proxy)
        register_url(api_url)
        self.verify: Any = connection.ca_bundle or True
        self.headers = dict(headers or {})
        # The only origin that gets ``headers``; None: the origin of each call's first URL.
        self.api_origin = _origin(api_url) if api_url else None
        self.timeout = connection.timeout
        self.is_cancelled = is_cancelled or (lambda: False)
        self.requests_made = 0

    def close(self) -> None:
        """Close a caller's own session; the shared one keeps its connections for the next request."""
        if self.own_session:
            self.session.close()

    # -- public -----------------------------------------------------------------------------
    def get_json(self, url: str, params: Optional[dict[str, Any]] = None) -> Any:
        return self._request_json("GET", url, params=params)

    def post_json(self, url: str, body: dict[str, Any]) -> Any:
        return self._request_json("POST", url, body=body)

    def request_json(self, method: str, url: str, body: Optional[dict[str, Any]] = None,
                     params: Optional[dict[str, Any]] = None) -> Any:
        return self._request_json(method.upper(), url, body=body, params=params)

    # -- internals --------------------------------------------------------------------------
    def _check_cancel(self) -> None:
        if self.is_cancelled():
            raise Cancelled("Cancelled while talking to the STAC API.")

    def _request_json(self, method: str, url: str, body: Optional[dict[str, Any]] = None,
                      params: Optional[dict[str, Any]] = None) -> Any:
        response, content = self._send_with_retries(method, url, body, params)
        shown_url = redact(response.url or url)
        try:
            return json.loads(content)
        except RecursionError:
            raise BadAnswer(f"{method} {shown_url} answered JSON nested too deeply to be a STAC answer. "
                            "The server is misbehaving: check the STAC API URL.", status=response.status_code,
                            url=shown_url) from None
        except ValueError:
            raise APIError(
                f"{method} {shown_url} answered HTTP {response.status_code} with a body that is not JSON.\n"
                f"Server says: {server_says(response, content[:SNIPPET_CHARS * 4])}\n"
                "Check that the URL is the root of a STAC API (it should answer JSON).",
                status=response.status_code, url=shown_url,
                body=server_says(response, content[:SNIPPET_CHARS * 4])) from None

    def _send_with_retries(self, method: str, url: str, body: Optional[dict[str, Any]],
                           params: Optional[dict[str, Any]]) -> tuple[requests.Response, bytes]:
        attempt = 0
        while True:
            self._check_cancel()
            response, content = self._send_following_redirects(method, url, body, params)
            if response.status_code in RETRY_STATUSES and attempt < MAX_RETRIES:
                attempt += 1
                self._sleep_interruptibly(self._retry_delay(response, attempt))
                continue
            if response.status_code >= 400:
                raise self._http_error(method, response, content)
            return response, content

    @staticmethod
    def _retry_delay(response: requests.Response, attempt: int) -> float:
        retry_after = response.headers.get("Retry-After", "")
        try:
            return min(float(retry_after), MAX_RETRY_AFTER_S)
        except ValueError:
            return float(min(0.5 * 2 ** (attempt - 1), MAX_RETRY_AFTER_S))

    def _sleep_interruptibly(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._check_cancel()
            time.sleep(min(0.05, max(0.0, end - time.monotonic())))

    def _send_following_redirects(self, method: str, url: str, body: Optional[dict[str, Any]],
                                  params: Optional[dict[str, Any]]) -> tuple[requests.Response, bytes]:
        origin = self.api_origin or _origin(url)
        register_url(url)
        for _ in range(MAX_REDIRECTS + 1):
            headers = {"Accept": "application/geo+json, application/json;q=0.9, */*;q=0.1"}
            if _origin(url) == origin:
                headers.update(self.headers)
            response, content = self._send_once(method, url, headers, body, params)
            if content is None:  # a redirect
                location = urljoin(response.url, response.headers["Location"])
                register_url(location)
                location = hrefs.check_url(location, f"The redirect of {redact(url)}")  # a redirect is a link too
                if response.status_code == 303:  # 307/308 (and in practice 301/302) keep the POST
                    method, body = "GET", None
                url, params = location, None
                continue
            return response, content
        raise APIError(f"{method} {redact(url)}: more than {MAX_REDIRECTS} redirects. "
                       "Check the STAC API URL.", url=redact(url))

    def _send_once(self, method: str, url: str, headers: dict[str, str], body: Optional[dict[str, Any]],
                   params: Optional[dict[str, Any]]) -> tuple[requests.Response, Optional[bytes]]:
        """One request and its whole answer, within ``timeout``: (response, body), body None for a redirect."""
        self.requests_made += 1
        host = urlsplit(url).hostname or url
        via = self.connection.proxy_for(url)
        # None for a URL the exclusions name: requests then goes direct
        proxies: Any = {"http": via, "https": via} if self.connection.proxy else None
        self._check_cancel()
        exchange = Exchange(self.timeout, self.is_cancelled)
        try:
            with transport.watched(exchange):
                response = self.session.request(
                    method, url, params=params, json=body, headers=headers, proxies=proxies, verify=self.verify,
                    timeout=(min(self.timeout, 10.0), self.timeout), allow_redirects=False, stream=True)
                if exchange.aborted:  # the headers "ended" because the watchdog shut the socket
                    response.close()
                    raise self._ended(exchange, host, url)
                exchange.response = response
                if response.is_redirect and response.headers.get("Location"):
                    response.close()
                    content: Optional[bytes] = None
                else:
                    content = self._read_bounded(response, method, url, exchange)
            if exchange.aborted:  # ended by the watchdog, maybe with a body cut short that looked whole
                raise self._ended(exchange, host, url)
            return response, content
        except Exception as exc:
            if exchange.aborted:
                raise self._ended(exchange, host, url) from None
            if isinstance(exc, requests.exceptions.RequestException):
                raise self._network_error(exc, exchange, host, url) from None
            raise

    def _ended(self, exchange: Exchange, host: str, url: str) -> QuicklookError:
        if exchange.cancelled:
            return Cancelled("Cancelled while waiting for the STAC API.")
        return self._too_slow(exchange, host, url)

    def _network_error(self, exc: requests.exceptions.RequestException, exchange: Exchange, host: str,
                       url: str) -> NetworkError:
        if isinstance(exc, requests.exceptions.SSLError):
            return NetworkError(f"TLS/SSL error talking to {host}: {redact(exc)}\n"
                                "The server's certificate could not be verified. Check the URL, or your "
                                "network's proxy/certificate settings.", url=redact(url))
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return NetworkError(f"Timed out connecting to {host} after {self.timeout:g} s. "
                                "Check your network connection or proxy, or try again later.", url=redact(url))
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return self._too_slow(exchange, host, url)
        if isinstance(exc, requests.exceptions.ConnectionError):
            return NetworkError(f"Could not connect to {host}: {_connection_reason(exc)}. Check the STAC API URL, "
                                "your network connection and proxy settings.", url=redact(url))
        return NetworkError(f"Request to {host} failed: {redact(exc)}", url=redact(url))

    def _too_slow(self, exchange: Exchange, host: str, url: str) -> NetworkError:
        elapsed = time.monotonic() - exchange.started
        if exchange.response is None:
            text = (f"{host} did not answer within {self.timeout:g} s. The server may be overloaded: try "
                    "again later, or a smaller area or date range.")
        else:
            text = (f"{host} sent the answer too slowly ({exchange.received} bytes in {elapsed:.1f} s; a whole "
                    f"answer must arrive within {self.timeout:g} s). The server may be overloaded or "
                    "misbehaving: try again later, or raise the timeout.")
        return NetworkError(text, url=redact(url))

    def _read_bounded(self, response: requests.Response, method: str, url: str,
                      exchange: Optional[Exchange] = None) -> bytes:
        exchange = exchange or Exchange()
        host = urlsplit(url).hostname or url
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            response.close()
            raise APIError(f"{method} {redact(url)}: the answer is {int(declared) / 1e6:.0f} MB, more than "
                           f"the {MAX_BODY_BYTES // 2**20} MB a quicklook accepts. The server may be "
                           "misconfigured.", status=response.status_code, url=redact(url))
        chunks, total = [], 0
        try:
            for chunk in body_chunks(response, exchange, MAX_BODY_BYTES):
                total += len(chunk)
                if total > MAX_BODY_BYTES:
                    raise APIError(f"{method} {redact(url)}: the answer is larger than "
                                   f"{MAX_BODY_BYTES // 2**20} MB; stopped reading. The server may be "
                                   "misconfigured.", status=response.status_code, url=redact(url))
                chunks.append(chunk)
        except (requests.exceptions.RequestException, OSError, zlib.error, ValueError) as exc:
            if exchange.aborted:
                raise
            raise NetworkError(f"The connection to {host} broke while reading the answer "
                               f"({_connection_reason(exc)}). Try again.", url=redact(url)) from None
        finally:
            response.close()
        encoding = response.headers.get("Content-Encoding", "identity").lower()
        if declared and declared.isdigit() and encoding == "identity" and exchange.received < int(declared):
            # urllib3 1.26 (Debian 12) does not raise on a body cut short: check it here.
            raise NetworkError(f"The connection to {host} broke while reading the answer ({exchange.received} "
                               f"of {declared} bytes arrived). Try again.", url=redact(url))
        return b"".join(chunks)

    @staticmethod
    def _http_error(method: str, response: requests.Response, content: bytes) -> APIError:
        shown_url = redact(response.url)
        says = server_says(response, content[:SNIPPET_CHARS * 4])
        hint = {
            400: "The server rejected the search parameters.",
            401: "The server needs credentials: set an authentication config for this STAC API.",
            403: "Access denied: check your credentials or API key.",
            404: "Not found: check the STAC API URL and the collection name.",
            422: "The server could not process the search parameters.",
            429: "Too many requests: wait a minute and try again.",
        }.get(response.status_code,
              "The server had a problem: try again later." if response.status_code >= 500 else "")
        return APIError(f"{method} {shown_url} failed with HTTP {response.status_code}. {hint}\n"
                        f"Server says: {says}", status=response.status_code, url=shown_url, body=says)


def _origin(url: str) -> tuple[str, str, Optional[int]]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or ""), parts.port


def _connection_reason(exc: Exception) -> str:
    text = str(exc)
    for needle, reason in (("Name or service not known", "the host name could not be resolved"),
                           ("nodename nor servname", "the host name could not be resolved"),
                           ("Temporary failure in name resolution", "the host name could not be resolved"),
                           ("Failed to resolve", "the host name could not be resolved"),
                           ("Connection refused", "connection refused"),
                           ("Connection reset", "connection reset by the server"),
                           ("IncompleteRead", "the answer was cut off"),
                           ("RemoteDisconnected", "the server closed the connection"),
                           ("timed out", "timed out")):
        if needle in text:
            return reason
    return redact(text)[:300]
