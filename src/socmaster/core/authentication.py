"""API token authentication: django-rest-knox's (tokens kept only as a hash, each with an
expiry), answering ``The API token has expired`` for an expired one. Issuing, rotation and
revocation: core/tokens.py."""

from __future__ import annotations

from datetime import timedelta
from hmac import compare_digest

from django.conf import settings
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from rest_framework import exceptions

EXPIRED = "The API token has expired: issue a new one (API token page or POST /api/token/)."


def lifetime() -> timedelta:
    return timedelta(hours=settings.SOCMASTER["API_TOKEN_HOURS"])


class ExpiringTokenAuthentication(TokenAuthentication):
    """knox's token authentication (which refuses expired tokens, deleting them, and inactive
    users), saying so when the token presented has expired."""

    def authenticate_credentials(self, token):
        try:
            text = token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        self._expired_digests = []
        try:
            return super().authenticate_credentials(token)
        except exceptions.AuthenticationFailed:
            try:
                digest = hash_token(text)
            except (TypeError, ValueError):
                raise exceptions.AuthenticationFailed("Invalid token.") from None
            if any(compare_digest(digest, d) for d in self._expired_digests):
                raise exceptions.AuthenticationFailed(EXPIRED) from None
            raise

    def _cleanup_token(self, auth_token) -> bool:
        digest = auth_token.digest  # deleting an expired token clears it
        expired = super()._cleanup_token(auth_token)
        if expired:
            self._expired_digests.append(digest)
        return expired


class ExpiringTokenScheme(KnoxTokenScheme):
    """The OpenAPI description of ``Authorization: Token <key>``."""

    target_class = ExpiringTokenAuthentication
    name = "tokenAuth"
