"""API tokens: django-rest-knox's token model (kept only as a hash, with an expiry), rotated on
every issue, revoked when their user is deactivated, each issue and revocation audited.

Issuing a token (the API token page, ``POST /api/token/`` or ``socmaster create-api-token``)
revokes the user's earlier tokens and is recorded in the audit log (never the token, its hash or
its key prefix). A token is refused ``SOCMASTER_API_TOKEN_HOURS`` after it was issued, and so is
any token of a deactivated user (deactivation revokes them all).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from . import audit
from .authentication import lifetime
from .choices import AuditAction


class IssuedToken:
    """A token just issued: ``key`` is shown once and never stored; ``expires`` is when it stops
    working."""

    def __init__(self, instance: AuthToken, key: str):
        self.instance = instance
        self.key = key
        self.expires = instance.expiry


def live_tokens(user):
    """``user``'s tokens that have not expired."""
    return AuthToken.objects.filter(user=user, expiry__gt=timezone.now())


@transaction.atomic
def issue_api_token(user, *, via: str, reason: str = "") -> IssuedToken:
    """Revoke ``user``'s API tokens and issue a new one, audited (``via``: "web", "api" or
    "cli"). A deactivated user gets none."""
    if not user.is_active:
        raise PermissionDenied(f"{user.username} is deactivated: no API token can be issued.")
    AuthToken.objects.filter(user=user).delete()
    instance, key = AuthToken.objects.create(user=user, expiry=lifetime())
    audit.record(
        AuditAction.CREATE,
        user=user,
        reason=reason,
        record_type="api_token",
        record_id=str(user.pk),
        record_repr=f"API token for {user.username}",
        changes={"via": via, "expires": instance.expiry.isoformat()},
    )
    return IssuedToken(instance, key)


@transaction.atomic
def revoke_api_tokens(user, *, actor=None, why: str) -> int:
    """Revoke every API token of ``user``; audited when there was one to revoke."""
    count, _ = AuthToken.objects.filter(user=user).delete()
    if count:
        audit.record(
            AuditAction.DELETE,
            user=actor,
            record_type="api_token",
            record_id=str(user.pk),
            record_repr=f"API tokens for {user.username}",
            changes={"revoked": count, "why": why},
        )
    return count


class ObtainExpiringToken(APIView):
    """``POST /api/token/`` with username and password: a new token (the earlier ones stop
    working); 429 while the user name or the address is locked out after failed attempts."""

    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    serializer_class = AuthTokenSerializer

    def post(self, request, *args, **kwargs):
        from .api import lockout_response

        if (locked := lockout_response(request)) is not None:
            return locked
        serializer = self.serializer_class(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token = issue_api_token(serializer.validated_data["user"], via="api")
        return Response({"token": token.key, "expires": token.expires.isoformat()})
