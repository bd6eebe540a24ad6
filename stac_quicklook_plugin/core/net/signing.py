"""Signed asset hrefs: Planetary Computer SAS tokens, one token request per storage container.

Planetary Computer's blobs refuse anonymous reads ("409 Public access is not permitted"). Its token
endpoint ``/api/sas/v1/token/{account}/{container}`` answers ``{"msft:expiry": ..., "token": "st=..&sig=.."}``;
the token is appended to every href of that container until shortly before it expires.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from stac_quicklook_plugin.core.errors import APIError
from stac_quicklook_plugin.core.net.http import HttpClient
from stac_quicklook_plugin.core.net.redact import redact, register_secret

PC_TOKEN_URL = "https://planetarycomputer.microsoft.com/api/sas/v1/token"
PC_API_HOST = "planetarycomputer.microsoft.com"
BLOB_HOST_SUFFIX = ".blob.core.windows.net"
RENEW_BEFORE_S = 300.0  # a token this close to its expiry is renewed (reads take seconds, not minutes)
DEFAULT_LIFETIME_S = 600.0


def token_url_for(api_url: str, explicit: Optional[str]) -> Optional[str]:
    """The SAS token endpoint to use: the explicit one, Planetary Computer's for its API, else none."""
    if explicit:
        return explicit.rstrip("/")
    host = (urlsplit(api_url).hostname or "").lower()
    return PC_TOKEN_URL if host == PC_API_HOST or host.endswith("." + PC_API_HOST) else None


class SasSigner:
    """Appends a cached SAS token to hrefs on the signed hosts; thread-safe, one request per container."""

    def __init__(self, token_url: str, client_factory: Callable[[], HttpClient],
                 host_suffixes: tuple[str, ...] = (BLOB_HOST_SUFFIX,)):
        self.token_url = token_url.rstrip("/")
        self.host_suffixes = tuple(s.lower() for s in host_suffixes)
        self._client_factory = client_factory
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self.token_requests = 0

    def needs_signing(self, href: str) -> bool:
        parts = urlsplit(href)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or "sig=" in (parts.query or ""):
            return False
        return any(host.endswith(s) or host == s.lstrip(".") for s in self.host_suffixes)

    def sign(self, href: str, run_tokens: Optional[dict[tuple[str, str], str]] = None) -> str:
        """``href`` with its container's token. ``run_tokens`` (one dict per quicklook) keeps one token per
        container for the whole quicklook: a token near its expiry is renewed at the next one, not at
        every read of this one."""
        if not self.needs_signing(href):
            return href
        key = self._container(href)
        token = run_tokens.get(key) if run_tokens is not None else None
        if token is None:
            token = self._token(key)
            if run_tokens is not None:
                run_tokens[key] = token
        return f"{href}{'&' if urlsplit(href).query else '?'}{token}"

    @staticmethod
    def _container(href: str) -> tuple[str, str]:
        parts = urlsplit(href)
        account = (parts.hostname or "").split(".")[0]
        container = parts.path.lstrip("/").split("/", 1)[0]
        return account, container

    def _token(self, key: tuple[str, str]) -> str:
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # concurrent reads of one container wait for one token request
            cached = self._tokens.get(key)
            if cached and cached[1] - RENEW_BEFORE_S > time.time():
                return cached[0]
            token, expiry = self._fetch(key)
            self._tokens[key] = (token, expiry)
            return token

    def _fetch(self, key: tuple[str, str]) -> tuple[str, float]:
        account, container = key
        url = f"{self.token_url}/{account}/{container}"
        client = self._client_factory()
        try:
            self.token_requests += 1
            doc: Any = client.get_json(url)
        except APIError as exc:
            raise type(exc)(f"Could not get a signing token for {account}/{container} from {redact(url)}.\n"
                           f"{exc}", status=exc.status, url=redact(url), body=exc.body) from None
        finally:
            client.close()
        token = doc.get("token") if isinstance(doc, dict) else None
        if not isinstance(token, str) or not token:
            raise APIError(f"The token endpoint {redact(url)} answered without a token.", url=redact(url))
        token = token.lstrip("?")
        register_secret(token)  # the whole token, and each value in it (sig, skoid...) that is long enough
        for part in token.split("&"):
            if len(part.partition("=")[2]) >= 8:
                register_secret(part.partition("=")[2])
        return token, _expiry(doc.get("msft:expiry"))


def _expiry(value: Any) -> float:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return time.time() + DEFAULT_LIFETIME_S


_signers_lock = threading.Lock()
_signers: dict[str, SasSigner] = {}


def signer_for(token_url: str, client_factory: Callable[[], HttpClient],
               host_suffixes: tuple[str, ...] = (BLOB_HOST_SUFFIX,)) -> SasSigner:
    """One signer (and so one token cache) per token endpoint for the whole session."""
    key = f"{token_url}|{'|'.join(host_suffixes)}"
    with _signers_lock:
        if key not in _signers:
            _signers[key] = SasSigner(token_url, client_factory, host_suffixes)
        return _signers[key]


def clear_signers() -> None:
    with _signers_lock:
        _signers.clear()
