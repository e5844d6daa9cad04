"""Security headers on every kind of answer (issue #13, finding 6)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from metalwire.web.security_headers import CONTENT_SECURITY_POLICY

PATHS = (
    "/",  # a page
    "/sign-in",  # a form
    "/no-such-page",  # an error page
    "/api/v1/series",  # the API
    "/api/v1/series/NO-SUCH-SERIES/prices",  # a problem+json refusal
    "/static/css/site.css",  # a static file
    "/healthz",
    "/readyz",
    "/metrics",
)


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for path in PATHS:
        response = client.get(path)
        headers = response.headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "'unsafe-inline'" not in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY", path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin", path
        assert "camera=()" in headers["permissions-policy"], path
        # Plain HTTP (localhost): no HSTS, or the next plain visit would be refused.
        assert "strict-transport-security" not in headers, path


def test_hsts_only_over_https(app: FastAPI) -> None:
    with TestClient(app, base_url="https://metalwire.example") as secure:
        response = secure.get("/")
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
        assert response.headers.get_list("x-frame-options") == ["DENY"]  # never twice


def test_the_pages_need_no_inline_script_or_style() -> None:
    """The policy forbids inline script and style: no template may carry one."""
    import re
    from importlib import resources

    folder = resources.files("metalwire.web").joinpath("templates")
    for template in folder.iterdir():
        text = template.read_text("utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert not re.search(r"\son[a-z]+=", text), template.name
        assert " style=" not in text and "<style" not in text, template.name
