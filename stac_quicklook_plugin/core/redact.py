"""Remove secrets (signed-URL tokens, credentials) from anything shown to a person or logged."""
from __future__ import annotations

import re

_QUERY_SECRETS = re.compile(
    r"(?i)\b(sig|signature|token|access_token|api_key|apikey|subscription-key|password|"
    r"x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential)"
    r"=([^&\s\"'<>]+)"
)
_HEADER_SECRETS = re.compile(r"(?im)^(\s*\"?(authorization|x-api-key|api-key|ocp-apim-subscription-key|cookie)\"?\s*[:=]\s*)(.+)$")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)([^/@\s:]+):([^/@\s]+)@")


def redact(text: object) -> str:
    """Return ``text`` as a string with tokens, signatures and credentials replaced by REDACTED."""
    s = str(text)
    s = _QUERY_SECRETS.sub(lambda m: f"{m.group(1)}=REDACTED", s)
    s = _HEADER_SECRETS.sub(lambda m: f"{m.group(1)}REDACTED", s)
    s = _BEARER.sub(lambda m: f"{m.group(1)} REDACTED", s)
    s = _USERINFO.sub(lambda m: f"{m.group(1)}{m.group(2)}:REDACTED@", s)
    return s
