"""Keeps the current request available to the audit log for the client's address."""

from __future__ import annotations

import contextvars

_current_request: contextvars.ContextVar = contextvars.ContextVar("socmaster_request", default=None)


def get_current_request():
    return _current_request.get()


class CurrentRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


class IdleSessionMiddleware:
    """Sessions end after SESSION_COOKIE_AGE of inactivity, and SESSION_MAX_SECONDS after they began.

    Instead of saving the session on every request, the expiry is pushed on at most once a minute,
    which keeps the idle timeout (to within a minute) without a database write per page view.
    The absolute lifetime is counted from the first signed-in request of the session; past it the
    session is ended (flushed) however active it is, and the user signs in again.
    """

    REFRESH_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        import time

        session = getattr(request, "session", None)
        if (
            session is not None
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
        ):
            from django.conf import settings
            from django.contrib.auth import logout

            now = int(time.time())
            started = int(session.setdefault("_started", now))
            if now - started >= settings.SESSION_MAX_SECONDS:
                logout(request)  # flushes the session and makes the request anonymous
                return self.get_response(request)
            if now - int(session.get("_touched", 0)) >= self.REFRESH_SECONDS:
                session["_touched"] = (
                    now  # marks the session modified, so it is saved with a new expiry
                )
        return self.get_response(request)


class RejectNulMiddleware:
    """Answer 400 to a query string holding the NUL character, which no database field can hold."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.http import HttpResponseBadRequest

        if "\x00" in request.META.get("QUERY_STRING", "") or "%00" in request.META.get(
            "QUERY_STRING", ""
        ):
            return HttpResponseBadRequest(
                "The query must not contain the NUL character.", content_type="text/plain"
            )
        return self.get_response(request)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every response for a signed-in user, and on every download.

    Pages, API answers and exports for a signed-in user hold personal data and must not be kept
    by the browser or a proxy. Static files are answered by WhiteNoise before this point and stay
    cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils.cache import add_never_cache_headers

        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or response.has_header("Content-Disposition"):
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
        return response
