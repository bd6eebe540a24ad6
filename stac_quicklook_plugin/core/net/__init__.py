"""The network wing: the HTTP transport and JSON client (``http``), what a catalog may point at (``hrefs``),
signing of asset hrefs (``signing``) and the redaction of secrets from every text (``redact``)."""
