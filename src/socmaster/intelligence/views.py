"""Intelligence and SAR pages: the processing queues with bulk triage, report and SAR pages, the
forms that submit, correct, sanitise and disseminate, the DAML clock, the backlog dashboard and
exports. Every rule is in ``services``; these views only read what the policy lets the user see."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from socmaster.core import policy, registry
from socmaster.core.exports import export_view
from socmaster.core.forms import add_service_errors, style_form
from socmaster.core.views import form_page, log_list, open_record
from socmaster.organisations.models import Organisation

from . import reports, services
from .choices import (
    TRANSITION_LABELS,
    TRANSITIONS,
    WAITING,
    ConsentDecision,
    Flag,
    Priority,
    SarType,
)
from .forms import (
    ConsentForm,
    DisseminateForm,
    ExtensionForm,
    GradingForm,
    ReasonForm,
    ReportForm,
    SanitisedForm,
    TriageForm,
)
from .models import IntelligenceReport, SuspiciousActivityReport

PAGE_SIZE = 50
KINDS = {"reports": IntelligenceReport, "sars": SuspiciousActivityReport}


def _get(request, model, reference):
    record = (
        model.objects.visible_to(request.user)
        .select_related("owner", "assigned_to", "triaged_by")
        .filter(reference=reference)
        .first()
    )
    if record is None:
        raise Http404("No such record.")
    return record


def _queue_filtered(request, model):
    """The queue the user may see, narrowed by the page's filters (organisation, priority,
    status, assigned, flag or type, overdue, reference)."""
    qs = services.queue(request.user, model).select_related("owner", "assigned_to")
    params = request.GET
    if org := params.get("organisation"):
        qs = qs.filter(owner__key=org)
    if (priority := params.get("priority")) in Priority.values:
        qs = qs.filter(priority=priority)
    if (status := params.get("status")) in WAITING:
        qs = qs.filter(status=status)
    assigned = params.get("assigned")
    if assigned == "me":
        qs = qs.filter(assigned_to=request.user)
    elif assigned == "nobody":
        qs = qs.filter(assigned_to__isnull=True)
    if params.get("overdue") == "yes":
        qs = qs.filter(services.overdue_q())
    if model is IntelligenceReport and (flag := params.get("flag")) in Flag.values:
        qs = qs.filter(**{flag: True})
    if model is SuspiciousActivityReport and (kind := params.get("type")) in SarType.values:
        qs = qs.filter(sar_type=kind)
    if ref := params.get("q", "").strip():
        qs = qs.filter(reference__icontains=ref)
    return qs


def _organisations(user):
    """Organisations whose records this user may see in a queue (for the filter)."""
    if policy.is_reader_of_everything(user):
        return Organisation.objects.exclude(type__in=["region", "inspectorate"]).order_by("name")
    return Organisation.objects.filter(pk__in=user.organisation_ids).order_by("name")


def _triage(request, model):
    """Bulk triage from the queue: all chosen records, or none."""
    ids = [i for i in request.POST.getlist("record") if i.isdigit()]
    chosen = list(model.objects.visible_to(request.user).filter(pk__in=ids))
    if request.POST.get("claim"):
        priority, assignee = None, request.user
    else:
        form = TriageForm(request.POST, assignees=_assignees(request.user))
        if not form.is_valid():
            raise ValidationError({"assignee": ["Choose someone from the list."]})
        priority = form.cleaned_data["priority"] or None
        assignee = form.cleaned_data["assignee"]
    if len(chosen) != len(ids):
        raise ValidationError({"records": ["Some of the chosen records no longer exist."]})
    changed = services.triage(request.user, chosen, priority=priority, assignee=assignee)
    return changed


def _assignees(user):
    return services.researchers_of(m.organisation_id for m in user.active_memberships)


def _queue_page(request, kind: str):
    model = KINDS[kind]
    errors = []
    if request.method == "POST":
        try:
            changed = _triage(request, model)
            messages.success(request, f"{changed} record{'s' if changed != 1 else ''} triaged.")
            return redirect(request.get_full_path())
        except (ValidationError, PermissionDenied, Http404) as exc:
            errors = (
                [m for ms in exc.message_dict.values() for m in ms]
                if isinstance(exc, ValidationError) and hasattr(exc, "message_dict")
                else [str(exc) or "You may not triage one of the chosen records."]
            )
    qs = _queue_filtered(request, model)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    log_list(request, page, model)
    today = timezone.localdate()
    levels = services.service_levels()
    rows = []
    for record in page:
        row = {
            "r": record,
            "waiting": services.waiting_days(record, today),
            "level": levels.get(record.priority),
            "overdue": services.is_overdue(record, today),
        }
        if kind == "sars":
            row["clock"] = services.sar_clock(record, today)
        rows.append(row)
    params = "&".join(f"{k}={v}" for k, v in request.GET.items() if k != "page" and v)
    return render(
        request,
        f"intelligence/{'sar_queue' if kind == 'sars' else 'queue'}.html",
        {
            "page_obj": page,
            "rows": rows,
            "kind": kind,
            "organisations": _organisations(request.user),
            "priorities": Priority.choices,
            "flags": Flag.choices,
            "sar_types": SarType.choices,
            "triage_form": style_form(TriageForm(assignees=_assignees(request.user))),
            "may_triage": bool(_assignees(request.user).filter(pk=request.user.pk).exists()),
            "errors": errors,
            "may_submit": not policy.is_read_only(request.user),
            "querystring_without_page": params + "&" if params else "",
            "export_query": params,
        },
        status=400 if errors else 200,
    )


@login_required
def report_queue(request):
    return _queue_page(request, "reports")


@login_required
def sar_queue(request):
    return _queue_page(request, "sars")


# --- Intelligence reports ------------------------------------------------------------------------


@login_required
def report_new(request):
    if policy.is_read_only(request.user):
        raise PermissionDenied("Inspectors do not submit intelligence.")
    form = style_form(
        ReportForm(
            request.POST or None, user=request.user, initial={"submitted_on": timezone.localdate()}
        )
    )

    def save(data):
        report = services.submit_report(
            request.user,
            owner=data["owner"],
            values=form.values(),
            subjects=data["subjects"],
            mentions=form.mentions(),
            threats=data["threats"],
        )
        messages.success(request, f"{report.reference} submitted: it is in the processing queue.")
        return redirect(report.get_absolute_url())

    return form_page(
        request,
        form,
        save,
        template="intelligence/form.html",
        context={"title": "Submit an intelligence report"},
    )


@login_required
def report_detail(request, reference):
    report = _get(request, IntelligenceReport, reference)
    if (redirect_to := open_record(request, report)) is not None:
        return redirect_to
    return render(request, "intelligence/report.html", _report_context(request, report))


def _report_context(request, report, **extra):
    user = request.user
    processor = services.can_process(user, report)
    moves = [
        (name, TRANSITION_LABELS[name])
        for name, (sources, _) in TRANSITIONS.items()
        if report.status in sources and name != "disseminate"
    ]
    return {
        "report": report,
        "subjects": report.subjects.select_related("nominal"),
        "mentions": report.mentions.all(),
        "threats": report.threats.visible_to(user),
        "disseminations": report.disseminations.select_related("organisation", "disseminated_by"),
        "reads_original": services.can_read_original(user, report),
        "processor": processor,
        "moves": moves if processor else [],
        "reason_form": style_form(ReasonForm()),
        "waiting": services.waiting_days(report),
        "overdue": services.is_overdue(report),
        "level": services.service_levels().get(report.priority),
        "factors": services.report_factors(report),
        **extra,
    }


@login_required
def report_original(request, reference):
    """The report as submitted: only for its readers, with a reason, each reading audited."""
    report = _get(request, IntelligenceReport, reference)
    if not services.can_read_original(request.user, report):
        raise PermissionDenied(
            "Only the intelligence unit and named researchers read the original."
        )
    form = style_form(ReasonForm(request.POST or None))
    if request.method == "POST" and form.is_valid():
        try:
            text = services.open_original(request.user, report, reason=form.cleaned_data["reason"])
            return render(
                request, "intelligence/original.html", {"report": report, "original": text}
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(
        request,
        "intelligence/original_reason.html",
        {"report": report, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def report_edit(request, reference):
    report = _get(request, IntelligenceReport, reference)
    if not services.can_process(request.user, report):
        raise PermissionDenied("Only the intelligence unit corrects a report's grading.")
    initial = {name: getattr(report, name) for name in services.EDITABLE_FIELDS}
    initial["lock_version"] = report.lock_version
    form = style_form(GradingForm(request.POST or None, initial=initial))

    def save(data):
        expected = data.pop("lock_version", None)
        changes = services.update_report(request.user, report, data, expected_version=expected)
        messages.success(request, "Saved." if changes else "Nothing was changed.")
        return redirect(report.get_absolute_url())

    return form_page(
        request,
        form,
        save,
        template="intelligence/form.html",
        context={"title": f"Grading of {report.reference}", "report": report},
    )


@login_required
def report_sanitise(request, reference):
    report = _get(request, IntelligenceReport, reference)
    if not (
        services.can_process(request.user, report)
        and services.can_read_original(request.user, report)
    ):
        raise PermissionDenied("Only the intelligence unit writes the sanitised copy.")
    form = style_form(
        SanitisedForm(
            request.POST or None,
            initial={"sanitised_text": report.sanitised_text, "lock_version": report.lock_version},
        )
    )

    def save(data):
        changes = services.write_sanitised(
            request.user, report, data["sanitised_text"], expected_version=data["lock_version"]
        )
        messages.success(request, "Sanitised copy saved." if changes else "Nothing was changed.")
        return redirect(report.get_absolute_url())

    return form_page(
        request,
        form,
        save,
        template="intelligence/form.html",
        context={
            "title": f"Sanitised copy of {report.reference}",
            "report": report,
            "explain": "Write it from the original (open it from the report's page; the reading is "
            "recorded). Others read only this copy.",
        },
    )


@login_required
def report_disseminate(request, reference):
    report = _get(request, IntelligenceReport, reference)
    if not services.can_process(request.user, report):
        raise PermissionDenied("Only the intelligence unit disseminates a report.")
    form = style_form(DisseminateForm(request.POST or None, report=report))

    def save(data):
        made = services.disseminate(
            request.user, report, data["organisations"], purpose=data["purpose"]
        )
        messages.success(
            request, f"Disseminated to {', '.join(d.organisation.name for d in made)}."
        )
        return redirect(report.get_absolute_url())

    return form_page(
        request,
        form,
        save,
        template="intelligence/form.html",
        context={"title": f"Disseminate {report.reference}", "report": report},
    )


def _move(request, model, reference):
    record = _get(request, model, reference)
    if request.method != "POST":
        return redirect(record.get_absolute_url())
    name = request.POST.get("transition", "")
    try:
        if name == "claim":
            services.claim(request.user, record)
            messages.success(request, "Assigned to you.")
        else:
            services.move(request.user, record, name, reason=request.POST.get("reason", ""))
            messages.success(request, f"{TRANSITION_LABELS.get(name, name)}: done.")
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)
    return redirect(record.get_absolute_url())


@login_required
def report_move(request, reference):
    return _move(request, IntelligenceReport, reference)


# --- SARs ----------------------------------------------------------------------------------------


@login_required
def sar_detail(request, reference):
    sar = _get(request, SuspiciousActivityReport, reference)
    if (redirect_to := open_record(request, sar)) is not None:
        return redirect_to
    return render(request, "intelligence/sar.html", _sar_context(request, sar))


def _sar_context(request, sar, **extra):
    processor = services.can_process(request.user, sar)
    moves = [
        (name, TRANSITION_LABELS[name])
        for name, (sources, _) in TRANSITIONS.items()
        if sar.status in sources and name != "disseminate"
    ]
    return {
        "sar": sar,
        "subjects": sar.subjects.all(),
        "accounts": sar.linked_accounts.all(),
        "extensions": sar.extensions.all(),
        "clock": services.sar_clock(sar),
        "processor": processor,
        "moves": moves if processor else [],
        "consent_open": sar.is_daml and sar.consent_decision in ("", ConsentDecision.PENDING),
        "consent_form": extra.pop("consent_form", None)
        or style_form(ConsentForm(initial={"decided_on": timezone.localdate()})),
        "extension_form": extra.pop("extension_form", None)
        or style_form(ExtensionForm(initial={"granted_on": timezone.localdate()})),
        "waiting": services.waiting_days(sar),
        "overdue": services.is_overdue(sar),
        "level": services.service_levels().get(sar.priority),
        "factors": services.sar_factors(sar),
        "panels": registry.record_panels_for("sar", request, sar),
        # Whether its subjects match the master list is police information: not for partners.
        "show_screening": policy.is_police_user(request.user),
        **extra,
    }


@login_required
def sar_consent(request, reference):
    sar = _get(request, SuspiciousActivityReport, reference)
    if request.method != "POST":
        return redirect(sar.get_absolute_url())
    form = style_form(ConsentForm(request.POST))
    if form.is_valid():
        try:
            services.record_consent(
                request.user, sar, form.cleaned_data["decision"], on=form.cleaned_data["decided_on"]
            )
            messages.success(request, "Decision recorded.")
            return redirect(sar.get_absolute_url())
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(
        request, "intelligence/sar.html", _sar_context(request, sar, consent_form=form), status=400
    )


@login_required
def sar_extend(request, reference):
    sar = _get(request, SuspiciousActivityReport, reference)
    if request.method != "POST":
        return redirect(sar.get_absolute_url())
    form = style_form(ExtensionForm(request.POST))
    if form.is_valid():
        try:
            services.extend_moratorium(request.user, sar, **form.cleaned_data)
            messages.success(request, "Extension recorded.")
            return redirect(sar.get_absolute_url())
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(
        request,
        "intelligence/sar.html",
        _sar_context(request, sar, extension_form=form),
        status=400,
    )


@login_required
def sar_move(request, reference):
    return _move(request, SuspiciousActivityReport, reference)


# --- Dashboard and exports -----------------------------------------------------------------------


@login_required
def dashboard(request):
    organisations = _organisations(request.user)
    key = request.GET.get("organisation") or ""
    chosen = organisations.filter(key=key).first() if key else None
    if key and chosen is None:
        raise Http404("No such organisation.")
    scope = {"owner": chosen} if chosen else {}
    reports_qs = IntelligenceReport.objects.visible_to(request.user).filter(**scope)
    sars_qs = SuspiciousActivityReport.objects.visible_to(request.user).filter(**scope)
    figures = {
        "reports": reports.backlog(reports_qs),
        "sars": reports.backlog(sars_qs, screening=True),
    }
    charts = {
        kind: {
            "weeks": [
                {
                    "week": w["week"].isoformat(),
                    "received": w["received"],
                    "processed": w["processed"],
                }
                for w in b.weeks
            ],
            "priorities": [{"label": r["label"], "bands": r["bands"]} for r in b.by_priority],
            "bands": [label for label, _, _ in reports.AGE_BANDS],
        }
        for kind, b in figures.items()
    }
    return render(
        request,
        "intelligence/dashboard.html",
        {
            "figures": figures,
            "charts": charts,
            "bands": [label for label, _, _ in reports.AGE_BANDS],
            "organisations": organisations,
            "chosen": chosen,
            "may_submit": not policy.is_read_only(request.user),
        },
    )


REPORT_EXPORT_COLUMNS = [
    "Reference",
    "Organisation",
    "Received",
    "Days waiting",
    "Priority",
    "Risk",
    "Status",
    "Assigned to",
    "Grading",
    "Flags",
    "Handling conditions",
]
SAR_EXPORT_COLUMNS = [
    "SAR reference",
    "Organisation",
    "Received",
    "Days waiting",
    "Priority",
    "Risk",
    "Status",
    "Assigned to",
    "Type",
    "Amount",
    "Screening",
    "Notice period ends",
    "Moratorium ends",
]


@login_required
def queue_export(request, kind, fmt):
    if kind not in KINDS:
        raise Http404("No such queue.")
    model = KINDS[kind]
    qs = _queue_filtered(request, model)
    today = timezone.localdate()

    def rows():
        def gen():
            for r in qs.iterator(chunk_size=1000):
                common = [
                    r.reference,
                    r.owner.name,
                    r.submitted_on,
                    services.waiting_days(r, today),
                    r.get_priority_display(),
                    r.risk,
                    r.get_status_display(),
                    getattr(r.assigned_to, "username", ""),
                ]
                if kind == "sars":
                    state = services.sar_clock(r, today)
                    yield common + [
                        r.get_sar_type_display(),
                        r.amount,
                        r.get_screening_status_display(),
                        state.notice_ends if state else "",
                        (state.moratorium_ends or "") if state else "",
                    ]
                else:
                    yield common + [r.grading, "; ".join(r.flags), r.handling_conditions]

        return qs.count(), gen()

    return export_view(
        request,
        record_type=f"intelligence.{model._meta.model_name}",
        title="The intelligence queue" if kind == "reports" else "The SAR queue",
        columns=SAR_EXPORT_COLUMNS if kind == "sars" else REPORT_EXPORT_COLUMNS,
        rows=rows,
        filename=f"{kind}-queue",
        fmt=fmt,
        filters={k: v for k, v in request.GET.items() if v},
    )
