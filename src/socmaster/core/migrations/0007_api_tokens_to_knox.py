"""Move API tokens from DRF's authtoken table (keys in plain text) to django-rest-knox's (a hash
and a 15-character prefix only).

Each DRF token still within SOCMASTER_API_TOKEN_HOURS of its issue keeps working under the same
key until the same expiry; expired ones are dropped. Every row of ``authtoken_token`` is then
deleted, so no key is left in plain text (the empty table itself is left alone: it belongs to an
app that is no longer installed). A database without that table has nothing to move.
"""

from datetime import UTC, timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime

OLD_TABLE = "authtoken_token"


def _aware(value):
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


def move_drf_tokens(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    AuthToken = apps.get_model("knox", "AuthToken")
    lifetime = timedelta(hours=settings.SOCMASTER["API_TOKEN_HOURS"])
    now = timezone.now()
    quoted = schema_editor.quote_name(OLD_TABLE)
    columns = ", ".join(schema_editor.quote_name(c) for c in ("key", "user_id", "created"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {quoted}")  # noqa: S608
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        created = _aware(created)
        expiry = created + lifetime
        if expiry <= now:
            continue
        digest = hash_token(key)
        AuthToken(
            digest=digest,
            token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
            user_id=user_id,
            expiry=expiry,
        ).save(force_insert=True)
        # ``created`` is set on insert; keep the original issue time.
        AuthToken.objects.filter(digest=digest).update(created=created)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quoted}")  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_audit_record_owner_membership"),
        ("knox", "0009_extend_authtoken_field"),
        ("organisations", "0002_reference_organisations"),
    ]

    operations = [migrations.RunPython(move_drf_tokens, migrations.RunPython.noop)]
