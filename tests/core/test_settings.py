"""Settings: production profile passes check --deploy; the strong hasher is the default."""

from __future__ import annotations

import os
import subprocess
import sys

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
