"""System checks: production needs an audit key held outside the database."""

from django.conf import settings
from django.core import checks

MIN_AUDIT_KEY_LENGTH = 32


@checks.register(checks.Tags.security, deploy=True)
def audit_key_check(app_configs=None, **kwargs):
    if not settings.PRODUCTION:
        return []
    from .audit import AuditError, key_ring

    try:
        ring = key_ring()
    except (AuditError, OSError) as exc:
        return [checks.Error(str(exc), id="socmaster.E001")]
    if len(ring.current) < MIN_AUDIT_KEY_LENGTH:
        return [
            checks.Error(
                f"The audit key is shorter than {MIN_AUDIT_KEY_LENGTH} characters.",
                hint="Generate one with: python3 -c 'import secrets; print(secrets.token_hex(32))'",
                id="socmaster.E002",
            )
        ]
    return []
