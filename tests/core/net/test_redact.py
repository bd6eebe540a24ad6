from stac_quicklook_plugin.core.net.redact import redact


def test_signed_url_tokens_are_redacted():
    url = ("https://sentinel2l2a01.blob.core.windows.net/sentinel2-l2/x.tif?st=2026-01-01&se=2026-01-02&sp=rl"
           "&sv=2021&sr=c&skoid=abc&sig=SECRETsig%3D")
    out = redact(url)
    assert "SECRETsig" not in out and "sig=REDACTED" in out and "sentinel2-l2/x.tif" in out


def test_aws_and_header_secrets_are_redacted():
    text = ("https://b.s3.amazonaws.com/k.tif?X-Amz-Signature=abcdef123&X-Amz-Credential=AKIA/2026\n"
            "Authorization: Bearer eyJhbGciOi.secret\nhttps://user:pa55word@host/x?token=t0ken")
    out = redact(text)
    for secret in ("abcdef123", "AKIA", "eyJhbGciOi", "pa55word", "t0ken"):
        assert secret not in out
    assert "host/x" in out
