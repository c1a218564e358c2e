from django.conf import settings
from django.urls import reverse

from socmaster.core import policy, registry


def socmaster(request):
    user = getattr(request, "user", None)
    items = []
    signed_in = user is not None and user.is_authenticated
    if signed_in:
        items = navigation(user, request.path)
    return {
        "demo_mode": settings.DEMO_MODE,
        "nav_items": items,
        # The API documentation answers 401 to the signed-out and is not for partners (the menu's
        # rule): the footer offers it only to those it would serve.
        "show_api_docs": signed_in and policy.is_police_user(user),
    }


def navigation(user, path: str) -> list[dict]:
    """The registered menu entries this user sees, the one for ``path`` marked active.

    An entry is current on pages under its ``active_prefix`` (its own URL by default), or only on
    its own URL if it is ``exact``; when several match, the longest prefix wins.
    """
    entries = [(item, reverse(item.url_name)) for item in registry.nav_items(user)]
    current, longest = None, -1
    for item, url in entries:
        prefix = url if item.exact else (item.active_prefix or url)
        matches = path == url if item.exact else path.startswith(prefix)
        if matches and len(prefix) > longest:
            current, longest = item.key, len(prefix)
    return [
        {"label": item.label, "url": url, "active": item.key == current} for item, url in entries
    ]
