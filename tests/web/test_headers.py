"""Response headers: CSP without 'unsafe-inline', Permissions-Policy, and no-store on personal data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import socmaster

pytestmark = pytest.mark.django_db

TEMPLATES = sorted(Path(socmaster.__file__).parent.glob("*/templates/**/*.html"))


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


def test_a_signed_in_page_has_a_strict_csp_permissions_policy_and_no_store(web, make_user):
    response = web(make_user("force-durham", "analyst", username="pages"))
    response = response.get("/")
    assert response.status_code == 200
    csp = _csp(response)
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_the_sign_in_page_has_the_csp_and_permissions_policy(client):
    response = client.get("/login/")
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]


def test_an_export_is_not_stored(web, make_user):
    client = web(make_user("force-durham", "administrator", username="exporter"))
    response = client.post("/audit/export.csv", {"reason": "Checking the headers"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "Content-Security-Policy" in response


def test_an_api_answer_is_not_stored(api, make_user):
    response = api(make_user("force-durham", "analyst", username="apiuser")).get("/api/threats/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_static_files_stay_cacheable(client, make_user, web):
    signed_in = web(make_user("force-durham", "analyst", username="static"))
    response = signed_in.get("/static/web/socmaster.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_template_has_an_inline_script_or_handler(template):
    text = template.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", text)
    assert not re.search(r"\son[a-z]+=", text), "inline event handler"
    assert not re.search(r"\sstyle=", text), "inline style attribute"
    for style in re.findall(r"<style[^>]*>", text):
        assert "csp_nonce" in style, "a <style> block without the CSP nonce"
