"""Settings: production profile passes check --deploy; the strong hasher is the default."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings


def test_argon2_is_the_production_password_hasher():
    import socmaster.settings as configured

    assert configured.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_login_throttling_is_configured():
    assert "axes.backends.AxesStandaloneBackend" == settings.AUTHENTICATION_BACKENDS[0]
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_sqlite_uses_wal():
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    assert "journal_mode=WAL" in settings.DATABASES["default"]["OPTIONS"]["init_command"]


def _check_deploy(env_extra: dict) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SOCMASTER_") and k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_profile_passes_check_deploy(tmp_path):
    result = _check_deploy(
        {
            "DJANGO_SETTINGS_MODULE": "socmaster.settings",
            "SOCMASTER_PRODUCTION": "1",
            "SOCMASTER_SECRET_KEY": "x" * 30 + "a-long-random-production-secret-9876543210",
            "SOCMASTER_ALLOWED_HOSTS": "socmaster.example.police.uk",
            "SOCMASTER_VAR_DIR": str(tmp_path),
            "SOCMASTER_AUDIT_KEY": "an-audit-key-held-outside-the-database-0123456789",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in (result.stdout + result.stderr)


def test_production_profile_refuses_to_start_without_a_secret(tmp_path):
    result = _check_deploy(
        {
            "DJANGO_SETTINGS_MODULE": "socmaster.settings",
            "SOCMASTER_PRODUCTION": "1",
            "SOCMASTER_VAR_DIR": str(tmp_path),
        }
    )
    assert result.returncode != 0
    assert "SOCMASTER_SECRET_KEY must be set" in result.stderr


# --- The production profile serves ---------------------------------------------------------


def _production_env(var_dir, port: int | None = None) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SOCMASTER_") and k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "socmaster.settings",
            "SOCMASTER_PRODUCTION": "1",
            "SOCMASTER_SECRET_KEY": secrets.token_urlsafe(50),
            "SOCMASTER_AUDIT_KEY": secrets.token_urlsafe(48),
            "SOCMASTER_ALLOWED_HOSTS": "127.0.0.1",
            "SOCMASTER_VAR_DIR": str(var_dir),
        }
    )
    return env


def _socmaster(env, *args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "socmaster.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="builds its own SQLite production instance: it runs once, in the SQLite pass",
)
def test_production_profile_builds_and_serves_from_a_clean_var_dir(tmp_path):
    """collectstatic, migrate and createuser in a fresh var dir, then the real server answers.

    The production profile sits behind a TLS-terminating proxy that says so with
    X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER); the test sends that header as the proxy would,
    and carries the Secure cookies itself, as a browser talking HTTPS to the proxy would.
    """
    import requests

    var_dir = tmp_path / "var"
    env = _production_env(var_dir)
    for args in (
        ("collectstatic", "--noinput"),
        ("migrate", "--noinput"),
        ("createuser", "prod.user", "--organisation", "NEROCU", "--role", "analyst"),
    ):
        result = _socmaster(
            {**env, "SOCMASTER_NEW_PASSWORD": "correct horse battery staple"}, *args
        )
        assert result.returncode == 0, f"{args[0]}: {result.stdout}{result.stderr}"
    assert (var_dir / "static" / "staticfiles.json").exists()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "socmaster.cli", "serve", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        proxy = {"X-Forwarded-Proto": "https"}
        deadline = time.monotonic() + 60
        while True:
            try:
                page = requests.get(f"{base}/login/", headers=proxy, timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.5)
        assert page.status_code == 200, page.text[:2000]
        assert "Sign in" in page.text
        cookies = dict(page.cookies)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        signed_in = requests.post(
            f"{base}/login/",
            headers={**proxy, "Origin": f"https://127.0.0.1:{port}"},
            cookies=cookies,
            data={
                "csrfmiddlewaretoken": token,
                "username": "prod.user",
                "password": "correct horse battery staple",
            },
            allow_redirects=False,
            timeout=10,
        )
        assert signed_in.status_code == 302, signed_in.text[:2000]
        assert "Secure" in signed_in.headers["Set-Cookie"]
        cookies.update(signed_in.cookies)
        home = requests.get(f"{base}/", headers=proxy, cookies=cookies, timeout=10)
        assert home.status_code == 200, home.text[:2000]
        assert 'data-testid="current-user"' in home.text
        css = re.search(
            r'href="(/static/vendor/govuk/govuk-frontend\.min\.[0-9a-f]+\.css)"', home.text
        )
        assert css, "the stylesheet is not served from the hashed manifest name"
        assert requests.get(base + css.group(1), headers=proxy, timeout=10).status_code == 200
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
