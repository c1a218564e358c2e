"""Organisation directory, organisation pages, people and user administration."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from socmaster.core import audit, policy
from socmaster.core.choices import AuditAction
from socmaster.core.forms import style_form
from socmaster.core.views import form_page
from socmaster.threats.models import Threat

from . import services
from .choices import OrganisationType
from .filters import OrganisationFilter
from .forms import RolesForm, UserCreateForm
from .models import Organisation, User


@login_required
def directory(request):
    orgs = list(Organisation.objects.filter(active=True).select_related("region", "rocu"))
    query = request.GET.get("q", "").strip()
    results = (
        OrganisationFilter({"q": query}, queryset=Organisation.objects.all()).qs if query else None
    )
    regions = []
    for region in (o for o in orgs if o.type == OrganisationType.REGION):
        rocus = [o for o in orgs if o.type == OrganisationType.ROCU and o.region_id == region.pk]
        forces = [o for o in orgs if o.type == OrganisationType.FORCE and o.region_id == region.pk]
        partners = [
            o for o in orgs if o.type == OrganisationType.LOCAL_PARTNER and o.region_id == region.pk
        ]
        regions.append(
            {
                "region": region,
                "rocus": [
                    {"rocu": r, "forces": [f for f in forces if f.rocu_id == r.pk]} for r in rocus
                ],
                "unattached_forces": [f for f in forces if f.rocu_id is None],
                "partners": partners,
            }
        )
    national = [
        o
        for o in orgs
        if o.type in (OrganisationType.NATIONAL_AGENCY, OrganisationType.INSPECTORATE)
    ]
    government = [o for o in orgs if o.type == OrganisationType.GOVERNMENT_PARTNER]
    return render(
        request,
        "organisations/directory.html",
        {
            "regions": regions,
            "national": national,
            "government": government,
            "query": query,
            "results": results,
        },
    )


@login_required
def organisation_detail(request, key):
    org = get_object_or_404(Organisation.objects.select_related("region", "rocu"), key=key)
    people = policy.visible_users(
        User.objects.filter(memberships__organisation=org, is_active=True), request.user
    ).distinct()
    threats = Threat.objects.visible_to(request.user).filter(owner=org)
    return render(
        request,
        "organisations/detail.html",
        {
            "org": org,
            "aliases": org.aliases.all(),
            "changes": org.changes.all(),
            "forces": org.collaborating_forces.filter(active=True)
            if org.type == OrganisationType.ROCU
            else Organisation.objects.filter(region=org, type=OrganisationType.FORCE)
            if org.type == OrganisationType.REGION
            else [],
            "people": people.order_by("last_name", "first_name")[:50],
            "people_count": people.count(),
            "threat_count": threats.count(),
            "tier_counts": threats.values("tier").annotate(n=Count("id")).order_by("tier"),
            "can_manage": bool(policy.grantable_roles(request.user, org)),
        },
    )


@login_required
def people(request):
    qs = policy.visible_users(User.objects.filter(is_active=True), request.user)
    q = request.GET.get("q", "").strip()
    if q:
        from django.db.models import Q

        qs = qs.filter(
            Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q)
        )
    qs = qs.prefetch_related("memberships__organisation").order_by(
        "last_name", "first_name", "username"
    )
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "organisations/people.html",
        {"page_obj": page, "q": q, "querystring_without_page": f"q={q}&" if q else ""},
    )


@login_required
def user_detail(request, username):
    target = policy.visible_users(User.objects.filter(username=username), request.user).first()
    if target is None:
        raise Http404("No such person.")
    if target.pk != request.user.pk:
        audit.record(AuditAction.VIEW, target, user=request.user)
    memberships = target.memberships.select_related("organisation").order_by(
        "organisation__name", "role"
    )
    return render(
        request,
        "organisations/user_detail.html",
        {
            "person": target,
            "memberships": memberships,
            "is_self": target.pk == request.user.pk,
            "can_manage": policy.can_manage_user(request.user, target)
            and target.pk != request.user.pk,
            "lro_threats": Threat.objects.visible_to(request.user).filter(lro=target)[:20],
        },
    )


@login_required
def user_create(request):
    administered = policy.administrable(Organisation.objects.all(), request.user)
    if not administered.exists():
        raise PermissionDenied("Only administrators can add users.")

    def save(data):
        user = services.create_user(
            request.user,
            username=data["username"],
            organisation=data["organisation"],
            roles=data["roles"],
            password=data["password"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            job_title=data["job_title"],
        )
        messages.success(request, f"{user} can now sign in.")
        return redirect(user.get_absolute_url())

    form = style_form(UserCreateForm(request.POST or None, organisations=administered))
    return form_page(
        request,
        form,
        save,
        template="organisations/user_form.html",
        context={"title": "Add a user"},
    )


@login_required
def user_set_active(request, username):
    target = policy.visible_users(User.objects.filter(username=username), request.user).first()
    if target is None:
        raise Http404("No such person.")
    if request.method != "POST":
        return redirect(target.get_absolute_url())
    services.set_active(request.user, target, request.POST.get("active") == "1")
    messages.success(
        request, f"{target} has been {'reactivated' if target.is_active else 'deactivated'}."
    )
    return redirect(target.get_absolute_url())


@login_required
def user_roles(request, username):
    """An administrator changes a user's roles in an organisation they administer."""
    target = policy.visible_users(User.objects.filter(username=username), request.user).first()
    if target is None:
        raise Http404("No such person.")
    administered = policy.administrable(Organisation.objects.all(), request.user)
    if not administered.exists() or target.pk == request.user.pk:
        raise PermissionDenied("Only administrators may change other people's roles.")

    def save(data):
        services.set_roles(request.user, target, data["organisation"], data["roles"])
        messages.success(request, f"{target}'s roles have been updated.")
        return redirect(target.get_absolute_url())

    form = style_form(
        RolesForm(
            request.POST or None,
            organisations=administered,
            initial={
                "organisation": target.primary_organisation,
                # The roles held now, so saving the form unchanged keeps them.
                "roles": [
                    m.role
                    for m in target.active_memberships
                    if m.organisation == target.primary_organisation
                ],
            },
        )
    )
    return form_page(
        request,
        form,
        save,
        template="organisations/user_form.html",
        context={"title": f"Change {target}'s roles"},
    )
