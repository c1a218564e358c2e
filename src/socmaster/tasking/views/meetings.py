"""Meeting pages: the list, a new meeting (its agenda built), the meeting with its agenda,
decisions and actions, the minutes (page and PDF), and the actions list. Every rule is in
``services.meetings``; these views read only what the access policy lets the user see, and hand
what was typed to the services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from socmaster.core.exports import export_view
from socmaster.core.forms import add_service_errors, style_form
from socmaster.core.reasons import REASON_TOO_SHORT, is_enough
from socmaster.core.views import form_page, log_list, open_record

from ..choices import CARRIED_ACTIONS, MEETING_TRANSITION_LABELS, MeetingStatus
from ..meeting_forms import (
    ActionFilterForm,
    ActionForm,
    CloseActionForm,
    DecisionForm,
    ItemForm,
    MeetingFilterForm,
    MeetingForm,
)
from ..meeting_tasks import complete_meeting_agenda
from ..models import AgendaItem, Meeting, MeetingAction
from ..services import meetings as services

PAGE_SIZE = 50


def _querystring(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


def _meeting(request, pk) -> Meeting:
    meeting = services.meetings_of(request.user).filter(pk=pk).first()
    if meeting is None:
        raise Http404("No such record.")
    return meeting


def _item(request, meeting, item_pk) -> AgendaItem:
    item = (
        AgendaItem.objects.visible_to(request.user)
        .select_related("meeting")
        .filter(meeting=meeting, pk=item_pk)
        .first()
    )
    if item is None:
        raise Http404("No such record.")
    return item


def _action(request, pk) -> MeetingAction:
    action = (
        services.actions_of(request.user, status="")
        .select_related("item__meeting__owner", "closed_by", "raised_by", "closed_in")
        .filter(pk=pk)
        .first()
    )
    if action is None:
        raise Http404("No such record.")
    return action


# --- the list and a new meeting -------------------------------------------------------------------


@login_required
def meeting_list(request):
    user = request.user
    form = style_form(
        MeetingFilterForm(request.GET or None, bodies=services.bodies(user)), filters=True
    )
    meetings = services.meetings_of(user)
    if form.is_valid():
        if form.cleaned_data["body"]:
            meetings = meetings.filter(body__iexact=form.cleaned_data["body"])
        if form.cleaned_data["level"]:
            meetings = meetings.filter(level=form.cleaned_data["level"])
    page = Paginator(meetings.order_by("body", "-held_on", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    log_list(request, page, Meeting)
    return render(
        request,
        "tasking/meeting_list.html",
        {
            "filter_form": form,
            "page_obj": page,
            "querystring_without_page": _querystring(request),
            "may_create": bool(services.creatable_for(user)),
        },
    )


@login_required
def meeting_new(request):
    user = request.user
    if not services.creatable_for(user):
        raise PermissionDenied(
            "Meetings are created by someone with a working role in a force, a ROCU or a "
            "national agency."
        )

    def save(data):
        built = services.create_meeting(
            user,
            level=data["level"],
            owner=data["owner"],
            body=data["body"],
            held_on=data["held_on"],
            chair=data["chair"],
            attendees=data["attendees"],
            organisations=data["organisations"],
            handling=data["handling"],
            area=data["area"],
            top_n=data["top_n"],
        )
        if built.pending:
            complete_meeting_agenda.enqueue(built.meeting.pk)
        listed = [f"{section}: {n}" for _kind, section, n in built.counts if n]
        messages.success(
            request,
            "The meeting has been created and its agenda built"
            + (f" ({'; '.join(listed)})." if listed else ": nothing on it yet.")
            + f" It covers the data since {built.meeting.since:%d %b %Y}."
            + (" The exceptions are being counted." if built.pending else ""),
        )
        return redirect(built.meeting.get_absolute_url())

    form = style_form(MeetingForm(request.POST or None, user=user))
    return form_page(
        request, form, save, template="tasking/meeting_form.html", context={"title": "New meeting"}
    )


# --- the meeting ---------------------------------------------------------------------------------


def _meeting_page(request, meeting, *, bound: dict | None = None, status: int = 200):
    """The meeting page; ``bound`` holds a form that failed (by its key) to show with errors."""
    redirect_to = open_record(request, meeting)
    if redirect_to:
        return redirect_to
    user, bound = request.user, bound or {}
    sections = services.agenda(user, meeting)
    manage = services.may_manage(user, meeting) and meeting.status != MeetingStatus.APPROVED
    listed = [
        action
        for section in sections
        for item in section.items
        for action in [*item.actions.all(), *getattr(item, "carried_seen", [])]
    ]
    closable = services.closable(user, meeting, listed)
    for action in listed:
        if action.pk in closable:
            action.close_form = bound.get(("close", action.pk)) or style_form(
                CloseActionForm(prefix=f"action{action.pk}")
            )
    for section in sections:
        for item in section.items:
            if manage and not item.pending:
                item.decision_form = bound.get(("decision", item.pk)) or style_form(
                    DecisionForm(prefix=f"item{item.pk}-decision")
                )
                item.action_form = bound.get(("action", item.pk)) or style_form(
                    ActionForm(prefix=f"item{item.pk}-action")
                )
    item_form = None
    if manage:
        item_form = bound.get("item") or style_form(
            ItemForm(user=user, sections=[(s.kind, s.title) for s in sections])
        )
    return render(
        request,
        "tasking/meeting.html",
        {
            "meeting": meeting,
            "sections": sections,
            "manage": manage,
            "item_form": item_form,
            "carried_kind": CARRIED_ACTIONS,
            "transitions": [
                (name, MEETING_TRANSITION_LABELS[name])
                for name in services.available_transitions(user, meeting)
            ],
            "attendees": meeting.attendees.order_by("last_name", "first_name", "username"),
            "organisations": meeting.shared_with.order_by("name"),
            "page_has_errors": bool(bound),
            "error_form": next(iter(bound.values()), None),
        },
        status=status,
    )


@login_required
def meeting_detail(request, pk):
    return _meeting_page(request, _meeting(request, pk))


def _back(meeting, anchor: str = "") -> HttpResponse:
    return redirect(meeting.get_absolute_url() + (f"#{anchor}" if anchor else ""))


@login_required
@require_POST
def item_add(request, pk):
    meeting = _meeting(request, pk)
    sections = [(s.kind, s.title) for s in services.agenda(request.user, meeting)]
    form = style_form(ItemForm(request.POST, user=request.user, sections=sections))
    if form.is_valid():
        try:
            item = services.add_item(request.user, meeting, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The item has been added to the agenda.")
            return _back(meeting, f"item-{item.pk}")
    return _meeting_page(request, meeting, bound={"item": form}, status=400)


@login_required
@require_POST
def item_move(request, pk, item, direction):
    meeting = _meeting(request, pk)
    agenda_item = _item(request, meeting, item)
    try:
        services.move_item(request.user, agenda_item, direction)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(meeting, f"item-{agenda_item.pk}")


@login_required
@require_POST
def decision_add(request, pk, item):
    meeting = _meeting(request, pk)
    agenda_item = _item(request, meeting, item)
    form = style_form(DecisionForm(request.POST, prefix=f"item{agenda_item.pk}-decision"))
    if form.is_valid():
        try:
            services.record_decision(request.user, agenda_item, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The decision has been recorded.")
            return _back(meeting, f"item-{agenda_item.pk}")
    return _meeting_page(request, meeting, bound={("decision", agenda_item.pk): form}, status=400)


@login_required
@require_POST
def action_add(request, pk, item):
    meeting = _meeting(request, pk)
    agenda_item = _item(request, meeting, item)
    form = style_form(ActionForm(request.POST, prefix=f"item{agenda_item.pk}-action"))
    if form.is_valid():
        try:
            services.add_action(request.user, agenda_item, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The action has been recorded.")
            return _back(meeting, f"item-{agenda_item.pk}")
    return _meeting_page(request, meeting, bound={("action", agenda_item.pk): form}, status=400)


@login_required
@require_POST
def meeting_transition(request, pk, step):
    meeting = _meeting(request, pk)
    steps = {"hold": services.hold_meeting, "approve": services.approve_minutes}
    if step not in steps:
        raise Http404("No such step.")
    try:
        steps[step](request.user, meeting)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            "The meeting is recorded as held."
            if step == "hold"
            else "The minutes are approved; the meeting no longer changes.",
        )
    return _back(meeting)


# --- actions ----------------------------------------------------------------------------------


@login_required
@require_POST
def action_close(request, pk):
    """Close an action, from its own page or from a meeting page (``meeting``: where it is
    listed, so that it is recorded as closed at that meeting)."""
    action = _action(request, pk)
    at = None
    meeting_pk = request.POST.get("meeting", "")
    if meeting_pk.isdigit():
        at = _meeting(request, int(meeting_pk))
    form = style_form(CloseActionForm(request.POST, prefix=f"action{action.pk}"))
    if form.is_valid():
        try:
            services.close_action(request.user, action, at=at, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The action has been closed.")
            if at is not None:
                return _back(at, f"action-{action.pk}")
            return redirect(action.get_absolute_url())
    if at is not None:
        return _meeting_page(request, at, bound={("close", action.pk): form}, status=400)
    return _action_page(request, action, form=form, status=400)


def _action_page(request, action, *, form=None, status=200):
    redirect_to = open_record(request, action)
    if redirect_to:
        return redirect_to
    may_close = services.may_close(request.user, action)
    if may_close and form is None:
        form = style_form(CloseActionForm(prefix=f"action{action.pk}"))
    return render(
        request,
        "tasking/action.html",
        {
            "action": action,
            "meeting": action.item.meeting,
            "close_form": form if may_close else None,
            "closed_in": services.meetings_of(request.user).filter(pk=action.closed_in_id).first()
            if action.closed_in_id
            else None,
            "carried_in": [
                i.meeting
                for i in action.carried_in.filter(
                    pk__in=AgendaItem.objects.visible_to(request.user).values("pk")
                ).select_related("meeting")
            ],
        },
        status=status,
    )


@login_required
def action_detail(request, pk):
    return _action_page(request, _action(request, pk))


def _filtered_actions(request):
    form = style_form(
        ActionFilterForm(request.GET or {"scope": "mine", "status": "open"}), filters=True
    )
    chosen = form.cleaned_data if form.is_valid() else {"scope": "mine", "status": "open"}
    actions = services.actions_of(
        request.user,
        scope=chosen.get("scope", ""),
        status=chosen.get("status", ""),
        overdue=bool(chosen.get("overdue")),
    )
    return form, chosen, actions


@login_required
def action_list(request):
    form, _chosen, actions = _filtered_actions(request)
    page = Paginator(actions, PAGE_SIZE).get_page(request.GET.get("page"))
    log_list(request, page, MeetingAction)
    return render(
        request,
        "tasking/action_list.html",
        {
            "filter_form": form,
            "page_obj": page,
            "querystring_without_page": _querystring(request),
            "query": request.GET.urlencode(),
            "today": timezone.localdate(),
        },
    )


ACTION_COLUMNS = [
    "action",
    "description",
    "owner",
    "due_on",
    "status",
    "outcome",
    "meeting",
    "held_on",
    "item",
    "threat",
]


def _action_rows(actions):
    for a in actions.iterator(chunk_size=2000):
        meeting = a.item.meeting
        yield [
            a.pk,
            a.description,
            a.owner.username,
            a.due_on,
            a.get_status_display(),
            a.outcome,
            meeting.body,
            meeting.held_on,
            a.item.title,
            a.item.threat.reference if a.item.threat_id else "",
        ]


@login_required
def action_export(request, fmt):
    _form, chosen, actions = _filtered_actions(request)
    return export_view(
        request,
        record_type="tasking.meetingaction",
        title="Meeting actions",
        columns=ACTION_COLUMNS,
        rows=lambda: (actions.count(), _action_rows(actions)),
        filename="meeting-actions",
        fmt=fmt,
        filters={k: v for k, v in chosen.items() if v},
    )


# --- minutes -----------------------------------------------------------------------------------


def _minutes_context(request, meeting, *, for_screen: bool) -> dict:
    return {
        "meeting": meeting,
        "sections": services.agenda(request.user, meeting),
        "attendees": meeting.attendees.order_by("last_name", "first_name", "username"),
        "organisations": meeting.shared_with.order_by("name"),
        "carried_kind": CARRIED_ACTIONS,
        "printed_at": timezone.localtime(),
        "printed_by": request.user,
        "for_screen": for_screen,
    }


@login_required
def meeting_minutes(request, pk):
    """The minutes as a page (print it from the browser, or download the PDF)."""
    meeting = _meeting(request, pk)
    redirect_to = open_record(request, meeting)
    if redirect_to:
        return redirect_to
    return render(
        request, "tasking/meeting_minutes.html", _minutes_context(request, meeting, for_screen=True)
    )


@login_required
def meeting_minutes_pdf(request, pk):
    """The minutes as a PDF, holding only what the reader may see. A reason is asked for: the
    file leaves the system; the download is audited."""
    meeting = _meeting(request, pk)
    reason = request.POST.get("reason", "").strip() if request.method == "POST" else ""
    if not is_enough(reason):
        return render(
            request,
            "core/reason.html",
            {
                "title": f"Why are you downloading the minutes of {meeting}?",
                "action_label": "Download PDF",
                "error": REASON_TOO_SHORT if request.method == "POST" else "",
                "explain": "Minutes are shared outside the system; each download is recorded "
                "with its reason.",
            },
            status=400 if request.method == "POST" else 200,
        )
    from weasyprint import HTML

    context = _minutes_context(request, meeting, for_screen=False)
    html = render_to_string("tasking/meeting_minutes.html", context, request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    items = sum(len(s.items) for s in context["sections"])
    services.record_minutes_export(request.user, meeting, reason=reason, fmt="pdf", items=items)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="minutes-{meeting.pk}-{meeting.held_on:%Y-%m-%d}.pdf"'
    )
    return response


urlpatterns = [
    path("meetings/", meeting_list, name="meetings"),
    path("meetings/new/", meeting_new, name="meeting-new"),
    path("meetings/<int:pk>/", meeting_detail, name="meeting"),
    path("meetings/<int:pk>/minutes/", meeting_minutes, name="minutes"),
    path("meetings/<int:pk>/minutes.pdf", meeting_minutes_pdf, name="minutes-pdf"),
    path("meetings/<int:pk>/items/new/", item_add, name="item-add"),
    path("meetings/<int:pk>/items/<int:item>/move/<slug:direction>/", item_move, name="item-move"),
    path("meetings/<int:pk>/items/<int:item>/decisions/", decision_add, name="decision-add"),
    path("meetings/<int:pk>/items/<int:item>/actions/", action_add, name="action-add"),
    path("meetings/<int:pk>/<slug:step>/", meeting_transition, name="meeting-transition"),
    path("actions/", action_list, name="actions"),
    path("actions/export.<str:fmt>", action_export, name="actions-export"),
    path("actions/<int:pk>/", action_detail, name="action"),
    path("actions/<int:pk>/close/", action_close, name="action-close"),
]
