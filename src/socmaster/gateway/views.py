"""Gateway pages: the gateway's queue and the requests a user may see, a request's page with
every step of its workflow, the submission form, capabilities and offers, and the demand
dashboard. Every rule is in ``services``; these views only read what the policy lets the user
see and put the service's errors back on the form that caused them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode

from socmaster.core import audit, policy
from socmaster.core.choices import Action
from socmaster.core.exports import export_view
from socmaster.core.forms import add_service_errors, style_form
from socmaster.core.views import form_page, log_list, open_record
from socmaster.organisations.models import Organisation

from . import clock, filters, services
from .choices import AWAITING_DECISION, CLOSED, TRANSITION_LABELS, Authority, RequestStatus
from .forms import (
    HANDLING_LABELS,
    AcceptForm,
    AssignForm,
    CompleteForm,
    CriteriaForm,
    DeclineForm,
    DemandForm,
    OfferForm,
    OverrideForm,
    PauseForm,
    ReferForm,
    RequestForm,
    ResumeForm,
    StartForm,
    TriageForm,
    WithdrawForm,
)
from .models import Capability, CapabilityOffer, SupportRequest

PAGE_SIZE = 25


def _get(request, reference) -> SupportRequest:
    """The request with this reference if the user may see it; a hidden one is a missing one."""
    found = (
        SupportRequest.objects.visible_to(request.user)
        .with_related()
        .select_related("owner__region", "assigned_to", "decided_by", "override_by", "offer")
        .prefetch_related("pauses")
        .filter(reference=reference)
        .first()
    )
    if found is None:
        raise Http404("No such record.")
    return found


def _is_officer(user) -> bool:
    return bool(services.gateway_organisation_ids(user)) and not policy.is_read_only(user)


def _describe_clock(state: clock.Clock | None) -> dict | None:
    if state is None:
        return None
    return {
        "running": clock.describe(state.running),
        "paused": clock.describe(state.paused) if state.paused else "",
        "stopped": state.stopped,
        "waiting_now": state.waiting_now,
    }


# --- The list: the gateway's queue, and the requests a user may see ------------------------------


def _row(r: SupportRequest, now, unassessed_ids: set, people: dict) -> dict:
    awaiting = r.status in AWAITING_DECISION
    if awaiting or r.status not in (RequestStatus.ACCEPTED, RequestStatus.IN_PROGRESS):
        which, state = "decision", services.decision_clock(r, now)
    else:
        which, state = "completion", services.completion_clock(r, now)
    return {
        "r": r,
        "assigned_to": people.get(r.assigned_to_id),
        "score": services.queue_score(r, now) if awaiting else None,
        "clock": _describe_clock(state),
        "clock_kind": which,
        "overdue": services.is_decision_overdue(r, now),
        "unassessed": r.pk in unassessed_ids,
        "waiting": any(p.ended_at is None for p in r.pauses.all()) and r.status not in CLOSED,
    }


def _default_scope(user) -> str:
    if _is_officer(user):
        return "gateway"
    if policy.is_reader_of_everything(user):
        return ""
    return "asked"


@login_required
def index(request):
    """Gateway officers: their gateways' queue by score (tab ``queue``). Everyone: the requests
    they may see, by status, narrowed to their own organisations' or gateways' by default."""
    user = request.user
    officer = _is_officer(user)
    tab = request.GET.get("tab") or ("queue" if officer else "requests")
    if tab != "queue" or not officer:
        tab = "requests"
    params = request.GET.copy()
    if "mine" not in params:
        params["mine"] = _default_scope(user)
    base = SupportRequest.objects.visible_to(user)
    listed = base.with_related().select_related("owner").prefetch_related("pauses")
    filterset = filters.SupportRequestFilter(params, queryset=listed, request=request)
    style_form(filterset.form, filters=True)
    qs = filterset.qs if filterset.is_valid() else listed.none()
    now = timezone.now()
    queue = services.queue(user, now=now) if officer else []
    if tab == "queue":
        keep = set(qs.filter(pk__in=[r.pk for r in queue]).values_list("pk", flat=True))
        source = [r for r in queue if r.pk in keep]
    else:
        source = qs.order_by(*(qs.query.order_by or ["-submitted_at", "-id"]))
    page = Paginator(source, PAGE_SIZE).get_page(request.GET.get("page"))
    log_list(request, page, SupportRequest)
    ids = [r.pk for r in page]
    unassessed_ids = set(
        filters.unassessed(SupportRequest.objects.filter(pk__in=ids)).values_list("pk", flat=True)
    )
    people = get_user_model().objects.in_bulk({r.assigned_to_id for r in page} - {None})
    scoped = filters.SupportRequestFilter({"mine": params.get("mine", "")}, base, request=request)
    counts = dict(scoped.qs.values_list("status").annotate(n=Count("id")).order_by())
    statuses = [
        {"value": value, "label": label, "count": counts.get(value, 0)}
        for value, label in RequestStatus.choices
    ]
    keep_params = {k: v for k, v in params.items() if k not in ("page", "status", "tab") and v}
    query = urlencode({k: v for k, v in params.items() if k != "page" and v})
    return render(
        request,
        "gateway/index.html",
        {
            "tab": tab,
            "officer": officer,
            "filter": filterset,
            "page_obj": page,
            "rows": [_row(r, now, unassessed_ids, people) for r in page],
            "statuses": statuses,
            "total": sum(counts.values()),
            "queue_size": len(queue),
            "status": params.get("status", ""),
            "scope_query": urlencode(keep_params),
            "querystring_without_page": query + "&" if query else "",
            "may_request": bool(services.requesting_organisations(user)),
        },
    )


# --- Submitting a request ------------------------------------------------------------------------


@login_required
def new(request):
    user = request.user
    organisations = services.requesting_organisations(user)
    if not organisations:
        raise PermissionDenied("Only police staff with a working role ask the gateway for support.")
    # A capability named in the address narrows the gateways offered (the service checks the
    # pair sent, so a gateway that does not offer it gets its own message).
    capability = (
        Capability.objects.filter(code=request.GET.get("capability", "")).first()
        if request.method == "GET"
        else None
    )
    initial = {
        "threat": request.GET.get("threat", ""),
        "capability": capability,
        "requesting_organisation": organisations[0] if len(organisations) == 1 else None,
    }
    form = style_form(
        RequestForm(request.POST or None, user=user, capability=capability, initial=initial)
    )
    # With script, choosing the capability narrows the gateways to those that offer it.
    form.fields["capability"].widget.attrs.update(
        {
            "hx-get": request.path,
            "hx-trigger": "change",
            "hx-include": "this",
            "hx-select": "[data-field=gateway]",
            "hx-target": "[data-field=gateway]",
            "hx-swap": "outerHTML",
        }
    )

    def save(data):
        submitted = services.submit_request(
            user,
            capability=data["capability"],
            gateway=data["gateway"],
            requesting_organisation=data["requesting_organisation"],
            threat=data["threat"],
            handling=data["handling"],
            **form.values(),
        )
        messages.success(
            request,
            f"{submitted.reference} sent to {submitted.owner.name}'s gateway. You can follow its "
            "progress here.",
        )
        return redirect(submitted.get_absolute_url())

    return form_page(
        request,
        form,
        save,
        template="gateway/form.html",
        context={"title": "Ask the gateway for specialist support"},
    )


# --- One request ---------------------------------------------------------------------------------

#: Every step a request's page may offer: the form it takes and the label of its button.
STEPS = {
    "triage": TriageForm,
    "accept": AcceptForm,
    "decline": DeclineForm,
    "refer": ReferForm,
    "start": StartForm,
    "complete": CompleteForm,
    "withdraw": WithdrawForm,
    "pause": PauseForm,
    "resume": ResumeForm,
    "assign": AssignForm,
    "override": OverrideForm,
}
LABELS = {
    **TRANSITION_LABELS,
    "pause": "Ask the requester for information",
    "resume": "Record the answer",
    "assign": "Assign",
    "override": "Override the queue's order",
}


def _form(name: str, user, req, data=None):
    kwargs = {}
    if name in ("accept", "refer"):
        kwargs["request"] = req
    elif name == "complete":
        kwargs["user"] = user
    elif name == "assign":
        kwargs = {"request": req, "user": user}
    initial = {}
    if name == "assign":
        initial["assigned_to"] = req.assigned_to.username if req.assigned_to_id else None
    elif name == "override" and req.override_score is not None:
        initial = {"override_score": req.override_score, "override_reason": req.override_reason}
    elif name == "accept":
        initial = {"committed_from": req.needed_from, "committed_to": req.needed_to}
    return style_form(STEPS[name](data, prefix=name, initial=initial, **kwargs))


def _available(user, req) -> list[str]:
    """The steps this user may take on this request now, in the order the page shows them."""
    names = list(services.available_transitions(user, req))
    decider = services.can_decide(user, req)
    paused = any(p.ended_at is None for p in req.pauses.all())
    if paused and req.is_open and (decider or services.is_requester(user, req)):
        names.append("resume")
    if decider and req.is_open:
        if not paused:
            names.append("pause")
        names.append("assign")
        if req.status in AWAITING_DECISION:
            names.append("override")
    return names


def _perform(user, req, name: str, data: dict) -> str:
    """Take the step through its service; returns what to tell the user."""
    if name == "triage":
        services.triage(user, req, notes=data["notes"])
        return "Marked as triaged."
    if name == "accept":
        services.accept(
            user,
            req,
            offer=data["offer"],
            committed_from=data["committed_from"],
            committed_to=data["committed_to"],
            committed_capacity=data["committed_capacity"],
            notes=data["notes"],
        )
        return f"Accepted: {data['offer'].team} committed."
    if name == "decline":
        services.decline(user, req, reason=data["decline_reason"], notes=data["decision_notes"])
        return "Declined. The requester can see why."
    if name == "refer":
        received = services.refer(
            user,
            req,
            to=data["referred_to"],
            reason=data["referral_reason"],
            notes=data["decision_notes"],
        )
        return f"Referred to {received.owner.name} as {received.reference}."
    if name == "start":
        services.start(user, req)
        return "Work started."
    if name == "complete":
        services.complete(user, req, outcome=data["outcome"], disruptions=data["disruptions"])
        return "Completion recorded."
    if name == "withdraw":
        services.withdraw(user, req, reason=data["reason"])
        return "The request is withdrawn."
    if name == "pause":
        services.pause(user, req, asked=data["asked"])
        return "The clocks are paused until the requester answers."
    if name == "resume":
        services.resume(user, req, answer=data["answer"])
        return "Answer recorded: the clocks run again."
    if name == "assign":
        services.assign(user, req, data["assigned_to"])
        return "Assigned." if data["assigned_to"] else "Nobody is assigned now."
    if name == "override":
        services.override(user, req, score=data["override_score"], reason=data["override_reason"])
        return (
            "The queue's order is overridden."
            if data["override_score"] is not None
            else "The override is taken off."
        )
    raise Http404("No such step.")


def _context(request, req, bound: tuple[str, object] | None = None) -> dict:
    from socmaster.disruptions.models import Disruption

    user = request.user
    now = timezone.now()
    available = _available(user, req)
    forms = {name: _form(name, user, req) for name in available}
    bound_name = None
    if bound is not None:
        bound_name, form = bound
        forms[bound_name] = form
    factors = services.triage_factors(req, now)
    visible = SupportRequest.objects.visible_to(user)
    return {
        "req": req,
        "steps": [
            {"name": name, "label": LABELS[name], "form": forms[name]}
            for name in forms
            if name in available or name == bound_name
        ],
        "bound_name": bound_name,
        "bound_form": bound[1] if bound else None,
        "page_has_errors": bound is not None,
        "pauses": sorted(req.pauses.all(), key=lambda p: (p.started_at, p.pk)),
        "decision_clock": _describe_clock(services.decision_clock(req, now)),
        "completion_clock": _describe_clock(services.completion_clock(req, now)),
        "decision_limit": services.decision_days()[req.urgency],
        "overdue": services.is_decision_overdue(req, now),
        "unassessed": services.unassessed(req),
        "acceptance": services.acceptance(req),
        "factors": factors,
        "computed_score": services.computed_score(req, now),
        "score": services.queue_score(req, now),
        "awaiting": req.status in AWAITING_DECISION,
        "referred_to": visible.filter(pk=req.referred_to_id).select_related("owner").first()
        if req.referred_to_id
        else None,
        "referred_from": list(visible.filter(referred_to=req).select_related("owner")),
        "disruptions": list(
            Disruption.objects.visible_to(user).filter(support_requests=req).order_by("reference")
        ),
        "handling": HANDLING_LABELS.get(req.handling, req.get_handling_display()),
        "authorities": [Authority(a).label for a in req.authorities if a in Authority.values],
        "decider": services.can_decide(user, req),
        "requester": services.is_requester(user, req),
        "threat_visible": req.threat_id is not None and policy.can(user, Action.VIEW, req.threat),
    }


@login_required
def request_detail(request, reference):
    req = _get(request, reference)
    if (redirect_to := open_record(request, req)) is not None:
        return redirect_to
    return render(request, "gateway/request.html", _context(request, req))


@login_required
def request_act(request, reference, step):
    """One step of the request's workflow (POST from its page): the form is read, the service
    takes the step; an error is shown on the same page, by field, and nothing is changed."""
    req = _get(request, reference)
    if step not in STEPS:
        raise Http404("No such step.")
    if request.method != "POST":
        return redirect(req.get_absolute_url())
    form = _form(step, request.user, req, request.POST)
    if form.is_valid():
        try:
            message = _perform(request.user, req, step, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect(req.get_absolute_url())
    if (redirect_to := open_record(request, req)) is not None:
        return redirect_to
    req = _get(request, reference)
    return render(request, "gateway/request.html", _context(request, req, (step, form)), status=400)


# --- Capabilities and offers ---------------------------------------------------------------------


def describe_criterion(spec: dict) -> str:
    """An acceptance criterion in words."""
    kind = spec.get("kind")
    if kind == "threat_required":
        return "The request names a threat on the master list"
    if kind == "tiers":
        tiers = ", ".join(str(t) for t in sorted(spec.get("tiers", [])))
        return f"The threat is Tier {tiers} (or there is a threat to life)"
    if kind == "notice_days":
        return (
            f"Asked for at least {spec.get('days')} days before it is needed "
            "(unless immediate or a threat to life)"
        )
    if kind == "assessed":
        return "The threat has a current moderated MoRiLE assessment"
    if kind == "authorities":
        return "The request names the authorities it needs"
    return str(kind)


def _maintained_ids(user) -> set[int]:
    return {
        o.pk
        for o in Organisation.objects.filter(type__in=services.GATEWAY_TYPES)
        if services.may_maintain_offers(user, o)
    }


@login_required
def capabilities(request):
    user = request.user
    q = request.GET.get("q", "").strip()
    offers = CapabilityOffer.objects.select_related("organisation", "capability_owner").order_by(
        "organisation__name", "team"
    )
    qs = Capability.objects.prefetch_related(Prefetch("offers", queryset=offers)).order_by("name")
    if q:
        qs = qs.filter(name__icontains=q)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    maintained = _maintained_ids(user) if not policy.is_read_only(user) else set()
    rows = [
        {
            "c": c,
            "criteria": [describe_criterion(s) for s in c.acceptance_criteria],
            "offers": [
                {"o": o, "may_change": o.organisation_id in maintained} for o in c.offers.all()
            ],
        }
        for c in page
    ]
    return render(
        request,
        "gateway/capabilities.html",
        {
            "rows": rows,
            "page_obj": page,
            "q": q,
            "querystring_without_page": urlencode({"q": q}) + "&" if q else "",
            "may_request": bool(services.requesting_organisations(user)),
            "may_edit_criteria": policy.is_national_administrator(user),
            "may_add_offers": bool(maintained),
        },
    )


def _snapshot(obj) -> dict:
    return audit.snapshot(type(obj).objects.get(pk=obj.pk))


@login_required
def capability_edit(request, code):
    capability = get_object_or_404(Capability, code=code)
    if not policy.is_national_administrator(request.user):
        raise PermissionDenied("Only a national administrator maintains capabilities.")
    form = style_form(
        CriteriaForm(request.POST or None, initial=CriteriaForm.initial_for(capability))
    )

    def save(data):
        before = _snapshot(capability)
        services.update_capability(
            request.user,
            capability,
            description=data["description"],
            active=data["active"],
            acceptance_criteria=form.criteria(capability.acceptance_criteria),
        )
        changed = _snapshot(capability) != before
        messages.success(request, "Saved." if changed else "Nothing was changed.")
        return redirect("gateway:capabilities")

    return form_page(
        request,
        form,
        save,
        template="gateway/form.html",
        context={"title": f"Acceptance criteria: {capability.name}", "capability": capability},
    )


@login_required
def offer_new(request, code):
    capability = get_object_or_404(Capability, code=code)
    if policy.is_read_only(request.user) or not _maintained_ids(request.user):
        raise PermissionDenied("Only the offering organisation's administrators add its offers.")
    form = style_form(OfferForm(request.POST or None, user=request.user))

    def save(data):
        offer = services.create_offer(
            request.user,
            capability=capability,
            organisation=data["organisation"],
            **form.values(),
        )
        messages.success(request, f"{offer.organisation.name} now offers {capability.name}.")
        return redirect("gateway:capabilities")

    return form_page(
        request,
        form,
        save,
        template="gateway/form.html",
        context={"title": f"Offer {capability.name}", "capability": capability},
    )


@login_required
def offer_edit(request, pk):
    offer = get_object_or_404(
        CapabilityOffer.objects.select_related("organisation", "capability", "capability_owner"),
        pk=pk,
    )
    if policy.is_read_only(request.user) or not services.may_maintain_offers(
        request.user, offer.organisation
    ):
        raise PermissionDenied("Only the offering organisation's administrators change its offers.")
    initial = {
        "team": offer.team,
        "monthly_capacity": offer.monthly_capacity,
        "capacity_unit": offer.capacity_unit,
        "capability_owner": offer.capability_owner.username if offer.capability_owner else None,
        "active": offer.active,
    }
    form = style_form(
        OfferForm(request.POST or None, user=request.user, offer=offer, initial=initial)
    )

    def save(data):
        before = _snapshot(offer)
        services.update_offer(request.user, offer, **form.values())
        messages.success(
            request, "Saved." if _snapshot(offer) != before else "Nothing was changed."
        )
        return redirect("gateway:capabilities")

    return form_page(
        request,
        form,
        save,
        template="gateway/form.html",
        context={
            "title": f"{offer.capability.name}: {offer.organisation.name}",
            "capability": offer.capability,
        },
    )


# --- The demand dashboard ------------------------------------------------------------------------


def _demand(request):
    """The dashboard's form and figures over the requests the user may see."""
    from . import reports

    # The regional view opens on the user's own region; "Every region" shows them all.
    home = getattr(request.user.primary_organisation, "region", None)
    form = style_form(DemandForm(request.GET or None, initial={"region": home}), filters=True)
    chosen = form.cleaned_data if request.GET and form.is_valid() else {"region": home}
    months = reports.last_months(chosen.get("months") or 12)
    gateway, capability = chosen.get("gateway"), chosen.get("capability")
    requests = SupportRequest.objects.visible_to(request.user)
    if capability is not None:
        requests = requests.filter(capability=capability)
    data = reports.demand(requests, months=months, gateways=[gateway] if gateway else None)
    if capability is not None:
        data = reports.Demand(
            months=data.months,
            by=data.by,
            cells=[c for c in data.cells if c.capability.pk == capability.pk],
        )
    return form, chosen, months, requests, data


def _chart(data) -> dict:
    from . import reports

    by_month = data.by_month
    by_capability = [f for f in data.by_capability if f.received or f.unmet]
    return {
        "months": {
            "labels": [f"{f.month:%b %Y}" for f in by_month],
            "received": [f.received for f in by_month],
            "accepted": [f.accepted for f in by_month],
            "declined": [f.declined for f in by_month],
            "referred": [f.referred for f in by_month],
            "unmet": [f.unmet for f in by_month],
        },
        "capabilities": {
            "labels": [f.capability.name for f in by_capability],
            "received": [f.received for f in by_capability],
            "unmet": [f.unmet for f in by_capability],
        },
        "all": reports.ALL,
    }


@login_required
def demand(request):
    """Demand and unmet demand per gateway and capability, by month, as charts and tables, with
    the regional view for the chief officers' board."""
    from . import reports

    form, chosen, months, requests, data = _demand(request)
    total = data.total
    return render(
        request,
        "gateway/demand.html",
        {
            "form": form,
            "months": months,
            "total": total,
            "by_month": reports.figure_rows(data.by_month),
            "by_organisation": reports.figure_rows(data.by_organisation),
            "by_capability": reports.figure_rows(data.by_capability),
            "regions": reports.regional(requests, months=months, region=chosen.get("region")),
            "chart": _chart(data),
            "may_request": bool(services.requesting_organisations(request.user)),
            "query": request.GET.urlencode(),
        },
    )


@login_required
def demand_export(request, fmt):
    """The demand figures, one row per gateway, capability and month (a reason is asked for)."""
    from . import reports

    def build():
        _form, _chosen, _months, _requests, data = _demand(request)
        found = reports.rows(data)
        return len(found), ([r[c] for c in reports.COLUMNS] for r in found)

    return export_view(
        request,
        record_type="gateway.demand",
        title="Gateway demand",
        columns=reports.COLUMNS,
        rows=build,
        filename="gateway-demand",
        fmt=fmt,
        filters={k: v for k, v in request.GET.items() if v},
    )
