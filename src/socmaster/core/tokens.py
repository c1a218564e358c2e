"""API tokens: DRF's own token model, with a lifetime, rotation on every issue and an audit entry.

Each user holds at most one token. Issuing one (the API token page or ``POST /api/token/``)
replaces the old one and is recorded in the audit log (never the token itself). A token older
than ``SOCMASTER_API_TOKEN_HOURS`` is refused, and so is any token of a deactivated user.
"""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response

from . import audit
from .authentication import expires_at
from .choices import AuditAction


@transaction.atomic
def issue_api_token(user, *, via: str) -> Token:
    """Replace ``user``'s API token with a new one, and audit it (``via``: "web" or "api")."""
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    audit.record(
        AuditAction.CREATE,
        user=user,
        record_type="api_token",
        record_id=str(user.pk),
        record_repr=f"API token for {user.username}",
        changes={"via": via, "expires": expires_at(token).isoformat()},
    )
    return token


class ObtainExpiringToken(ObtainAuthToken):
    """``POST /api/token/`` with username and password: a new token (the old one stops working);
    429 while the user name or the address is locked out after failed attempts."""

    def post(self, request, *args, **kwargs):
        from .api import lockout_response

        if (locked := lockout_response(request)) is not None:
            return locked
        serializer = self.serializer_class(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token = issue_api_token(serializer.validated_data["user"], via="api")
        return Response({"token": token.key, "expires": expires_at(token).isoformat()})
