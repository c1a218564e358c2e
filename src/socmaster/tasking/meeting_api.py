"""Meetings and their actions over the API (``/api/meetings/``, ``/api/meeting-actions/``): the
same policy, services and audit as the pages. A meeting is read with the agenda items, decisions
and actions the reader may see, and created (its agenda built) through the service; actions are
added to an item and closed through the services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from socmaster.core.api import ListSummaryMixin, ProtectedViewSet, VisibleRelatedField
from socmaster.organisations.api import OrganisationField
from socmaster.organisations.models import User

from .choices import DEFAULT_TOP_THREATS, MeetingActionStatus, MeetingLevel, MeetingStatus
from .meeting_tasks import complete_meeting_agenda
from .models import AgendaItem, Meeting, MeetingAction
from .services import meetings as services


class _UserNameField(serializers.SlugRelatedField):
    """A person by user name (any active user: the service checks they may see the meeting)."""

    default_error_messages = {"does_not_exist": "No such user.", "invalid": "No such user."}

    def __init__(self, **kwargs):
        super().__init__(
            slug_field="username", queryset=User.objects.filter(is_active=True), **kwargs
        )


def _action_data(a: MeetingAction) -> dict:
    return {
        "id": a.pk,
        "description": a.description,
        "owner": a.owner.username,
        "due_on": a.due_on,
        "status": a.status,
        "overdue": a.is_overdue,
        "outcome": a.outcome,
        "meeting": a.item.meeting_id,
        "item": a.item_id,
    }


def agenda_data(user, meeting: Meeting) -> list[dict]:
    """The agenda as the reader may see it: sections, items, decisions, actions, carried ones."""
    return [
        {
            "kind": section.kind,
            "section": section.title,
            "items": [
                {
                    "id": item.pk,
                    "position": item.position,
                    "title": item.title,
                    "detail": item.detail,
                    "url": item.url,
                    "record_type": item.record_type,
                    "record_id": item.record_id,
                    "threat": item.threat.reference if item.threat_id else None,
                    "figure": item.figure,
                    "pending": item.pending,
                    "decisions": [
                        {
                            "id": d.pk,
                            "text": d.text,
                            "recorded_by": d.recorded_by.username,
                            "recorded_at": d.recorded_at,
                        }
                        for d in item.decisions.all()
                    ],
                    "actions": [_action_data(a) for a in item.actions.all()],
                    "carried_actions": [_action_data(a) for a in item.carried_seen],
                }
                for item in section.items
            ],
        }
        for section in services.agenda(user, meeting)
    ]


class MeetingSerializer(ListSummaryMixin, serializers.ModelSerializer):
    owner = OrganisationField()
    area = OrganisationField(required=False, allow_null=True)
    chair = _UserNameField()
    attendees = _UserNameField(many=True, required=False)
    organisations = serializers.ListField(
        child=OrganisationField(),
        required=False,
        write_only=True,
        help_text="The organisations attending besides the owner (partners): keys or names.",
    )
    handling = serializers.ChoiceField(
        choices=list(services.HANDLING_CHOICES), required=False, allow_blank=True
    )
    level = serializers.ChoiceField(choices=MeetingLevel.choices)
    top_n = serializers.IntegerField(required=False, default=DEFAULT_TOP_THREATS)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "level",
            "owner",
            "body",
            "held_on",
            "chair",
            "attendees",
            "organisations",
            "handling",
            "area",
            "top_n",
            "status",
            "since",
            "previous",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["id", "status", "since", "previous", "created_at"]
        list_fields = ["id", "level", "owner", "body", "held_on", "handling", "status"]
        validators = []  # one meeting of a group a day: the service checks it, on held_on

    def to_representation(self, meeting):
        data = super().to_representation(meeting)
        data["organisations"] = [o.key for o in meeting.shared_with.order_by("key")]
        view = self.context.get("view")
        if getattr(view, "action", None) in ("retrieve", "create"):
            data["agenda"] = agenda_data(self.context["request"].user, meeting)
        counts = getattr(meeting, "agenda_counts", None)
        if counts is not None:
            data["agenda_counts"] = {kind: n for kind, _section, n in counts}
        if getattr(view, "action", None) == "list" and meeting.is_restricted:
            data.pop("organisations", None)
        return data

    def create(self, validated_data):
        built = services.create_meeting(self.context["request"].user, **validated_data)
        if built.pending:
            complete_meeting_agenda.enqueue(built.meeting.pk)
        built.meeting.agenda_counts = built.counts
        return built.meeting


class MeetingViewSet(ProtectedViewSet):
    """Tasking and co-ordination meetings you may see (``?body=``, ``?level=``, ``?status=``).
    Opening one gives its agenda as you may see it (a partner: the items about records shared
    with them) and is audited; one with restricted handling needs a reason (X-Reason header or
    ``?reason=``). POST creates a meeting and builds its agenda."""

    queryset = Meeting.objects.all()
    serializer_class = MeetingSerializer
    ordering_fields = ["held_on", "body", "created_at"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        meetings = super().get_queryset().with_related().prefetch_related("attendees")
        params = self.request.query_params
        if params.get("body"):
            meetings = meetings.filter(body__iexact=params["body"])
        if params.get("level") in MeetingLevel.values:
            meetings = meetings.filter(level=params["level"])
        if params.get("status") in MeetingStatus.values:
            meetings = meetings.filter(status=params["status"])
        return meetings.order_by("body", "-held_on", "-id")


class MeetingActionSerializer(ListSummaryMixin, serializers.ModelSerializer):
    item = VisibleRelatedField(AgendaItem, slug_field="id")
    meeting = serializers.IntegerField(source="item.meeting_id", read_only=True)
    owner = _UserNameField()
    raised_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    closed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = MeetingAction
        fields = [
            "id",
            "meeting",
            "item",
            "description",
            "owner",
            "due_on",
            "status",
            "overdue",
            "outcome",
            "raised_by",
            "created_at",
            "closed_at",
            "closed_by",
            "closed_in",
        ]
        read_only_fields = [
            "id",
            "status",
            "outcome",
            "created_at",
            "closed_at",
            "closed_in",
        ]
        list_fields = ["id", "meeting", "item", "status", "due_on", "overdue"]

    def create(self, validated_data):
        item = validated_data.pop("item")
        return services.add_action(self.context["request"].user, item, **validated_data)


class CloseActionSerializer(serializers.Serializer):
    outcome = serializers.CharField(allow_blank=True)
    done = serializers.BooleanField(default=True)
    meeting = serializers.IntegerField(required=False, allow_null=True)


class MeetingActionViewSet(ProtectedViewSet):
    """Actions given at meetings you may see, on items you may see (``?mine=yes``,
    ``?status=open|closed``, ``?overdue=yes``, ``?meeting=ID``). POST adds one to an agenda
    item; ``close/`` closes one, saying what came of it."""

    queryset = MeetingAction.objects.all()
    serializer_class = MeetingActionSerializer
    ordering_fields = ["due_on", "created_at"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        params = self.request.query_params
        status = params.get("status", "")
        actions = services.actions_of(
            self.request.user,
            scope="mine" if params.get("mine") == "yes" else "",
            status=status if status in ("open", "closed") else "",
            overdue=params.get("overdue") == "yes",
        ).select_related("raised_by", "closed_by")
        if (params.get("meeting") or "").isdigit():
            actions = actions.filter(item__meeting_id=int(params["meeting"]))
        return actions

    @extend_schema(
        request=CloseActionSerializer,
        responses=inline_serializer(
            "ClosedMeetingAction",
            {"id": serializers.IntegerField(), "status": serializers.CharField()},
        ),
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        meeting_action = get_object_or_404(self.get_queryset(), pk=pk)
        given = CloseActionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        at = None
        if given.validated_data.get("meeting"):
            at = get_object_or_404(
                services.meetings_of(request.user), pk=given.validated_data["meeting"]
            )
        closed = services.close_action(
            request.user,
            meeting_action,
            outcome=given.validated_data["outcome"],
            done=given.validated_data["done"],
            at=at,
        )
        return Response(
            {
                "id": closed.pk,
                "status": closed.status,
                "open": closed.status == MeetingActionStatus.OPEN,
            }
        )
