"""Pages of network analysis: the analyses of a user's visible network, a threat's network panel
with its suggested members, link charts (with their data, filters, expansion, text alternative
and exports), shortest paths, recorded associations and uploaded edge lists. Thin: the services
decide, and every figure starts from what the user may see."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from socmaster.core import policy
from socmaster.core.choices import Action
from socmaster.core.forms import add_service_errors, style_form
from socmaster.core.uploads import store_upload
from socmaster.core.views import form_page, open_record
from socmaster.threats.choices import MemberRole
from socmaster.threats.models import Nominal, Threat

from . import build, engine, services
from .choices import EdgeType, NodeType
from .forms import (
    AddMemberForm,
    AnalysisForm,
    AssociationForm,
    ChartFilterForm,
    EdgeListForm,
    ExportForm,
    PathForm,
)

KINDS = {"threat": (Threat, build.threat_node), "nominal": (Nominal, build.nominal_node)}
EDGE_LABELS = dict(EdgeType.choices)
NODE_LABELS = dict(NodeType.choices)
ROLES = MemberRole.choices
#: How many of one node's ties "Expand" shows.
EXPAND_CAP = 500


def _centre(request, kind: str, reference: str):
    """The chart's centre record: missing and forbidden answer alike."""
    if kind not in KINDS:
        raise Http404("No such record.")
    model, node = KINDS[kind]
    obj = policy.get_or_404(model.objects.all(), request.user, reference=reference)
    return obj, node(obj.pk)


# --- analyses -------------------------------------------------------------------------------------


@login_required
def index(request):
    from .tasks import run_analysis

    form = style_form(AnalysisForm(request.POST or None))
    if request.method == "POST" and form.is_valid():
        try:
            run = services.start_analysis(request.user, region=form.cleaned_data["region"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            run_analysis.enqueue(run.pk)
            return redirect("network:run", pk=run.pk)
    runs = services.runs_for(request.user)[:20]
    return render(
        request,
        "network/index.html",
        {"form": form, "runs": runs, "path_form": style_form(PathForm(), filters=True)},
        status=400 if form.errors else 200,
    )


@login_required
def run_detail(request, pk: int):
    run = services.runs_for(request.user).filter(pk=pk).first()
    if run is None:
        raise Http404("No such analysis.")
    template = "network/_run_status.html" if request.htmx else "network/run.html"
    return render(
        request,
        template,
        {"run": run, "changeable": _changeable(request.user, run.results), "roles": ROLES},
    )


def _changeable(user, results: dict) -> set[str]:
    """The references of the suggestions' threats ``user`` may add members to."""
    refs = {h["threat_ref"] for h in (results or {}).get("hidden", ())}
    if not refs or policy.is_read_only(user):
        return set()
    threats = policy.restrict(Threat.objects.filter(reference__in=refs), user, Action.CHANGE)
    return set(threats.values_list("reference", flat=True))


@login_required
def run_file(request, pk: int, name: str):
    """An edge-list analysis's result files (its starter's own upload: no database record)."""
    run = services.runs_for(request.user).filter(pk=pk, kind="edge_list", status="done").first()
    if run is None or name not in ("key_players", "communities"):
        raise Http404("No such file.")
    path = services.edge_list_dir(run) / f"{name}.csv"
    if not path.exists():
        raise Http404("No such file.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"{name}.csv")


@login_required
def upload(request):
    from .tasks import run_analysis

    form = style_form(EdgeListForm(request.POST or None, request.FILES or None))
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        if uploaded.size > services.UPLOAD_MAX_BYTES:
            form.add_error("file", "The file is larger than 50 MB: analyse it with the CLI.")
        else:
            path = store_upload(uploaded)
            if path is None:
                form.add_error(
                    "file", "The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again."
                )
            else:
                try:
                    run = services.start_edge_list(request.user, path, name=uploaded.name)
                except ValidationError as exc:
                    path.unlink(missing_ok=True)
                    add_service_errors(form, exc)
                else:
                    run_analysis.enqueue(run.pk)
                    return redirect("network:run", pk=run.pk)
    return render(
        request,
        "network/upload.html",
        {"form": form, "runs": services.runs_for(request.user).filter(kind="edge_list")[:20]},
        status=400 if form.errors else 200,
    )


# --- a threat's network ---------------------------------------------------------------------------


@login_required
def threat_panel(request, reference: str):
    """The threat page's network panel (loaded after the page, as it computes)."""
    threat = policy.get_or_404(Threat.objects.all(), request.user, reference=reference)
    redirect_to = open_record(request, threat)
    if redirect_to:
        raise PermissionDenied("Give your reason on the threat's page first.")
    data = services.threat_network(request.user, threat)
    return render(
        request,
        "network/_threat_panel.html",
        {
            "threat": threat,
            "net": data,
            "changeable": _changeable(request.user, data),
            "roles": ROLES,
        },
    )


@login_required
@require_POST
def add_member(request, reference: str):
    threat = policy.get_or_404(Threat.objects.all(), request.user, reference=reference)
    form = AddMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the new member's role.")
        return redirect(threat.get_absolute_url())
    nominal = (
        Nominal.objects.visible_to(request.user)
        .filter(reference=form.cleaned_data["nominal"])
        .first()
    )
    if nominal is None:
        raise Http404("No such record.")
    try:
        services.add_suggested_member(request.user, threat, nominal, role=form.cleaned_data["role"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{nominal} has been added to {threat.reference}.")
    return redirect(threat.get_absolute_url())


# --- link charts ----------------------------------------------------------------------------------


def _filters(request) -> tuple[ChartFilterForm, dict]:
    form = style_form(ChartFilterForm(request.GET or None), filters=True)
    data = form.cleaned_data if form.is_valid() else {}
    return form, {
        "types": data.get("types") or None,
        "date_from": data.get("date_from").isoformat() if data.get("date_from") else None,
        "date_to": data.get("date_to").isoformat() if data.get("date_to") else None,
        "steps": data.get("steps") or 2,
    }


def _described(data: dict) -> dict:
    for node in data["nodes"]:
        node["type_label"] = NODE_LABELS.get(node["type"], node["type"])
    labels = {n["id"]: n["label"] for n in data["nodes"]}
    for edge in data["edges"]:
        edge["type_label"] = EDGE_LABELS.get(edge["type"], edge["type"])
        edge["source_label"] = labels.get(edge["source"], edge["source"])
        edge["target_label"] = labels.get(edge["target"], edge["target"])
    return data


@login_required
def chart_page(request, kind: str, reference: str):
    obj, centre = _centre(request, kind, reference)
    redirect_to = open_record(request, obj)
    if redirect_to:
        return redirect_to
    form, filters = _filters(request)
    data = _described(services.chart(request.user, centre, **filters))
    return render(
        request,
        "network/chart.html",
        {
            "obj": obj,
            "kind": kind,
            "centre": centre,
            "form": form,
            "data": data,
            "export_form": style_form(ExportForm()),
            "data_url": reverse("network:chart-data", args=[kind, reference]),
            "cap": engine.FAN_OUT_CAP,
        },
        status=400 if form.errors else 200,
    )


@login_required
def chart_data(request, kind: str, reference: str):
    """The chart's nodes and edges as JSON; ``?expand=NODE`` gives one node's neighbours."""
    obj, centre = _centre(request, kind, reference)
    if open_record(request, obj):
        raise PermissionDenied("Give your reason on the record's page first.")
    form, filters = _filters(request)
    if form.errors:
        return JsonResponse({"errors": form.errors}, status=400)
    expand = request.GET.get("expand")
    if expand:
        filters["steps"] = 1
        data = services.chart(request.user, expand, cap=EXPAND_CAP, **filters)
    else:
        data = services.chart(request.user, centre, **filters)
    return JsonResponse(_described(data))


@login_required
@require_POST
def chart_export(request, kind: str, reference: str):
    obj, centre = _centre(request, kind, reference)
    if open_record(request, obj):
        raise PermissionDenied("Give your reason on the record's page first.")
    form = style_form(ExportForm(request.POST))
    if form.is_valid():
        try:
            body, content_type = services.export_chart(
                request.user,
                centre,
                form.cleaned_data["format"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            extension = {"graphml": "graphml", "csv": "zip", "anx": "anx"}[
                form.cleaned_data["format"]
            ]
            response = HttpResponse(body, content_type=content_type)
            response["Content-Disposition"] = (
                f'attachment; filename="network-{obj.reference}.{extension}"'
            )
            return response
    return render(
        request,
        "network/export.html",
        {"obj": obj, "kind": kind, "export_form": form},
        status=400,
    )


# --- paths and associations -----------------------------------------------------------------------


@login_required
def path(request):
    form = style_form(PathForm(request.GET or None), filters=True)
    steps, a, b = None, None, None
    if form.is_valid():
        visible = Nominal.objects.visible_to(request.user)
        a = visible.filter(reference=form.cleaned_data["a"].strip()).first()
        b = visible.filter(reference=form.cleaned_data["b"].strip()).first()
        if a is None:
            form.add_error("a", f"No nominal {form.cleaned_data['a']} that you may see.")
        if b is None:
            form.add_error("b", f"No nominal {form.cleaned_data['b']} that you may see.")
        if a and b:
            steps = _described({"nodes": [], "edges": services.shortest_path(request.user, a, b)})[
                "edges"
            ]
    return render(
        request,
        "network/path.html",
        {"form": form, "steps": steps, "a": a, "b": b},
        status=400 if form.errors else 200,
    )


@login_required
def association_add(request, reference: str):
    nominal = policy.get_or_404(Nominal.objects.all(), request.user, reference=reference)
    if not policy.can(request.user, Action.CHANGE, nominal):
        raise PermissionDenied("You may not change this nominal.")

    def save(data):
        other = (
            Nominal.objects.visible_to(request.user).filter(reference=data["other"].strip()).first()
        )
        if other is None:
            raise ValidationError({"other": [f"No nominal {data['other']} that you may see."]})
        services.record_association(
            request.user,
            nominal,
            other,
            kind=data["kind"],
            from_date=data["from_date"],
            to_date=data["to_date"],
            notes=data["notes"],
        )
        messages.success(request, f"{other} is recorded as an associate of {nominal}.")
        return redirect(nominal.get_absolute_url())

    return form_page(
        request,
        style_form(AssociationForm(request.POST or None)),
        save,
        template="network/association_form.html",
        context={"nominal": nominal},
    )
