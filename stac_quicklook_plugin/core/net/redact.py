"""Remove secrets from anything shown to a person or logged, and the control characters a server may send.

Two layers: by value, every secret the engine holds (registered where it enters: request headers, the API
URL's user info, the proxy, SAS tokens, AWS keys from the environment), in its plain, URL-encoded and
base64 forms; then by pattern, what looks like a token or a credential whoever it belongs to.
"""
from __future__ import annotations

import base64
import os
import re
import threading
from typing import Iterable, Mapping, Optional
from urllib.parse import quote, unquote, urlsplit

REDACTED = "REDACTED"
MIN_SECRET_CHARS = 3  # shorter values would garble every message ("a" everywhere); see register_secret
AWS_SECRET_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
# Headers that carry no secret: their values are not registered.
PLAIN_HEADERS = frozenset({"accept", "accept-encoding", "accept-language", "content-type", "user-agent",
                           "cache-control", "connection", "pragma"})

_QUERY_SECRETS = re.compile(
    r"(?i)\b(sig|signature|token|access_token|api_key|apikey|subscription-key|password|"
    r"x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential)"
    r"=([^&\s\"'<>]+)"
)
_HEADER_SECRETS = re.compile(
    r"(?im)^(\s*\"?(authorization|x-api-key|api-key|ocp-apim-subscription-key|cookie)\"?\s*[:=]\s*)(.+)$")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)([^/@\s:]+):([^/@\s]+)@")
# C0 controls but tab and newline, DEL, C1 controls: terminal escapes (ESC[2J, OSC titles), backspaces, NUL.
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
                      r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
                      r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]")

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: Optional[re.Pattern[str]] = None


def strip_controls(text: object) -> str:
    """``text`` as a string without control characters (newlines and tabs kept)."""
    return _CONTROL.sub("", str(text))


def register_secret(value: object) -> None:
    """From now on, ``redact`` replaces ``value`` (and its URL-encoded and base64 forms) wherever it appears."""
    if not isinstance(value, str):
        return
    value = strip_controls(value).strip()
    if len(value) < MIN_SECRET_CHARS:
        return
    forms = {value, quote(value, safe=""), quote(value, safe="@:"), unquote(value),
             base64.b64encode(value.encode()).decode()}
    global _pattern
    with _lock:
        new = {f for f in forms if len(f) >= MIN_SECRET_CHARS} - _secrets
        if new:
            _secrets.update(new)
            # Longest first, so "user:password" goes before "password".
            _pattern = re.compile("|".join(re.escape(s) for s in sorted(_secrets, key=len, reverse=True)))


def register_credentials(user: Optional[str], password: Optional[str]) -> None:
    """A user and password: each one, ``user:password`` and its base64 form (an HTTP Basic header)."""
    user, password = (unquote(user) if user else None), (unquote(password) if password else None)
    if password:
        register_secret(password)
        register_secret(f"{user or ''}:{password}")
    if user:
        register_secret(user)


def register_url(url: Optional[str]) -> None:
    """The user info of ``url`` ("scheme://user:password@host"), if any."""
    if not url:
        return
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return
    if parts.username or parts.password:
        register_credentials(parts.username, parts.password)


def register_headers(headers: Optional[Mapping[str, str]]) -> None:
    """Every value of ``headers`` but plain ones (Accept, User-Agent...); a Basic header's user and
    password too, a Bearer header's token."""
    for name, value in (headers or {}).items():
        if str(name).lower() in PLAIN_HEADERS or not isinstance(value, str):
            continue
        scheme, _, credential = value.strip().partition(" ")
        credential = credential.strip()
        if str(name).lower() not in ("authorization", "proxy-authorization") or not credential:
            register_secret(value)  # an API key header: the whole value is the secret
            continue
        if scheme.lower() == "basic":
            register_secret(credential)
            try:
                user, _, password = base64.b64decode(credential, validate=True).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                continue
            register_credentials(user, password)
        else:  # "Bearer T", "Token T": the credential; the scheme name stays readable
            register_secret(credential)


def register_environment(environ: Optional[Mapping[str, str]] = None, names: Iterable[str] = AWS_SECRET_VARS) -> None:
    """Secrets the process environment holds for requests and reads: AWS keys, proxy credentials."""
    environ = os.environ if environ is None else environ
    for name in names:
        register_secret(environ.get(name))
    for name in PROXY_VARS:
        register_url(environ.get(name))


def registered_count() -> int:
    with _lock:
        return len(_secrets)


def forget_secrets() -> None:
    """Empty the registry (tests)."""
    global _pattern
    with _lock:
        _secrets.clear()
        _pattern = None


def redact(text: object) -> str:
    """``text`` as a string without control characters, every registered secret and anything that looks
    like a token, a signature or a credential replaced by REDACTED."""
    s = strip_controls(text)  # first: a secret split by a NUL or an escape still matches
    pattern = _pattern
    if pattern is not None:
        s = pattern.sub(REDACTED, s)
    s = _QUERY_SECRETS.sub(lambda m: f"{m.group(1)}={REDACTED}", s)
    s = _HEADER_SECRETS.sub(lambda m: f"{m.group(1)}{REDACTED}", s)
    s = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", s)
    s = _USERINFO.sub(lambda m: f"{m.group(1)}{m.group(2)}:{REDACTED}@", s)
    return s
