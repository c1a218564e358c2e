"""Disruption pages: record, view, submit and moderate; reports, the extract and the recording audit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from socmaster.core import policy
from socmaster.core.exports import export_view
from socmaster.core.forms import style_form
from socmaster.core.views import form_page, log_list, open_record
from socmaster.organisations.models import Organisation
from socmaster.threats.models import Threat

from . import reports, services
from .choices import DisruptionStatus, DisruptionType
from .filters import DisruptionFilter
from .forms import DecisionForm, DisruptionForm, PeriodForm
from .models import Disruption


def _get(request, reference) -> Disruption:
    d = (
        Disruption.objects.visible_to(request.user)
        .select_related(
            "threat",
            "threat__owner",
            "recording_organisation",
            "tactic",
            "recorder",
            "moderator",
            "standard",
            "lead",
        )
        .filter(reference=reference)
        .first()
    )
    if d is None:
        raise Http404("No such disruption.")
    return d


@login_required
def disruption_list(request):
    base = Disruption.objects.visible_to(request.user).select_related(
        "threat", "recording_organisation", "tactic"
    )
    filterset = DisruptionFilter(request.GET, queryset=base, request=request)
    style_form(filterset.form, filters=True)
    qs = filterset.qs if filterset.is_valid() else base.none()
    page = Paginator(qs.order_by(*(qs.query.order_by or ["-event_date", "-id"])), 25).get_page(
        request.GET.get("page")
    )
    log_list(request, page, Disruption)
    params = "&".join(f"{k}={v}" for k, v in request.GET.items() if k != "page" and v)
    return render(
        request,
        "disruptions/list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "querystring_without_page": params + "&" if params else "",
        },
    )


@login_required
def disruption_create(request, reference):
    threat = policy.get_or_404(
        Threat.objects.select_related("owner"), request.user, reference=reference
    )
    if policy.is_read_only(request.user):
        raise PermissionDenied("Inspectors cannot record disruptions.")

    def save(data):
        data = dict(data)
        disruption = services.record_disruption(
            request.user, threat, recording_organisation=data.pop("recording_organisation"), **data
        )
        messages.success(
            request,
            f"{disruption.reference} saved as a draft. Submit it for moderation when ready.",
        )
        return redirect(disruption.get_absolute_url())

    standard = services.current_standard()
    form = style_form(
        DisruptionForm(
            request.POST or None,
            user=request.user,
            threat=threat,
            standard=standard,
            initial={"event_date": timezone.localdate(), "record_date": timezone.localdate()},
        )
    )
    return form_page(
        request,
        form,
        save,
        template="disruptions/form.html",
        context={"threat": threat, "standard": standard},
        problems=lambda values: services.problems(threat, values, standard=standard),
    )


@login_required
def disruption_edit(request, reference):
    disruption = _get(request, reference)

    def save(data):
        expected = data.pop("lock_version", None)
        updated = services.update_disruption(
            request.user, disruption, expected_version=expected, **data
        )
        messages.success(request, "Your changes have been saved.")
        return redirect(updated.get_absolute_url())

    form = style_form(
        DisruptionForm(
            request.POST or None,
            instance=disruption,
            user=request.user,
            threat=disruption.threat,
            standard=disruption.standard,
        )
    )
    return form_page(
        request,
        form,
        save,
        problems=lambda values: services.problems(disruption.threat, values, disruption=disruption),
        template="disruptions/form.html",
        context={
            "threat": disruption.threat,
            "standard": disruption.standard,
            "disruption": disruption,
        },
    )


@login_required
def disruption_detail(request, reference):
    disruption = _get(request, reference)
    if (redirect_to := open_record(request, disruption)) is not None:
        return redirect_to
    return _detail(request, disruption, style_form(DecisionForm()))


def _detail(request, disruption: Disruption, decision_form, status: int = 200):
    return render(
        request,
        "disruptions/detail.html",
        {
            "d": disruption,
            "supports": disruption.supports.all(),
            "may_submit": disruption.is_editable and (disruption.recorder_id == request.user.pk),
            "may_moderate": disruption.status == DisruptionStatus.SUBMITTED
            and services.may_moderate(request.user, disruption),
            "decision_form": decision_form,
        },
        status=status,
    )


@login_required
def disruption_transition(request, reference, action):
    disruption = _get(request, reference)
    if request.method != "POST":
        return redirect(disruption.get_absolute_url())
    try:
        if action == "submit":
            services.submit_disruption(request.user, disruption)
        elif action in ("approve", "return", "reject"):
            services.moderate_disruption(
                request.user, disruption, action, request.POST.get("reason", "")
            )
        else:
            raise Http404("No such action.")
        message = {
            "submit": "Submitted for moderation.",
            "approve": "Approved: it now counts.",
            "return": "Returned to the recorder.",
            "reject": "Rejected.",
        }[action]
        if action != "submit" and (note := services.counting_note(disruption)):
            if action == "approve" and disruption.disruption_type == DisruptionType.SUPPORT:
                message = "Approved."
            message = f"{message} {note}"
        messages.success(request, message)
    except ValidationError as exc:
        if action in ("return", "reject"):
            # Shown on the decision form, with the GOV.UK error summary, not as a banner.
            form = style_form(DecisionForm(request.POST))
            form.is_valid()
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
            return _detail(request, disruption, form, status=400)
        messages.error(request, " ".join(" ".join(v) for v in exc.message_dict.values()))
    return redirect(disruption.get_absolute_url())


@login_required
def moderation_queue(request):
    queue = services.moderation_queue(request.user).select_related(
        "threat", "threat__owner", "recorder", "recording_organisation"
    )
    return render(
        request,
        "disruptions/queue.html",
        {
            "page_obj": Paginator(queue, 25).get_page(request.GET.get("page")),
            "querystring_without_page": "",
        },
    )


def _period(request):
    today = timezone.localdate()
    default = {"date_from": today.replace(year=today.year - 1), "date_to": today}
    form = style_form(PeriodForm(request.GET or None, initial=default), filters=True)
    if request.GET and form.is_valid():
        return (
            form,
            form.cleaned_data["date_from"],
            form.cleaned_data["date_to"],
            form.cleaned_data["region"],
        )
    return form, default["date_from"], default["date_to"], None


@login_required
def report(request):
    form, start, end, region = _period(request)
    data = reports.disruption_report(
        Disruption.objects.visible_to(request.user), start, end, region
    )
    return render(
        request,
        "disruptions/report.html",
        {"form": form, "data": data, "start": start, "end": end, "query": request.GET.urlencode()},
    )


@login_required
def report_export(request, fmt):
    form, start, end, region = _period(request)
    data = reports.disruption_report(
        Disruption.objects.visible_to(request.user), start, end, region
    )
    rows = [[o["region"], o["organisation"], o["n"], o["share"]] for o in data["organisations"]]
    return export_view(
        request,
        record_type="disruptions.report",
        title="The disruption report",
        columns=["region", "organisation", "approved_disruptions", "share_of_region_percent"],
        rows=lambda: (len(rows), iter(rows)),
        filename="disruptions",
        fmt=fmt,
        filters={"from": start.isoformat(), "to": end.isoformat()},
    )


@login_required
def extract(request):
    form, start, end, region = _period(request)
    rows = reports.disruption_extract(
        Disruption.objects.visible_to(request.user), start, end, region
    )
    return render(
        request,
        "disruptions/extract.html",
        {
            "form": form,
            "rows": rows,
            "start": start,
            "end": end,
            "columns": reports.EXTRACT_COLUMNS,
            "query": request.GET.urlencode(),
            "total": sum(r["lead_disruptions"] for r in rows),
        },
    )


@login_required
def extract_csv(request):
    form, start, end, region = _period(request)
    rows = reports.disruption_extract(
        Disruption.objects.visible_to(request.user), start, end, region
    )
    cols = reports.EXTRACT_COLUMNS
    return export_view(
        request,
        record_type="disruptions.extract",
        title="The disruption extract",
        columns=cols,
        rows=lambda: (len(rows), ([r[c] for c in cols] for r in rows)),
        filename="disruption-extract",
        fmt="csv",
        filters={"from": start.isoformat(), "to": end.isoformat()},
    )


@login_required
def recording_audit(request):
    form, start, end, _ = _period(request)
    organisation = Organisation.objects.filter(key=request.GET.get("organisation", "")).first()
    data = reports.recording_audit(
        Disruption.objects.visible_to(request.user), start, end, organisation
    )
    return render(
        request,
        "disruptions/audit.html",
        {
            "form": form,
            "data": data,
            "start": start,
            "end": end,
            "organisation": organisation,
            "organisations": Organisation.objects.filter(pk__in=request.user.organisation_ids),
        },
    )


@login_required
def recording_audit_export(request, fmt):
    """The recording audit's failures (one row per record and rule) as CSV, XLSX or JSON."""
    form, start, end, _ = _period(request)
    organisation = Organisation.objects.filter(key=request.GET.get("organisation", "")).first()

    def build():
        data = reports.recording_audit(
            Disruption.objects.visible_to(request.user), start, end, organisation
        )
        return len(data["failures"]), (
            [row[c] for c in reports.AUDIT_COLUMNS] for row in reports.recording_audit_rows(data)
        )

    return export_view(
        request,
        record_type="disruptions.recording_audit",
        title="Disruption recording audit",
        columns=reports.AUDIT_COLUMNS,
        rows=build,
        filename="recording-audit",
        fmt=fmt,
        filters={
            "from": str(start),
            "to": str(end),
            "organisation": getattr(organisation, "key", ""),
        },
    )
