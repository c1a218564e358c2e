"""Master-list pages. Views stay thin: reads start from visible_to, writes call services."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse

from socmaster.core import policy
from socmaster.core.choices import Action
from socmaster.core.reasons import current_reason, record_key
from socmaster.core.services import record_view
from socmaster.web.views import style_form

from . import services
from .filters import ThreatFilter
from .forms import DeleteForm, ThreatForm
from .models import Threat


def _apply_service_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
def threat_list(request):
    base = Threat.objects.visible_to(request.user).with_related()
    filterset = ThreatFilter(request.GET, queryset=base, request=request)
    style_form(filterset.form)
    qs = filterset.qs if filterset.is_valid() else base.none()
    page = Paginator(qs.order_by(*(qs.query.order_by or ["reference"])), 25).get_page(request.GET.get("page"))
    params = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(request, "threats/list.html", {
        "filter": filterset, "page_obj": page,
        "querystring_without_page": urlencode(params) + "&" if params else "",
        "can_create": any(m.role in policy.WRITE_ROLES for m in request.user.active_memberships)
        and not policy.is_read_only(request.user),
    })


@login_required
def threat_detail(request, reference):
    threat = policy.get_or_404(Threat.objects.with_related(), request.user, reference=reference)
    reason = ""
    if threat.is_restricted:
        reason = current_reason(request, record_key(threat))
        if not reason:
            query = urlencode({"next": request.get_full_path(), "record": record_key(threat)})
            return redirect(f"{reverse('give-reason')}?{query}")
    record_view(request.user, threat, reason)
    return render(request, "threats/detail.html", {
        "threat": threat,
        "can_change": policy.can(request.user, Action.CHANGE, threat),
        "can_delete": policy.can(request.user, Action.DELETE, threat),
        "shared_with": threat.shared_with.all(),
    })


@login_required
def threat_create(request):
    if policy.is_read_only(request.user):
        raise PermissionDenied("Inspectors cannot create records.")
    form = style_form(ThreatForm(request.POST or None, user=request.user))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            threat = services.create_threat(
                request.user, owner=data.pop("owner"), crime_types=data.pop("crime_types"),
                shared_with=data.pop("shared_with"), **data,
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        else:
            messages.success(request, f"{threat.reference} has been added to the master list.")
            return redirect(threat.get_absolute_url())
    return render(request, "threats/form.html", {"form": form, "title": "Add a threat"})


@login_required
def threat_edit(request, reference):
    threat = policy.get_or_404(Threat.objects.all(), request.user, reference=reference)
    if not policy.can(request.user, Action.CHANGE, threat):
        raise PermissionDenied("You may not change this threat.")
    form = style_form(ThreatForm(request.POST or None, instance=threat, user=request.user))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "reference"}
        threat.refresh_from_db()
        try:
            threat = services.update_threat(request.user, threat, crime_types=data.pop("crime_types"),
                                            shared_with=data.pop("shared_with"), **data)
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        else:
            messages.success(request, "Your changes have been saved.")
            return redirect(threat.get_absolute_url())
    return render(request, "threats/form.html", {"form": form, "title": f"Change {threat.reference}", "threat": threat})


@login_required
def threat_delete(request, reference):
    threat = policy.get_or_404(Threat.objects.all(), request.user, reference=reference)
    if not policy.can(request.user, Action.DELETE, threat):
        raise PermissionDenied("Only the owning organisation's administrators may delete a threat.")
    form = style_form(DeleteForm(request.POST or None))
    if request.method == "POST" and form.is_valid():
        services.delete_threat(request.user, threat, reason=form.cleaned_data["reason"])
        messages.success(request, f"{reference} has been deleted.")
        return redirect("threats:list")
    return render(request, "threats/delete.html", {"form": form, "threat": threat})
