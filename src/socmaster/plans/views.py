"""4P plan pages: lists, the plan, actions, reviews, templates, quality dashboard and plan on a page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.choices import AuditAction
from socmaster.core.exports import export_view
from socmaster.core.forms import style_form
from socmaster.core.models import AuditEntry
from socmaster.core.reasons import REASON_TOO_SHORT, is_enough
from socmaster.core.views import form_page, log_list, open_record
from socmaster.organisations.models import Organisation
from socmaster.threats.choices import ThreatType
from socmaster.threats.models import Threat

from . import quality, services
from .choices import OPEN_STATUSES, FourP, PartnerSection, PlanStatus
from .filters import PlanActionFilter
from .forms import (
    ActionForm,
    AssigneeActionForm,
    NewPlanForm,
    PlanFilterForm,
    PlanForm,
    ReviewForm,
    TemplateForm,
)
from .models import OBJECTIVE_FIELDS, Plan, PlanAction, PlanTemplate

PAGE = 25


def _querystring(request) -> str:
    # An empty "status" (any) is kept, or the next page would fall back to open actions.
    params = {k: v for k, v in request.GET.items() if k != "page" and (v or k == "status")}
    return urlencode(params) + "&" if params else ""


def _plan(request, reference: str) -> Plan:
    """The current plan (or ``?version=N``) of a threat, if the user may see it; else 404."""
    plans = (
        Plan.objects.visible_to(request.user)
        .select_related(
            "threat",
            "threat__owner",
            "threat__owner__region",
            "threat__lro",
            "threat__sro",
            "author",
            "template",
            "updated_by",
        )
        .filter(threat__reference=reference)
    )
    version = request.GET.get("version", "")
    plan = (
        plans.filter(version=int(version)).first()
        if version.isdigit()
        else plans.filter(status=PlanStatus.CURRENT).first()
    )
    if plan is None:
        raise Http404("No such plan.")
    return plan


def _filtered_rows(request, form):
    user = request.user
    threats = Threat.objects.visible_to(user)
    plans = Plan.objects.visible_to(user).filter(threat__in=threats)
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("region"):
        threats = threats.filter(owner__region=data["region"])
        plans = plans.filter(threat__owner__region=data["region"])
    if data.get("organisation"):
        try:
            org = Organisation.objects.resolve(data["organisation"])
        except Organisation.DoesNotExist as exc:
            form.add_error("organisation", str(exc))
            return []
        threats, plans = threats.filter(owner=org), plans.filter(threat__owner=org)
    if data.get("threat_type"):
        threats = threats.filter(threat_type=data["threat_type"])
        plans = plans.filter(threat__threat_type=data["threat_type"])
    if data.get("lro"):
        threats = threats.filter(lro__username=data["lro"].strip())
        plans = plans.filter(threat__lro__username=data["lro"].strip())
    if data.get("q"):
        q = data["q"].strip()
        threats = threats.filter(reference__icontains=q) | threats.filter(name__icontains=q)
        plans = plans.filter(threat__in=threats)
    rows = quality.report(threats, plans, user=user)
    check = data.get("check")
    if check == "failing":
        rows = [r for r in rows if not r.passed]
    elif check == "passing":
        rows = [r for r in rows if r.passed]
    elif check:
        rows = [r for r in rows if check in r.failed_keys]
    sort = data.get("sort") or "organisation"
    if sort == "threat":
        rows.sort(key=lambda r: r.threat.reference)
    elif sort == "failures":
        rows.sort(key=lambda r: (-len(r.failures), r.threat.reference))
    elif sort == "review":
        rows.sort(
            key=lambda r: (r.next_review_due is None, r.next_review_due or timezone.localdate())
        )
    return rows


@login_required
def plan_list(request):
    form = style_form(PlanFilterForm(request.GET or None), filters=True)
    rows = _filtered_rows(request, form)
    page = Paginator(rows, PAGE).get_page(request.GET.get("page"))
    log_list(request, page, Plan)
    return render(
        request,
        "plans/list.html",
        {
            "form": form,
            "page_obj": page,
            "querystring_without_page": _querystring(request),
            "query": request.GET.urlencode(),
            "checks": quality.CHECKS,
        },
    )


@login_required
def plan_list_export(request):
    return quality_export(request, "csv")


@login_required
def quality_export(request, fmt):
    """The plan-quality list (as filtered) as CSV, XLSX or JSON, with each failure's reason."""
    form = PlanFilterForm(request.GET or None)
    rows = _filtered_rows(request, form)
    cols = quality.EXPORT_COLUMNS
    return export_view(
        request,
        record_type="plans.quality",
        title="The plan-quality list",
        columns=cols,
        rows=lambda: (len(rows), ([r.as_row()[c] for c in cols] for r in rows)),
        filename="plan-quality",
        fmt=fmt,
        filters={k: v for k, v in request.GET.items() if v},
    )


@login_required
def dashboard(request):
    form = style_form(PlanFilterForm(request.GET or None), filters=True)
    for name in ("check", "sort", "lro", "q"):
        form.fields.pop(name)
    rows = _filtered_rows(request, form)
    summary = quality.summarise(rows)
    chart = [
        {
            "label": o["organisation"],
            "passing": o["passing"],
            "failing": o["plans"] - o["passing"],
            "no_plan": o["no_plan"],
        }
        for o in summary["organisations"]
    ]
    return render(
        request,
        "plans/dashboard.html",
        {
            "form": form,
            "summary": summary,
            "checks": quality.CHECKS,
            "chart": chart,
            "query": request.GET.urlencode(),
            "base_query": _without(request.GET, "region", "organisation", "check", "page"),
        },
    )


def _without(params, *names: str) -> str:
    """The query string of ``params`` without ``names``, ending with '&' when not empty, so a
    link can add its own filters after it."""
    kept = params.copy()
    for name in names:
        kept.pop(name, None)
    encoded = kept.urlencode()
    return f"{encoded}&" if encoded else ""


@login_required
def reviews_due(request):
    """Reviews overdue or due soon, over every plan the user may see or (``mine``) only those of
    threats they lead or their organisations own."""
    from socmaster.threats.exceptions import SCOPES

    scopes = dict(SCOPES)
    mine = request.GET.get("mine", "")
    mine = mine if mine in scopes else ""
    rows = quality.reviews_due(request.user, mine)
    page = Paginator(rows, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "plans/reviews_due.html",
        {
            "page_obj": page,
            "querystring_without_page": f"mine={mine}&" if mine else "",
            "today": timezone.localdate(),
            "mine": mine,
            "scopes": SCOPES,
        },
    )


def _actions_filtered(request):
    """Actions in current plans, through the same FilterSet as the API; the page shows the
    user's own actions (``scope=mine``) unless asked for all of them."""
    base = (
        PlanAction.objects.visible_to(request.user)
        .filter(plan__status=PlanStatus.CURRENT)
        .select_related("plan", "plan__threat", "owner_user", "owner_organisation")
    )
    data = request.GET.copy()
    data.setdefault("scope", "mine")
    data.setdefault("status", "open")  # "status=" (any) shows closed actions too
    filterset = PlanActionFilter(data, queryset=base, request=request)
    style_form(filterset.form, filters=True)
    qs = filterset.qs if filterset.is_valid() else base.none()
    overdue = Q(status__in=OPEN_STATUSES, due_date__lt=timezone.localdate())
    qs = qs.annotate(late=Case(When(overdue, then=Value(0)), default=Value(1)))
    return (
        qs.order_by("late", F("due_date").asc(nulls_last=True), "plan__threat__reference", "id"),
        filterset,
    )


@login_required
def action_list(request):
    qs, filterset = _actions_filtered(request)
    scope = filterset.data["scope"]
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    log_list(request, page, PlanAction)
    return render(
        request,
        "plans/action_list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "querystring_without_page": _querystring(request),
            "scope": scope,
            "query": request.GET.urlencode(),
            "four_ps": FourP.choices,
            "statuses": PlanAction._meta.get_field("status").choices,
        },
    )


ACTION_COLUMNS = [
    "threat",
    "plan_version",
    "four_p",
    "description",
    "owner_person",
    "owner_organisation",
    "start_date",
    "due_date",
    "status",
    "result",
    "completed_on",
    "disruptions",
    "updated_at",
    "updated_by",
]


def _action_rows(actions):
    for a in actions:
        yield [
            a.plan.threat.reference,
            a.plan.version,
            a.get_four_p_display(),
            a.description,
            str(a.owner_user) if a.owner_user else "",
            a.owner_organisation.name if a.owner_organisation else "",
            a.start_date.isoformat() if a.start_date else "",
            a.due_date.isoformat() if a.due_date else "",
            a.get_status_display(),
            a.result,
            a.completed_on.isoformat() if a.completed_on else "",
            "; ".join(d.reference for d in a.disruptions.all()),
            timezone.localtime(a.updated_at).strftime("%Y-%m-%d %H:%M"),
            str(a.updated_by) if a.updated_by else "",
        ]


@login_required
def action_list_export(request, fmt):
    qs, _ = _actions_filtered(request)
    qs = qs.select_related("updated_by").prefetch_related("disruptions")
    return export_view(
        request,
        record_type="plans.planaction",
        title="Plan actions",
        columns=ACTION_COLUMNS,
        rows=lambda: (qs.count(), _action_rows(qs.iterator(chunk_size=500))),
        filename="plan-actions",
        fmt=fmt,
        filters={k: v for k, v in request.GET.items() if v},
    )


def _visible_actions(user, plan: Plan) -> list[PlanAction]:
    return list(
        services.visible_actions(user, plan)
        .select_related("owner_user", "owner_organisation", "updated_by")
        .prefetch_related("disruptions")
        .order_by("due_date", "id")
    )


def _plan_context(request, plan: Plan) -> dict:
    user = request.user
    full = services.has_full_view(user, plan)
    sections = services.visible_partner_sections(user, plan)
    actions = _visible_actions(user, plan)
    editable = services.may_edit(user, plan)
    by_p = []
    for p, label, text in plan.objectives():
        mine = [a for a in actions if a.four_p == p]
        for a in mine:
            a.rights = services.action_rights(user, a)
        by_p.append(
            {
                "key": p,
                "label": label,
                "objectives": text if PartnerSection.OBJECTIVES in sections else "",
                "actions": mine,
            }
        )
    result = (
        quality.evaluate(Plan.objects.filter(pk=plan.pk), user=user)[0]
        if plan.is_current and full
        else None
    )
    return {
        "plan": plan,
        "threat": plan.threat,
        "full": full,
        "sections": sections,
        "by_p": by_p,
        "may_edit": editable,
        "may_review": services.reviewer_role(user, plan) is not None and plan.is_current,
        "quality": result,
        "checks": quality.CHECKS,
        "reviews": list(plan.reviews.select_related("reviewer"))
        if PartnerSection.REVIEWS in sections
        else [],
        "versions": list(plan.threat.plans.select_related("author").order_by("-version"))
        if full
        else [],
        "show": {s: s in sections for s in PartnerSection.values},
        "partner_labels": [PartnerSection(s).label for s in plan.partner_sections or []],
        "may_read_audit": policy.can_view_audit(user),
        "today": timezone.localdate(),
    }


@login_required
def plan_detail(request, reference):
    plan = _plan(request, reference)
    redirect_to = open_record(request, plan)
    if redirect_to:
        return redirect_to
    return render(request, "plans/detail.html", _plan_context(request, plan))


def _threat_for_plan(request, reference) -> Threat:
    threat = policy.get_or_404(
        Threat.objects.select_related("owner", "lro"), request.user, reference=reference
    )
    if not services.may_write_plan(request.user, threat):
        raise PermissionDenied(
            "Only the threat's LRO and its owning organisation may write its plan."
        )
    return threat


@login_required
def plan_create(request, reference):
    threat = _threat_for_plan(request, reference)
    existing = threat.plans.filter(status=PlanStatus.CURRENT).first()
    if existing is not None:
        messages.info(request, f"{threat.reference} already has a plan.")
        return redirect(existing.get_absolute_url())
    template = services.template_for(threat)

    def save(data):
        data = dict(data)
        plan = services.create_plan(
            request.user, threat, add_suggested_actions=data.pop("add_suggested_actions"), **data
        )
        messages.success(
            request,
            "The plan has been written. Give every action an owner, a start date and a due date.",
        )
        return redirect(plan.get_absolute_url())

    form = style_form(
        NewPlanForm(request.POST or None, initial=services.initial_from_template(template))
    )
    if template is None or not template.suggested_actions:
        form.fields.pop("add_suggested_actions")
    return form_page(
        request,
        form,
        save,
        template="plans/form.html",
        context={
            "threat": threat,
            "template": template,
            "title": f"Write the 4P plan for {threat.reference}",
        },
    )


@login_required
def plan_edit(request, reference):
    plan = _plan(request, reference)
    if not services.may_edit(request.user, plan):
        raise PermissionDenied(
            "Only the threat's LRO and its owning organisation may change its plan."
        )

    def save(data):
        services.update_plan(request.user, plan, **data)
        messages.success(request, "Your changes have been saved.")
        return redirect(plan.get_absolute_url())

    form = style_form(PlanForm(request.POST or None, instance=plan))
    return form_page(
        request,
        form,
        save,
        template="plans/form.html",
        context={
            "threat": plan.threat,
            "plan": plan,
            "title": f"Change the plan for {plan.threat.reference}",
        },
    )


@login_required
def plan_new_version(request, reference):
    plan = _plan(request, reference)
    if request.method != "POST":
        return redirect(plan.get_absolute_url())
    try:
        copy = services.new_version(request.user, plan)
    except ValidationError as exc:
        messages.error(request, " ".join(" ".join(v) for v in exc.message_dict.values()))
        return redirect(plan.get_absolute_url())
    messages.success(
        request, f"Version {copy.version} started; version {plan.version} is kept unchanged."
    )
    return redirect(copy.get_absolute_url())


@login_required
def action_add(request, reference):
    plan = _plan(request, reference)
    if not services.may_edit(request.user, plan):
        raise PermissionDenied("Only the threat's LRO and its owning organisation may add actions.")

    def save(data):
        data = dict(data)
        services.add_action(request.user, plan, disruptions=data.pop("disruptions"), **data)
        messages.success(request, "The action has been added.")
        return redirect(plan.get_absolute_url() + f"#p-{data['four_p']}")

    initial = {
        "four_p": request.GET.get("four_p") if request.GET.get("four_p") in FourP.values else None
    }
    form = style_form(ActionForm(request.POST or None, plan=plan, initial=initial))
    return form_page(
        request,
        form,
        save,
        template="plans/form.html",
        context={"threat": plan.threat, "plan": plan, "title": "Add an action"},
    )


@login_required
def action_detail(request, pk):
    action = (
        PlanAction.objects.visible_to(request.user)
        .select_related(
            "plan", "plan__threat", "owner_user", "owner_organisation", "created_by", "updated_by"
        )
        .filter(pk=pk)
        .first()
    )
    if action is None:
        raise Http404("No such action.")
    plan = action.plan
    rights = services.action_rights(request.user, action)
    if not rights and request.method == "POST":
        raise PermissionDenied(
            "Only the plan's owners and the holder of this action may change it."
        )
    redirect_to = open_record(request, action)
    if redirect_to:
        return redirect_to
    history = AuditEntry.objects.filter(
        record_type="plans.planaction", record_id=str(action.pk), action__in=["create", "update"]
    ).order_by("seq")
    context = {
        "action": action,
        "plan": plan,
        "history": history,
        "assignee_only": rights == services.ASSIGNEE_FIELDS,
    }
    if not rights:
        return render(request, "plans/action.html", context)

    def save(data):
        data = dict(data)
        services.update_action(
            request.user, action, disruptions=data.pop("disruptions", None), **data
        )
        messages.success(request, "The action has been updated.")
        return redirect(plan.get_absolute_url() + f"#action-{action.pk}")

    if rights == services.ACTION_FIELDS:
        form = ActionForm(request.POST or None, instance=action, plan=plan)
    else:
        form = AssigneeActionForm(request.POST or None, instance=action)
    return form_page(request, style_form(form), save, template="plans/action.html", context=context)


@login_required
def review_add(request, reference):
    plan = _plan(request, reference)
    if services.reviewer_role(request.user, plan) is None or not plan.is_current:
        raise PermissionDenied(
            "Plans are reviewed by the threat's SRO or a chief officer of the owning "
            "organisation, and not by the plan's LRO."
        )

    def save(data):
        services.record_review(request.user, plan, **data)
        messages.success(request, "The review has been recorded.")
        return redirect(plan.get_absolute_url() + "#reviews")

    form = style_form(
        ReviewForm(request.POST or None, initial={"reviewed_on": timezone.localdate()})
    )
    return form_page(
        request,
        form,
        save,
        template="plans/form.html",
        context={
            "threat": plan.threat,
            "plan": plan,
            "title": f"Review the plan for {plan.threat.reference}",
        },
    )


def _print_context(request, plan: Plan) -> dict:
    context = _plan_context(request, plan)
    context["printed_at"] = timezone.localtime()
    context["printed_by"] = request.user
    return context


@login_required
def plan_print(request, reference):
    """The plan on a page, for partner meetings: print it from the browser or download the PDF."""
    plan = _plan(request, reference)
    redirect_to = open_record(request, plan)
    if redirect_to:
        return redirect_to
    return render(
        request, "plans/print.html", {**_print_context(request, plan), "for_screen": True}
    )


@login_required
def plan_pdf(request, reference):
    """The plan on a page as a PDF. A reason is asked for: the file leaves the system."""
    plan = _plan(request, reference)
    reason = request.POST.get("reason", "").strip() if request.method == "POST" else ""
    if not is_enough(reason):
        return render(
            request,
            "core/reason.html",
            {
                "title": f"Why are you downloading the plan for {plan.threat.reference}?",
                "action_label": "Download PDF",
                "error": REASON_TOO_SHORT if request.method == "POST" else "",
                "explain": "Plans on a page are shared with partners; each download is recorded with its reason.",
            },
            status=400 if request.method == "POST" else 200,
        )
    from weasyprint import HTML

    html = render_to_string(
        "plans/print.html", {**_print_context(request, plan), "for_screen": False}, request=request
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    with transaction.atomic():
        audit.record(
            AuditAction.EXPORT,
            plan,
            user=request.user,
            reason=reason,
            changes={"format": "pdf", "version": plan.version},
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="plan-{plan.threat.reference}-v{plan.version}.pdf"'
    )
    return response


@login_required
def plan_actions_export(request, reference, fmt):
    plan = _plan(request, reference)
    actions = _visible_actions(request.user, plan)
    return export_view(
        request,
        record_type="plans.planaction",
        title=f"Actions of the plan for {plan.threat.reference}",
        columns=ACTION_COLUMNS,
        rows=lambda: (len(actions), _action_rows(actions)),
        filename=f"plan-{plan.threat.reference}-actions",
        fmt=fmt,
        filters={"threat": plan.threat.reference, "version": plan.version},
    )


# --- Templates -----------------------------------------------------------------------------------


@login_required
def template_list(request):
    user = request.user
    editable = [
        o
        for o in Organisation.objects.filter(pk__in=user.organisation_ids)
        if services.may_edit_template(user, o)
    ]
    templates = PlanTemplate.objects.select_related("organisation").filter(
        organisation__isnull=True
    ) | PlanTemplate.objects.filter(organisation__in=user.organisation_ids)
    return render(
        request,
        "plans/templates.html",
        {
            "templates": templates.order_by("organisation__name", "threat_type"),
            "editable": editable,
            "threat_types": ThreatType.choices,
        },
    )


@login_required
def template_edit(request, org_key, threat_type):
    organisation = Organisation.objects.filter(key=org_key).first()
    if organisation is None or threat_type not in ThreatType.values:
        raise Http404("No such template.")
    if not services.may_edit_template(request.user, organisation):
        raise PermissionDenied(
            "Only the organisation's administrators may change its plan templates."
        )
    current = (
        PlanTemplate.objects.filter(organisation=organisation, threat_type=threat_type).first()
        or PlanTemplate.objects.filter(organisation=None, threat_type=threat_type).first()
    )
    initial = {}
    if current is not None:
        initial = {
            "name": current.name
            if current.organisation_id
            else f"{organisation.short_name}: {ThreatType(threat_type).label}",
            "aim": current.aim,
            **{n: getattr(current, n) for n in OBJECTIVE_FIELDS.values()},
            "suggested_actions": "\n".join(
                f"{a['four_p']}: {a['description']}" for a in current.suggested_actions
            ),
        }

    def save(data):
        services.save_template(
            request.user, organisation=organisation, threat_type=threat_type, **data
        )
        messages.success(
            request, "The template has been saved. New plans of this threat type will use it."
        )
        return redirect("plans:templates")

    form = style_form(TemplateForm(request.POST or None, initial=initial))
    return form_page(
        request,
        form,
        save,
        template="plans/form.html",
        context={
            "title": f"{organisation.short_name} template for {ThreatType(threat_type).label.lower()}s"
        },
    )
