from django.conf import settings
from django.urls import reverse

from socmaster.core import policy


def socmaster(request):
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        path = request.path
        entries = [
            ("Home", reverse("home"), path == reverse("home")),
            (
                "Master list",
                reverse("threats:list"),
                path.startswith("/threats/")
                and "exceptions" not in path
                and "nominals" not in path,
            ),
            ("Exceptions", reverse("threats:exceptions"), path.startswith("/threats/exceptions")),
            (
                "Organisations",
                reverse("organisations:directory"),
                path.startswith("/organisations/"),
            ),
            ("Nominals", reverse("threats:nominals"), path.startswith("/threats/nominals")),
            ("Disruptions", reverse("disruptions:list"), path.startswith("/disruptions/")),
            ("4P plans", reverse("plans:list"), path.startswith("/plans/")),
            ("People", reverse("organisations:people"), path.startswith("/people/")),
        ]
        if user.has_role("moderator"):
            entries.append(
                ("Moderation", reverse("assessments:queue"), path.startswith("/assessments/"))
            )
        entries.append(("Reports", "/reports/", path.startswith("/reports/")))
        if policy.can_view_audit(user):
            entries.append(("Audit", reverse("audit:list"), path.startswith("/audit/")))
        entries.append(("API", reverse("swagger-ui"), path.startswith("/api/")))
        items = [{"label": label, "url": url, "active": active} for label, url, active in entries]
    return {"demo_mode": settings.DEMO_MODE, "nav_items": items}
