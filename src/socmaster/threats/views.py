"""Master-list pages. Views stay thin: reads start from visible_to, writes call services."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from socmaster.core import policy, registry
from socmaster.core.choices import Action
from socmaster.core.exports import export_view
from socmaster.core.forms import add_service_errors, style_form
from socmaster.core.views import form_page, log_list, open_record

from . import services
from .filters import NominalFilter, ThreatFilter
from .forms import DeleteForm, LinkForm, MemberForm, NominalForm, ThreatForm
from .models import Nominal, Threat


def _listed(request):
    """The page's filter data: open threats unless another state (or any, ``state=``) is asked."""
    data = request.GET.copy()
    data.setdefault("state", "open")
    return data


@login_required
def threat_list(request):
    base = Threat.objects.visible_to(request.user).with_related()
    filterset = ThreatFilter(_listed(request), queryset=base, request=request)
    style_form(filterset.form, filters=True)
    qs = filterset.qs if filterset.is_valid() else base.none()
    page = Paginator(qs.order_by(*(qs.query.order_by or ["reference"])), 25).get_page(
        request.GET.get("page")
    )
    log_list(request, page, Threat)
    # "state=" (either) is kept on the next page, or the list would fall back to open threats.
    params = {k: v for k, v in request.GET.items() if k != "page" and (v or k == "state")}
    return render(
        request,
        "threats/list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "querystring_without_page": urlencode(params) + "&" if params else "",
            "can_create": any(m.role in policy.WRITE_ROLES for m in request.user.active_memberships)
            and not policy.is_read_only(request.user),
        },
    )


@login_required
def threat_detail(request, reference):
    threat = policy.get_or_404(Threat.objects.with_related(), request.user, reference=reference)
    redirect_to = open_record(request, threat)
    if redirect_to:
        return redirect_to
    members = list(
        threat.members.select_related("nominal").order_by("to_date", "role", "nominal__family_name")
    )
    visible_ids = set(
        Nominal.objects.visible_to(request.user)
        .filter(pk__in=[m.nominal_id for m in members])
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "threats/detail.html",
        {
            "threat": threat,
            "members": [m for m in members if m.nominal_id in visible_ids],
            "hidden_members": sum(1 for m in members if m.nominal_id not in visible_ids),
            "links": threat.links.all(),
            "panels": registry.threat_panels_for(request, threat),
            "can_change": policy.can(request.user, Action.CHANGE, threat),
            "can_delete": policy.can(request.user, Action.DELETE, threat),
            "can_read_history": policy.can_read_history(request.user, threat),
            "shared_with": threat.shared_with.all(),
        },
    )


@login_required
def threat_create(request):
    if policy.is_read_only(request.user):
        raise PermissionDenied("Inspectors cannot create records.")

    def save(data):
        data = dict(data)
        threat = services.create_threat(
            request.user,
            owner=data.pop("owner"),
            crime_types=data.pop("crime_types"),
            shared_with=data.pop("shared_with"),
            areas=data.pop("areas"),
            **data,
        )
        messages.success(request, f"{threat.reference} has been added to the master list.")
        return redirect(threat.get_absolute_url())

    form = style_form(ThreatForm(request.POST or None, user=request.user))
    return form_page(
        request, form, save, template="threats/form.html", context={"title": "Add a threat"}
    )


def _threat_to_change(request, reference) -> Threat:
    threat = policy.get_or_404(Threat.objects.all(), request.user, reference=reference)
    if not policy.can(request.user, Action.CHANGE, threat):
        raise PermissionDenied("You may not change this threat.")
    return threat


@login_required
def threat_edit(request, reference):
    threat = _threat_to_change(request, reference)

    def save(data):
        data = {k: v for k, v in data.items() if k != "reference"}
        updated = services.update_threat(
            request.user,
            Threat.objects.get(pk=threat.pk),
            expected_version=data.pop("lock_version", None),
            crime_types=data.pop("crime_types"),
            shared_with=data.pop("shared_with", None),
            areas=data.pop("areas"),
            **data,
        )
        messages.success(request, "Your changes have been saved.")
        return redirect(updated.get_absolute_url())

    form = style_form(ThreatForm(request.POST or None, instance=threat, user=request.user))
    return form_page(
        request,
        form,
        save,
        template="threats/form.html",
        context={"title": f"Change {threat.reference}", "threat": threat},
    )


@login_required
def threat_delete(request, reference):
    threat = policy.get_or_404(Threat.objects.all(), request.user, reference=reference)
    if not policy.can(request.user, Action.DELETE, threat):
        raise PermissionDenied("Only the owning organisation's administrators may delete a threat.")
    form = style_form(DeleteForm(request.POST or None))
    if request.method == "POST" and form.is_valid():
        try:
            services.delete_threat(request.user, threat, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{reference} has been deleted.")
            return redirect("threats:list")
    status = 400 if form.errors else 200
    return render(request, "threats/delete.html", {"form": form, "threat": threat}, status=status)


EXPORT_COLUMNS = [
    "Reference",
    "Name",
    "Threat type",
    "Owner",
    "Region",
    "Type",
    "Moderation status",
    "SOC",
    "Tier",
    "Phase",
    "Crime types",
    "LRO",
    "Assessment date",
    "Score",
    "Handling",
]


@login_required
def threat_export(request, fmt):
    """The master list as filtered on screen, as CSV or XLSX (a reason is required)."""
    base = Threat.objects.visible_to(request.user).with_related().select_related("owner__region")
    filterset = ThreatFilter(_listed(request), queryset=base, request=request)
    qs = filterset.qs if filterset.is_valid() else base.none()

    def rows():
        def gen():
            for t in qs.iterator(chunk_size=1000):
                yield [
                    t.reference,
                    t.name,
                    t.get_threat_type_display(),
                    t.owner.name,
                    t.owner.region.name if t.owner.region else "",
                    t.get_category_display(),
                    t.get_moderation_status_display(),
                    t.get_soc_display(),
                    t.get_tier_display() if t.tier else "",
                    t.phase.name if t.phase else "",
                    "; ".join(c.label for c in t.crime_types.all()),
                    str(t.lro) if t.lro else "",
                    t.assessed_on.isoformat() if t.assessed_on else "",
                    str(t.score) if t.score is not None else "",
                    t.get_handling_display(),
                ]

        return qs.count(), gen()

    return export_view(
        request,
        record_type="threats.threat",
        title="The master list",
        columns=EXPORT_COLUMNS,
        rows=rows,
        filename="masterlist",
        fmt=fmt,
        filters={k: v for k, v in request.GET.items() if v},
    )


@login_required
def nominal_list(request):
    base = (
        Nominal.objects.visible_to(request.user).select_related("owner").prefetch_related("aliases")
    )
    filterset = NominalFilter(request.GET, queryset=base, request=request)
    style_form(filterset.form, filters=True)
    qs = filterset.qs if filterset.is_valid() else base.none()
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    log_list(request, page, Nominal)
    params = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "threats/nominal_list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "querystring_without_page": urlencode(params) + "&" if params else "",
            "can_create": not policy.is_read_only(request.user)
            and any(m.role in policy.WRITE_ROLES for m in request.user.active_memberships),
        },
    )


@login_required
def nominal_detail(request, reference):
    nominal = policy.get_or_404(
        Nominal.objects.select_related("owner"), request.user, reference=reference
    )
    redirect_to = open_record(request, nominal)
    if redirect_to:
        return redirect_to
    visible_threats = Threat.objects.visible_to(request.user)
    memberships = nominal.memberships.filter(threat__in=visible_threats).select_related("threat")
    return render(
        request,
        "threats/nominal_detail.html",
        {
            "nominal": nominal,
            "memberships": memberships,
            "hidden_memberships": nominal.memberships.exclude(threat__in=visible_threats).count(),
            "aliases": nominal.aliases.all(),
            "identifiers": nominal.identifiers.all(),
            "panels": registry.record_panels_for("nominal", request, nominal),
        },
    )


@login_required
def nominal_create(request):
    if policy.is_read_only(request.user):
        raise PermissionDenied("Inspectors cannot create records.")

    def save(data):
        data = dict(data)
        nominal = services.create_nominal(
            request.user,
            owner=data.pop("owner"),
            aliases=data.pop("aliases"),
            identifiers=data.pop("identifiers"),
            **data,
        )
        messages.success(request, f"{nominal.reference} {nominal} has been added.")
        return redirect(nominal.get_absolute_url())

    form = style_form(NominalForm(request.POST or None, user=request.user))
    return form_page(
        request,
        form,
        save,
        template="threats/form.html",
        context={
            "title": "Add a nominal",
            "panels": registry.record_panels_for("nominal-form", request, None),
        },
    )


@login_required
def member_add(request, reference):
    threat = _threat_to_change(request, reference)

    def save(data):
        nominal = (
            Nominal.objects.visible_to(request.user)
            .filter(reference=data["nominal"].strip())
            .first()
        )
        if nominal is None:
            raise ValidationError({"nominal": [f"No nominal {data['nominal']} that you may see."]})
        services.add_member(
            request.user,
            threat,
            nominal,
            role=data["role"],
            from_date=data["from_date"],
            to_date=data["to_date"],
            notes=data["notes"],
        )
        messages.success(request, f"{nominal} has been added to {threat.reference}.")
        return redirect(threat.get_absolute_url())

    return form_page(
        request,
        style_form(MemberForm(request.POST or None)),
        save,
        template="threats/form.html",
        context={"title": f"Add a member to {threat.reference}", "threat": threat},
    )


@login_required
def link_add(request, reference):
    threat = _threat_to_change(request, reference)

    def save(data):
        services.add_link(request.user, threat, **data)
        messages.success(request, "The link has been added.")
        return redirect(threat.get_absolute_url())

    return form_page(
        request,
        style_form(LinkForm(request.POST or None)),
        save,
        template="threats/form.html",
        context={"title": f"Link something to {threat.reference}", "threat": threat},
    )


EXCEPTIONS_PAGE = 25


@login_required
def exceptions_report(request):
    """Every exception check over the threats the user may see, narrowed by owner, by scope
    (``mine=lro``: threats they lead; ``mine=organisation``: their organisations' threats) and to
    one check (``check``); a summary with a count and a jump link per check, each check paged on
    its own (``page-<check>``)."""
    from . import exceptions

    qs, owner, mine = _exceptions_threats(request)
    keys = {check.key for check in exceptions.checks()}
    only = request.GET.get("check", "")
    only = only if only in keys else ""
    scope = exceptions.scope_for(qs, request.user, mine, owner)
    results = exceptions.run_all(qs, only=only or None, scope=scope)
    sections = []
    for check, rows in results:
        param = f"page-{check.key}"
        page = Paginator(rows, EXCEPTIONS_PAGE).get_page(request.GET.get(param))
        others = {k: v for k, v in request.GET.items() if k != param and v}
        sections.append(
            {
                "check": check,
                "count": len(rows),
                "page_obj": page,
                "page_param": param,
                "querystring": urlencode(others) + "&" if others else "",
            }
        )
    return render(
        request,
        "threats/exceptions.html",
        {
            "sections": sections,
            "owner": owner,
            "mine": mine,
            "only": only,
            "scopes": exceptions.SCOPES,
            "all_checks": exceptions.checks(),
            "lro_limit": exceptions.lro_limit(),
            "total": exceptions.total(results),
        },
    )


def _exceptions_threats(request):
    """The threats the exceptions report (page or download) runs over: those the user may see,
    narrowed by ``owner`` and by the ``mine`` scope; returned with the owner and scope used."""
    from . import exceptions

    qs = Threat.objects.visible_to(request.user)
    owner = request.GET.get("owner", "").strip()
    if owner:
        qs = ThreatFilter({"owner": owner}, queryset=qs, request=request).qs
    mine = request.GET.get("mine", "")
    mine = mine if mine in dict(exceptions.SCOPES) else ""
    return exceptions.scoped(qs, request.user, mine), owner, mine


@login_required
def exceptions_export(request, fmt):
    """The exceptions report as CSV, XLSX or JSON (a reason is asked for and recorded)."""
    from socmaster.core.exports import export_view

    from . import exception_rows, exceptions

    qs, owner, mine = _exceptions_threats(request)

    def build():
        found = exception_rows.rows(qs, exceptions.scope_for(qs, request.user, mine, owner))
        return len(found), ([r[c] for c in exception_rows.COLUMNS] for r in found)

    return export_view(
        request,
        record_type="threats.exceptions",
        title="Exceptions report",
        columns=exception_rows.COLUMNS,
        rows=build,
        filename="exceptions",
        fmt=fmt,
        filters={k: v for k, v in (("owner", owner), ("mine", mine)) if v},
    )
