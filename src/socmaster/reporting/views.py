"""Reports: the index and the inspectorate's master-list extract."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from socmaster.core import policy
from socmaster.core.exports import export_view
from socmaster.organisations.choices import OrganisationType, Role
from socmaster.organisations.models import Organisation
from socmaster.threats.models import Threat

from .extracts import masterlist_counted, masterlist_extract


@login_required
def index(request):
    """The reports, without the police-only exceptions report for partners (as the menu) and
    the moderation queue for anyone but moderators."""
    user = request.user
    return render(
        request,
        "reporting/index.html",
        {
            "offer_exceptions": policy.is_police_user(user),
            "offer_moderation": user.has_role(Role.MODERATOR),
        },
    )


def _region(request):
    key = request.GET.get("region", "").strip()
    return (
        Organisation.objects.filter(key=key, type=OrganisationType.REGION).first() if key else None
    )


@login_required
def masterlist_report(request):
    region = _region(request)
    rows = masterlist_extract(Threat.objects.visible_to(request.user), region=region)
    regions: dict[str, int] = {}
    for row in rows:
        regions[row["region"]] = regions.get(row["region"], 0) + row["threats"]
    return render(
        request,
        "reporting/masterlist.html",
        {
            "rows": rows,
            "regions": sorted(regions.items()),
            "total": sum(r["threats"] for r in rows),
            "region": region,
            "all_regions": Organisation.objects.filter(type=OrganisationType.REGION),
        },
    )


@login_required
def masterlist_drilldown(request, key):
    organisation = get_object_or_404(Organisation, key=key)
    qs = masterlist_counted(
        Threat.objects.visible_to(request.user).filter(owner=organisation)
    ).with_related()
    page = Paginator(qs.order_by("reference"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "reporting/masterlist_drilldown.html",
        {"organisation": organisation, "page_obj": page, "querystring_without_page": ""},
    )


@login_required
def masterlist_csv(request):
    region = _region(request)
    rows = masterlist_extract(Threat.objects.visible_to(request.user), region=region)
    return export_view(
        request,
        record_type="reporting.masterlist_extract",
        title="The master-list extract",
        columns=["region", "organisation", "threats"],
        filename="masterlist-extract",
        fmt="csv",
        rows=lambda: (len(rows), ([r["region"], r["organisation"], r["threats"]] for r in rows)),
        filters={"region": region.key if region else ""},
    )
