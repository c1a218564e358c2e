"""Debrief pages and the learning library. Every rule is in ``services.debriefs``; these views
only read what the access policy lets the user see, and hand what was typed to the services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from socmaster.core import policy
from socmaster.core.exports import export_view
from socmaster.core.forms import add_service_errors, style_form
from socmaster.core.reasons import current_reason, record_key
from socmaster.core.views import form_page, log_list, open_record

from ..choices import DEBRIEF_TRANSITION_LABELS
from ..debrief_filters import DebriefFilter, LessonFilter
from ..debrief_forms import (
    DebriefAddForm,
    DebriefReasonForm,
    DebriefRecordForm,
    HoldForm,
    LessonForm,
)
from ..models import Debrief, Lesson
from ..services import debriefs as services

PAGE_SIZE = 50


def _querystring(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


def _debrief(request, reference) -> Debrief:
    debrief = (
        Debrief.objects.visible_to(request.user).with_related().filter(reference=reference).first()
    )
    if debrief is None:
        raise Http404("No such record.")
    return debrief


def _lesson(request, pk) -> Lesson:
    lesson = (
        Lesson.objects.visible_to(request.user)
        .select_related("debrief", "debrief__owner", "debrief__threat")
        .filter(pk=pk)
        .first()
    )
    if lesson is None:
        raise Http404("No such record.")
    return lesson


def _reason_first(request, debrief):
    """A restricted debrief asks for a reason before any of its pages shows it; the view is
    recorded when a page is read (not again when its form is sent)."""
    if request.method == "GET":
        return open_record(request, debrief)
    if policy.is_restricted(debrief) and not current_reason(request, record_key(debrief)):
        return redirect(debrief.get_absolute_url())
    return None


def _require_recorder(request, debrief) -> None:
    if not services.can_record(request.user, debrief):
        raise PermissionDenied("Only the debrief's owner and its organisation's officers may.")


# --- The list ------------------------------------------------------------------------------------


@login_required
def debrief_list(request):
    base = Debrief.objects.visible_to(request.user).with_related().order_by("due_on", "id")
    filterset = DebriefFilter(request.GET or None, queryset=base, request=request)
    style_form(filterset.form, filters=True)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    log_list(request, page, Debrief)
    today = timezone.localdate()
    return render(
        request,
        "tasking/debrief_list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "rows": [{"d": d, "overdue": d.is_overdue(today)} for d in page],
            "querystring_without_page": _querystring(request),
            "may_add": not policy.is_read_only(request.user),
            "due_days": services.due_days(),
        },
        status=400 if filterset.form.errors else 200,
    )


@login_required
def debrief_new(request):
    if policy.is_read_only(request.user):
        raise PermissionDenied("Inspectors do not add debriefs.")
    form = style_form(
        DebriefAddForm(
            request.POST or None, user=request.user, initial={"ended_on": timezone.localdate()}
        )
    )

    def save(data):
        debrief = services.add_debrief(
            request.user,
            ended_on=data["ended_on"],
            threat=data["threat"],
            request=data["request"],
            owner=data["owner"],
            handling=data["handling"] or None,
            operation=data["operation"],
        )
        messages.success(
            request, f"{debrief.reference} added: it is due {debrief.due_on:%d %b %Y}."
        )
        return redirect(debrief.get_absolute_url())

    response = form_page(
        request,
        form,
        save,
        template="tasking/debrief_form.html",
        context={"title": "Add a debrief", "due_days": services.due_days()},
    )
    if request.method == "POST" and form.errors and response.status_code == 200:
        response.status_code = 400
    return response


# --- One debrief ---------------------------------------------------------------------------------


def _context(request, debrief, **extra) -> dict:
    user = request.user
    recorder = services.can_record(user, debrief)
    lessons = debrief.lessons.select_related("tactic", "capability").prefetch_related("crime_types")
    return {
        "debrief": debrief,
        "lessons": lessons,
        "overdue": debrief.is_overdue(),
        "days_overdue": services.days_overdue(debrief),
        "threat": debrief.threat
        if debrief.threat_id and policy.can(user, "view", debrief.threat)
        else None,
        "support_request": debrief.request
        if debrief.request_id and policy.can(user, "view", debrief.request)
        else None,
        "recorder": recorder,
        "moves": [
            (name, DEBRIEF_TRANSITION_LABELS[name])
            for name in services.available_transitions(user, debrief)
        ],
        "hold_form": extra.pop("hold_form", None)
        or style_form(HoldForm(initial={"held_on": timezone.localdate()})),
        "reason_form": extra.pop("reason_form", None) or style_form(DebriefReasonForm()),
        **extra,
    }


@login_required
def debrief_detail(request, reference):
    debrief = _debrief(request, reference)
    if (redirect_to := open_record(request, debrief)) is not None:
        return redirect_to
    return render(request, "tasking/debrief.html", _context(request, debrief))


@login_required
def debrief_edit(request, reference):
    """Write the debrief's record: what worked, what did not, partner feedback, its owner."""
    debrief = _debrief(request, reference)
    if (redirect_to := _reason_first(request, debrief)) is not None:
        return redirect_to
    _require_recorder(request, debrief)
    initial = {name: getattr(debrief, name) for name in services.RECORD_FIELDS}
    initial["owner_user"] = debrief.owner_user_id
    initial["lock_version"] = debrief.lock_version
    form = style_form(
        DebriefRecordForm(request.POST or None, initial=initial, user=request.user, debrief=debrief)
    )

    def save(data):
        changes = services.update_debrief(
            request.user, debrief, form.values(), expected_version=data.get("lock_version")
        )
        messages.success(request, "Saved." if changes else "Nothing was changed.")
        return redirect(debrief.get_absolute_url())

    response = form_page(
        request,
        form,
        save,
        template="tasking/debrief_form.html",
        context={"title": f"Record the debrief {debrief.reference}", "debrief": debrief},
    )
    if request.method == "POST" and form.errors and response.status_code == 200:
        response.status_code = 400
    return response


@login_required
def debrief_move(request, reference):
    """Hold, cancel or reinstate (POST, from the debrief's page); a refusal shows the page
    again with the reason on the form that was sent."""
    debrief = _debrief(request, reference)
    if request.method != "POST":
        return redirect(debrief.get_absolute_url())
    if (redirect_to := _reason_first(request, debrief)) is not None:
        return redirect_to
    name = request.POST.get("transition", "")
    if name not in DEBRIEF_TRANSITION_LABELS:
        messages.error(request, "Choose what to do.")
        return redirect(debrief.get_absolute_url())
    form = style_form(HoldForm(request.POST) if name == "hold" else DebriefReasonForm(request.POST))
    try:
        if name == "hold":
            if form.is_valid():
                services.hold(request.user, debrief, held_on=form.cleaned_data["held_on"])
        else:
            move = services.cancel if name == "cancel" else services.reinstate
            move(request.user, debrief, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        add_service_errors(form, exc)
    if form.errors:
        debrief.refresh_from_db()
        forms_sent = {"hold_form": form} if name == "hold" else {"reason_form": form}
        return render(
            request,
            "tasking/debrief.html",
            _context(request, debrief, sent=name, page_has_errors=True, **forms_sent),
            status=400,
        )
    done = {
        "hold": "Recorded as held: its lessons are in the learning library.",
        "cancel": "Cancelled.",
        "reinstate": "Reinstated: the debrief is due again.",
    }
    messages.success(request, done[name])
    return redirect(debrief.get_absolute_url())


# --- Lessons -------------------------------------------------------------------------------------


def _lesson_page(request, debrief, form, save, title):
    response = form_page(
        request,
        form,
        save,
        template="tasking/lesson_form.html",
        context={"title": title, "debrief": debrief},
    )
    if request.method == "POST" and form.errors and response.status_code == 200:
        response.status_code = 400
    return response


@login_required
def lesson_add(request, reference):
    debrief = _debrief(request, reference)
    if (redirect_to := _reason_first(request, debrief)) is not None:
        return redirect_to
    _require_recorder(request, debrief)
    initial = {}
    if debrief.threat_id:
        initial["crime_types"] = list(debrief.threat.crime_types.values_list("code", flat=True))
    if debrief.request_id:
        initial["capability"] = debrief.request.capability.code
    form = style_form(LessonForm(request.POST or None, initial=initial))

    def save(data):
        services.add_lesson(request.user, debrief, **form.values())
        messages.success(request, "Lesson added.")
        return redirect(debrief.get_absolute_url())

    return _lesson_page(request, debrief, form, save, f"Add a lesson to {debrief.reference}")


@login_required
def lesson_edit(request, pk):
    lesson = _lesson(request, pk)
    debrief = lesson.debrief
    if (redirect_to := _reason_first(request, debrief)) is not None:
        return redirect_to
    _require_recorder(request, debrief)
    initial = {
        "text": lesson.text,
        "tactic": lesson.tactic.code if lesson.tactic_id else None,
        "capability": lesson.capability.code if lesson.capability_id else None,
        "crime_types": list(lesson.crime_types.values_list("code", flat=True)),
        "lock_version": lesson.lock_version,
    }
    form = style_form(
        LessonForm(request.POST or None, initial=initial, current_capability=lesson.capability)
    )

    def save(data):
        changes = services.update_lesson(
            request.user, lesson, form.values(), expected_version=data.get("lock_version")
        )
        messages.success(request, "Lesson saved." if changes else "Nothing was changed.")
        return redirect(debrief.get_absolute_url())

    return _lesson_page(request, debrief, form, save, f"Lesson of {debrief.reference}")


@login_required
def lesson_remove(request, pk):
    lesson = _lesson(request, pk)
    debrief = lesson.debrief
    if request.method != "POST":
        return redirect(debrief.get_absolute_url())
    if (redirect_to := _reason_first(request, debrief)) is not None:
        return redirect_to
    try:
        services.remove_lesson(request.user, lesson)
        messages.success(request, "Lesson removed.")
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    return redirect(debrief.get_absolute_url())


# --- The learning library ------------------------------------------------------------------------


def _library(request):
    base = (
        services.library(request.user)
        .select_related("debrief", "debrief__owner", "tactic", "capability")
        .prefetch_related("crime_types")
        .order_by("-debrief__held_on", "-id")
    )
    filterset = LessonFilter(request.GET or None, queryset=base, request=request)
    filterset.form.fields.pop("debrief_status")
    return filterset


@login_required
def library(request):
    filterset = _library(request)
    style_form(filterset.form, filters=True)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    log_list(request, page, Lesson)
    return render(
        request,
        "tasking/lesson_library.html",
        {
            "filter": filterset,
            "page_obj": page,
            "querystring_without_page": _querystring(request),
            "export_query": request.GET.urlencode(),
        },
        status=400 if filterset.form.errors else 200,
    )


EXPORT_COLUMNS = [
    "Debrief",
    "Organisation",
    "Operation",
    "Operation ended",
    "Debrief held",
    "Lesson",
    "Tactic",
    "Capability",
    "Crime types",
]


@login_required
def library_export(request):
    """The learning library (as filtered) as CSV, with a reason (audited)."""
    filterset = _library(request)

    def rows():
        qs = filterset.qs

        def gen():
            for lesson in qs.iterator(chunk_size=1000):
                d = lesson.debrief
                yield [
                    d.reference,
                    d.owner.name,
                    d.operation,
                    d.ended_on,
                    d.held_on,
                    lesson.text,
                    lesson.tactic.label if lesson.tactic_id else "",
                    lesson.capability.name if lesson.capability_id else "",
                    "; ".join(sorted(c.label for c in lesson.crime_types.all())),
                ]

        return qs.count(), gen()

    return export_view(
        request,
        record_type="tasking.lesson",
        title="The learning library",
        columns=EXPORT_COLUMNS,
        rows=rows,
        filename="learning-library",
        fmt="csv",
        filters={k: v for k, v in request.GET.items() if v},
    )


urlpatterns = [
    path("debriefs/", debrief_list, name="debriefs"),
    path("debriefs/new/", debrief_new, name="debrief-new"),
    path("debriefs/library/", library, name="library"),
    path("debriefs/library/export.csv", library_export, name="library-export"),
    path("debriefs/lessons/<int:pk>/", lesson_edit, name="lesson-edit"),
    path("debriefs/lessons/<int:pk>/remove/", lesson_remove, name="lesson-remove"),
    path("debriefs/<str:reference>/", debrief_detail, name="debrief"),
    path("debriefs/<str:reference>/record/", debrief_edit, name="debrief-edit"),
    path("debriefs/<str:reference>/lessons/new/", lesson_add, name="lesson-add"),
    path("debriefs/<str:reference>/move/", debrief_move, name="debrief-move"),
]
