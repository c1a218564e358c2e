"""Pages of the review workflow: the review queue, a candidate match with its waterfall chart and
decision, screening runs with their progress, deconfliction notices and access requests, the
matching models with their comparison, and the one-record lookup. Thin: the services decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from socmaster.core import policy
from socmaster.core.forms import add_service_errors, style_form
from socmaster.core.services import record_search
from socmaster.core.uploads import store_upload
from socmaster.core.views import log_list, open_record
from socmaster.intelligence.models import SarSubject
from socmaster.organisations.models import Organisation
from socmaster.threats.models import Nominal

from . import charts, services
from .choices import OPEN, AccessRequestStatus, MatchStatus
from .forms import (
    AnswerForm,
    DecisionForm,
    ListUploadForm,
    LookupForm,
    QueueFilterForm,
    ReasonForm,
)
from .models import AccessRequest, CandidateMatch, LinkageModel

PAGE = 50


def _police_or_404(user) -> None:
    if not services.is_police_member(user):
        raise Http404("No such page.")


def _querystring(request) -> str:
    from urllib.parse import urlencode

    params = {k: v for k, v in request.GET.items() if k != "page" and v}
    return urlencode(params) + "&" if params else ""


@login_required
def queue(request):
    """Candidate matches the user may see (both records), most serious tier first, then most
    probable; by default those waiting for a reviewer."""
    _police_or_404(request.user)
    form = style_form(QueueFilterForm(request.GET or None), filters=True)
    form.is_valid()
    data = getattr(form, "cleaned_data", {}) or {}
    status = data.get("status") or "open"
    rows = services.visible_candidates(request.user)
    if status == "open":
        rows = rows.filter(status__in=[MatchStatus.REVIEW, MatchStatus.CONFLICT])
    elif status != "all":
        rows = rows.filter(status=status)
    if data.get("kind"):
        rows = rows.filter(kind=data["kind"])
    if data.get("q"):
        q = data["q"].strip()
        rows = rows.filter(
            Q(nominal__family_name__icontains=q)
            | Q(sar_subject__family_name__icontains=q)
            | Q(other_nominal__family_name__icontains=q)
            | Q(report_subject__family_name__icontains=q)
        )
    if data.get("mine") == "lro":
        rows = rows.filter(pk__in=services.lro_alerts(request.user).values("pk"))
    rows = (
        services.with_tier(rows, request.user)
        .select_related(
            "nominal__owner", "sar_subject__sar", "other_nominal", "report_subject__report"
        )
        .order_by(*services.QUEUE_ORDER)
    )
    page = Paginator(rows, PAGE).get_page(request.GET.get("page"))
    log_list(request, page, CandidateMatch)
    return render(
        request,
        "linkage/queue.html",
        {
            "form": form,
            "page_obj": page,
            "status": status,
            "querystring_without_page": _querystring(request),
            "screenable": _screenable(request.user),
            "may_find_duplicates": services.may_change_models(request.user),
            "runs": services.runs_for(request.user)[:5],
        },
    )


def _screenable(user) -> list[Organisation]:
    return [
        m.organisation
        for m in user.active_memberships
        if services._may_screen(user, m.organisation)
    ]


def _match_context(request, match, **extra) -> dict:
    subject = match.subject
    return {
        "match": match,
        "subject": subject,
        "chart": charts.waterfall(match.explanation, match.weight),
        "decisions": match.decisions.select_related("decided_by"),
        "may_decide": _may_decide(request.user, match),
        "is_open": match.status in OPEN,
        "may_mark_seen": services.lro_alerts(request.user).filter(pk=match.pk).exists(),
        "decision_form": extra.pop("decision_form", None) or style_form(DecisionForm()),
        "unlink_form": extra.pop("unlink_form", None) or style_form(ReasonForm()),
        **extra,
    }


def _may_decide(user, match) -> bool:
    try:
        services._require_both(user, match)
    except (PermissionDenied, Http404):
        return False
    return True


@login_required
def match_detail(request, pk: int):
    match = services.get_visible_or_404(request.user, pk)
    for record in (match.nominal, match.subject):
        if (redirect_to := open_record(request, record)) is not None:
            return redirect_to
    return render(request, "linkage/match.html", _match_context(request, match))


@login_required
@require_POST
def match_decide(request, pk: int):
    match = services.get_visible_or_404(request.user, pk)
    form = style_form(DecisionForm(request.POST))
    if form.is_valid():
        try:
            services.decide(
                request.user, match, form.cleaned_data["decision"], form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Your decision has been recorded.")
            return redirect("linkage:match", pk=match.pk)
    return render(
        request,
        "linkage/match.html",
        _match_context(request, match, decision_form=form),
        status=400,
    )


@login_required
@require_POST
def match_unlink(request, pk: int):
    match = services.get_visible_or_404(request.user, pk)
    form = style_form(ReasonForm(request.POST))
    if form.is_valid():
        try:
            services.unlink(request.user, match, form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The link has been taken back.")
            return redirect("linkage:match", pk=match.pk)
    return render(
        request, "linkage/match.html", _match_context(request, match, unlink_form=form), status=400
    )


@login_required
@require_POST
def match_seen(request, pk: int):
    match = services.get_visible_or_404(request.user, pk)
    services.mark_seen(request.user, match)
    messages.success(request, "Marked as seen: it has left your home page.")
    return redirect("linkage:match", pk=match.pk)


# --- screening runs -------------------------------------------------------------------------------


@login_required
@require_POST
def screen_start(request):
    from .tasks import run_screening

    _police_or_404(request.user)
    if request.POST.get("duplicates") == "yes":
        try:
            run = services.start_duplicates(request.user)
        except (ValidationError, services.NoModel) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            return redirect("linkage:queue")
        run_screening.enqueue(run.pk)
        return redirect("linkage:run", pk=run.pk)
    organisation = Organisation.objects.filter(pk=request.POST.get("organisation")).first()
    if organisation is None or organisation not in _screenable(request.user):
        raise PermissionDenied("You may screen only your own organisation's SARs.")
    try:
        run = services.start_sar_screening(
            request.user,
            organisation,
            include_screened=request.POST.get("all") == "yes",
            kind=request.POST.get("kind") or "sar_subject",
        )
    except (ValidationError, services.NoModel) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("linkage:queue")
    run_screening.enqueue(run.pk)  # a row in the same database: the worker sees it on commit
    return redirect("linkage:run", pk=run.pk)


@login_required
def run_detail(request, pk: int):
    _police_or_404(request.user)
    run = services.runs_for(request.user).filter(pk=pk).first()
    if run is None:
        raise Http404("No such run.")
    template = "linkage/_run_status.html" if request.htmx else "linkage/run.html"
    return render(request, template, {"run": run})


@login_required
def lists(request):
    """Upload a list of people (prison releases, a partner's list) to screen against the master
    list; the run's page shows each person's best match and offers the matches as CSV."""
    from .tasks import run_screening

    _police_or_404(request.user)
    organisations = _screenable(request.user)
    if not organisations:
        raise PermissionDenied("Only reviewers in a police organisation screen lists.")
    form = style_form(
        ListUploadForm(request.POST or None, request.FILES or None, organisations=organisations)
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        path = store_upload(upload)
        if path is None:
            form.add_error(
                "file", "The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again."
            )
        else:
            try:
                run = services.start_list_screening(
                    request.user,
                    form.cleaned_data["organisation"],
                    path,
                    source_name=upload.name,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                path.unlink(missing_ok=True)
                add_service_errors(form, exc)
            else:
                run_screening.enqueue(run.pk)
                return redirect("linkage:run", pk=run.pk)
    runs = services.runs_for(request.user).filter(kind="list")[:20]
    return render(
        request,
        "linkage/lists.html",
        {"form": form, "runs": runs},
        status=400 if form.errors else 200,
    )


@login_required
def list_matches(request, pk: int):
    """The matches of an uploaded list as CSV (an audited export, with the run's reason)."""
    import csv

    from django.http import HttpResponse

    from socmaster.core.exports import safe_cell
    from socmaster.core.services import record_export

    _police_or_404(request.user)
    run = services.runs_for(request.user).filter(pk=pk, kind="list", status="done").first()
    if run is None:
        raise Http404("No such run.")
    columns = ["subject_id", "name", "dob", "status", "nominal", "nominal_name", "probability"]
    columns += ["owner", "contact"]
    record_export(
        request.user,
        record_type="linkage.screeningrun",
        reason=run.scope.get("reason", "screening an uploaded list"),
        count=len(run.results),
        filters={"run": run.pk},
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="screening-{run.pk}.csv"'
    writer = csv.DictWriter(response, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in run.results:
        writer.writerow({k: safe_cell(row.get(k, "")) for k in columns})
    return response


# --- deconfliction -------------------------------------------------------------------------------


@login_required
def requests(request):
    """Deconfliction notices for the SARs the user may see, and access requests made by or to
    the user's organisations."""
    _police_or_404(request.user)
    mine = request.user.organisation_ids
    listed = services.access_requests_for(request.user).select_related(
        "requester", "answered_by", "nominal"
    )
    received = [r for r in listed if r.owner_id in mine]
    made = [r for r in listed if r.requesting_organisation_id in mine]
    notices = services.deconfliction_notices(request.user)
    page = Paginator(notices, PAGE).get_page(request.GET.get("page"))
    asked = set(
        AccessRequest.objects.filter(
            requesting_organisation_id__in=mine, status=AccessRequestStatus.OPEN
        ).values_list("nominal_id", flat=True)
    )
    owner_pk = {
        c.pk: c.nominal_id
        for c in CandidateMatch.objects.filter(pk__in=[n["candidate"] for n in page.object_list])
    }
    for notice in page.object_list:
        notice["asked"] = owner_pk.get(notice["candidate"]) in asked
    return render(
        request,
        "linkage/requests.html",
        {
            "page_obj": page,
            "received": received,
            "made": made,
            "answer_form": style_form(AnswerForm()),
            "request_form": style_form(ReasonForm()),
            "querystring_without_page": _querystring(request),
            "show": request.GET.get("to") or "",
        },
    )


@login_required
@require_POST
def request_access(request, pk: int):
    _police_or_404(request.user)
    match = CandidateMatch.objects.select_related("nominal").filter(pk=pk).first()
    subjects = SarSubject.objects.filter(pk=getattr(match, "sar_subject_id", None))
    notices = services.deconfliction_notices(request.user, subjects) if match else []
    if match is None or match.pk not in {n["candidate"] for n in notices}:
        raise Http404("No such notice.")
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"reason": ["Say why you need access."]})
        services.request_access(request.user, match, form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Your request has been sent to the organisation that holds it.")
    return redirect("linkage:requests")


@login_required
@require_POST
def answer_request(request, pk: int):
    access = AccessRequest.objects.filter(pk=pk, owner_id__in=request.user.organisation_ids).first()
    if access is None:
        raise Http404("No such request.")
    form = AnswerForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"approve": ["Choose approve or decline."]})
        services.answer_access(
            request.user, access, form.cleaned_data["approve"], form.cleaned_data["answer"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Your answer has been recorded.")
    return redirect(reverse("linkage:requests") + "?to=us")


# --- models ---------------------------------------------------------------------------------------


def _may_read_models(user) -> bool:
    """Inspectors read the models; national administrators also change them."""
    return policy.is_reader_of_everything(user) or services.may_change_models(user)


@login_required
def models(request):
    if not _may_read_models(request.user):
        raise Http404("No such page.")
    return render(request, "linkage/models.html", {"models": LinkageModel.objects.all()[:50]})


@login_required
def model_detail(request, version: int):
    if not _may_read_models(request.user):
        raise Http404("No such page.")
    row = LinkageModel.objects.filter(version=version).first()
    if row is None:
        raise Http404("No such model.")
    form = style_form(ReasonForm(request.POST or None))
    if request.method == "POST" and not services.may_change_models(request.user):
        raise PermissionDenied("Only a national administrator puts a model into use.")
    if request.method == "POST" and form.is_valid():
        try:
            services.put_into_use(request.user, version, form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Model v{version} is now in use.")
            return redirect("linkage:model", version=version)
    from .engine import Model, ModelError

    try:
        levels = Model.from_dict(row.model).levels()
    except ModelError:
        levels = []
    return render(
        request,
        "linkage/model.html",
        {
            "row": row,
            "levels": levels,
            "form": form,
            "may_use": services.may_change_models(request.user),
        },
        status=400 if form.errors else 200,
    )


# --- one-record lookup ------------------------------------------------------------------------------


@login_required
def lookup(request):
    """Possible matches for a person as they are typed in (the nominal form asks this page with
    htmx; it is also a page of its own)."""
    _police_or_404(request.user)
    form = style_form(LookupForm(request.GET or None))
    result = None
    if request.GET and form.is_valid():
        result = services.possible_matches(request.user, form.person())
        record_search(
            request.user,
            Nominal,
            params=request.GET,
            count=len(result["visible"]) + len(result["elsewhere"]),
            where=request.path,
        )
    template = "linkage/_lookup_result.html" if request.htmx else "linkage/lookup.html"
    return render(request, template, {"form": form, "result": result})
