"""How many failed log-ins django-axes allows: per user name and address, and per address
whatever the user name, each with its own limit.

Axes counts failures for each of ``AXES_LOCKOUT_PARAMETERS`` (``[["username", "ip_address"],
"ip_address"]``) and compares the largest count, which is always the address's (it includes
every user name's), with ``AXES_FAILURE_LIMIT``. That limit is :func:`failure_limit`: the
per-user limit once this user name has reached it from this address, else the per-address
limit. So one user name is paused after ``SOCMASTER_LOGIN_FAILURE_LIMIT`` failures (5) from an
address, and an address after ``SOCMASTER_LOGIN_FAILURES_PER_ADDRESS`` failures (20) whatever
the user names tried. The same rule serves the sign-in page, ``/token/`` and ``/api/token/``.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def per_user() -> int:
    return settings.SOCMASTER["LOGIN_FAILURES_PER_USER"]


def per_address() -> int:
    return settings.SOCMASTER["LOGIN_FAILURES_PER_ADDRESS"]


def _failures(request, username: str, ip_address: str) -> int:
    attempts = AccessAttempt.objects.filter(username=username, ip_address=ip_address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


def failure_limit(request, credentials=None) -> int:
    """``AXES_FAILURE_LIMIT``: see the module's description."""
    AxesProxyHandler.update_request(request)
    username = get_client_username(request, credentials)
    if username and _failures(request, username, request.axes_ip_address) >= per_user():
        return per_user()
    return per_address()
