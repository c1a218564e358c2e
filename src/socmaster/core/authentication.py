"""API token authentication with a lifetime (issuing and rotation: core/tokens.py)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


def lifetime() -> timedelta:
    return timedelta(hours=settings.SOCMASTER["API_TOKEN_HOURS"])


def expires_at(token):
    return token.created + lifetime()


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication (which refuses inactive users), refusing expired tokens too."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if timezone.now() >= expires_at(token):
            raise exceptions.AuthenticationFailed(
                "The API token has expired: issue a new one (API token page or POST /api/token/)."
            )
        return user, token
