"""Every protected model, owning or inheriting its protection, through the declared-access base.

Each case in CASES builds a record under each handling level; every member of the shared cast
then reads it through the policy (object and queryset forms), the API (detail, list, PATCH) and its page,
and the answers must match the hand-written tables in tests/access.py: visible or not; a
restricted record asks for a reason and is a summary in lists; a hidden record answers exactly
like a missing one (same status, same body). New protected models add a case here.
"""

from __future__ import annotations

import itertools

import pytest
from django.apps import apps
from django.conf import settings

from socmaster.assessments import services as assessment_services
from socmaster.assessments.models import Assessment
from socmaster.core import policy
from socmaster.disruptions import services as disruption_services
from socmaster.disruptions.models import Disruption, Tactic
from socmaster.gateway.models import Capability, RequestPause, SupportRequest
from socmaster.intelligence.models import (
    Dissemination,
    IntelligenceReport,
    MoratoriumExtension,
    ReportMention,
    ReportSubject,
    SarAccount,
    SarSubject,
    SuspiciousActivityReport,
)
from socmaster.linkage.models import CandidateMatch, MatchDecision
from socmaster.network.models import Association
from socmaster.organisations.models import Organisation
from socmaster.plans import services as plan_services
from socmaster.plans.models import Plan, PlanAction, PlanReview, PlanTextBand
from socmaster.tasking.models import (
    AgendaItem,
    Debrief,
    Decision,
    Lesson,
    Meeting,
    MeetingAction,
)
from socmaster.tasking.services import debriefs as debrief_services
from socmaster.threats.models import (
    Identifier,
    LinkedEntity,
    Nominal,
    NominalAlias,
    Threat,
    ThreatMember,
)
from tests.access import (
    CHANGES,
    DELETES,
    HANDLINGS,
    OWNER,
    RESTRICTED,
    SHARED_WITH,
    TODAY,
    ProtectedCase,
    make_cast,
    same_body,
    sees,
)

pytestmark = pytest.mark.django_db
_n = itertools.count(1)


def _threat(handling, people):
    threat = Threat.objects.create(
        reference=f"ACC-{next(_n)}",
        name=f"Access {handling}",
        owner=Organisation.objects.get(key=OWNER),
        handling=handling,
        threat_type="ocg",
        lro=people["owner_analyst"],
    )
    threat.shared_with.set(Organisation.objects.filter(key__in=SHARED_WITH))
    return threat


def _nominal(handling, people):
    nominal = Nominal.objects.create(
        reference=f"NOM-ACC-{next(_n)}",
        family_name="Access",
        owner=Organisation.objects.get(key=OWNER),
        handling=handling,
    )
    nominal.shared_with.set(Organisation.objects.filter(key__in=SHARED_WITH))
    return nominal


def _member(handling, people):
    # The member is national and shared like the threat, so the threat's handling decides.
    nominal = _nominal("national", people)
    return ThreatMember.objects.create(threat=_threat(handling, people), nominal=nominal)


def _assessment(handling, people):
    scheme = assessment_services.current_scheme().engine_scheme()
    return assessment_services.create_assessment(
        people["owner_analyst"],
        _threat(handling, people),
        answers={f.key: f.answers[0].key for f in scheme.factors},
        evidence_from=TODAY.replace(year=TODAY.year - 1),
        evidence_to=TODAY,
        review_due=TODAY.replace(year=TODAY.year + 1),
    )


def _disruption(handling, people):
    return disruption_services.record_disruption(
        people["owner_analyst"],
        _threat(handling, people),
        recording_organisation=Organisation.objects.get(key=OWNER),
        event_date=TODAY,
        team="Op Access",
        four_p="pursue",
        category="major",
        tactic=Tactic.objects.get(code="arrest"),
        narrative="Arrests made.",
        evidence="Ref 1",
    )


def _plan(handling, people):
    return plan_services.create_plan(
        people["owner_analyst"], _threat(handling, people), aim="Dismantle the group"
    )


def _action(handling, people):
    return PlanAction.objects.create(
        plan=_plan(handling, people),
        four_p="pursue",
        description="Arrest",
        due_date=TODAY,
        created_by=people["owner_analyst"],
        updated_by=people["owner_analyst"],
    )


def _review(handling, people):
    return PlanReview.objects.create(
        plan=_plan(handling, people),
        reviewer=people["owner_admin"],
        reviewer_role="sro",
        outcome="good",
        comments="Fine.",
    )


def _band(handling, people):
    return PlanTextBand.objects.create(plan=_plan(handling, people), band=99, value=1)


def _link(handling, people):
    return LinkedEntity.objects.create(threat=_threat(handling, people), kind="business", name="Co")


def _alias(handling, people):
    return NominalAlias.objects.create(nominal=_nominal(handling, people), family_name="Alias")


def _identifier(handling, people):
    return Identifier.objects.create(nominal=_nominal(handling, people), kind="phone", value="0770")


def _report(handling, people):
    report = IntelligenceReport.objects.create(
        reference=f"INT-ACC-{next(_n)}",
        owner=Organisation.objects.get(key=OWNER),
        handling=handling,
        original_text="Synthetic original.",
        source_evaluation="2",
        intelligence_assessment="B",
        handling_code="P",
    )
    report.shared_with.set(Organisation.objects.filter(key__in=SHARED_WITH))
    return report


def _sar(handling, people):
    sar = SuspiciousActivityReport.objects.create(
        reference=f"UKFIU-ACC-{next(_n)}",
        owner=Organisation.objects.get(key=OWNER),
        handling=handling,
        reporter_sector="credit_institution",
        submitted_on=TODAY,
        sar_type="daml",
        reason_text="Synthetic.",
    )
    sar.shared_with.set(Organisation.objects.filter(key__in=SHARED_WITH))
    return sar


def _candidate(handling, people):
    # The SAR is national and shared like the nominal, so the nominal's handling decides (a
    # match is seen only by who may see both: tests/linkage/test_workflow.py).
    subject = SarSubject.objects.create(sar=_sar("national", people), family_name="Access")
    return CandidateMatch.objects.create(
        kind="sar_subject",
        nominal=_nominal(handling, people),
        sar_subject=subject,
        model_version=1,
        probability=0.7,
        weight=1.2,
        status="review",
    )


def _match_decision(handling, people):
    return MatchDecision.objects.create(
        candidate=_candidate(handling, people),
        decision="unsure",
        reason="Synthetic decision.",
        decided_by=people["owner_analyst"],
    )


def _association(handling, people):
    # The other nominal is national and shared like the first, so the first's handling decides
    # (an association is seen only by who may see both: tests/network/test_access.py).
    return Association.objects.create(
        nominal=_nominal(handling, people), other=_nominal("national", people), kind="associate"
    )


def _report_subject(handling, people):
    return ReportSubject.objects.create(report=_report(handling, people), family_name="Subject")


def _mention(handling, people):
    return ReportMention.objects.create(
        report=_report(handling, people), kind="phone", value="0770", normalised="0770"
    )


def _dissemination(handling, people):
    return Dissemination.objects.create(
        report=_report(handling, people),
        organisation=Organisation.objects.get(key="force-cheshire"),
        purpose="Tasking",
    )


def _sar_subject(handling, people):
    return SarSubject.objects.create(sar=_sar(handling, people), family_name="Subject")


def _sar_account(handling, people):
    return SarAccount.objects.create(sar=_sar(handling, people), account_number="12345678")


def _extension(handling, people):
    return MoratoriumExtension.objects.create(
        sar=_sar(handling, people), granted_on=TODAY, days=31, court="Crown Court"
    )


def _support_request(handling, people):
    # Owned by OWNER like every case here (in use a request is owned by a ROCU or the NCA).
    request = SupportRequest.objects.create(
        reference=f"GW-ACC-{next(_n)}",
        capability=Capability.objects.get(code="rib"),
        owner=Organisation.objects.get(key=OWNER),
        handling=handling,
        requesting_organisation=Organisation.objects.get(key=OWNER),
        requested_by=people["owner_analyst"],
        threat_description="A synthetic group not on the master list.",
        asked_for="Synthetic support.",
        justification="Synthetic reason.",
        needed_from=TODAY,
    )
    request.shared_with.set(Organisation.objects.filter(key__in=SHARED_WITH))
    return request


def _request_pause(handling, people):
    return RequestPause.objects.create(
        request=_support_request(handling, people),
        asked="A synthetic question.",
        started_by=people["owner_analyst"],
    )


def _debrief(handling, people):
    # Made due by hand about a threat: it copies the threat's protection (owner, handling,
    # sharing) and is owned by the analyst who added it.
    return debrief_services.add_debrief(
        people["owner_analyst"], threat=_threat(handling, people), ended_on=TODAY
    )


def _lesson(handling, people):
    return debrief_services.add_lesson(
        people["owner_analyst"], _debrief(handling, people), text="Synthetic lesson."
    )


def _meeting(handling, people):
    # Owned by OWNER like every case here (a force's own tasking meeting), its partners in
    # shared_with.
    meeting = Meeting.objects.create(
        owner=Organisation.objects.get(key=OWNER),
        handling=handling,
        level="force",
        body=f"Access {handling} group {next(_n)}",
        held_on=TODAY,
        chair=people["owner_analyst"],
        since=TODAY,
        created_by=people["owner_analyst"],
    )
    meeting.shared_with.set(Organisation.objects.filter(key__in=SHARED_WITH))
    return meeting


def _agenda_item(handling, people):
    # About no record (a heading the chair added): seen by everyone who sees the meeting.
    return AgendaItem.objects.create(
        meeting=_meeting(handling, people),
        position=1,
        kind="chair",
        section="Other business",
        title="Synthetic heading",
    )


def _decision(handling, people):
    return Decision.objects.create(
        item=_agenda_item(handling, people), text="Decided.", recorded_by=people["owner_analyst"]
    )


def _meeting_action(handling, people):
    return MeetingAction.objects.create(
        item=_agenda_item(handling, people),
        description="A synthetic action.",
        owner=people["owner_analyst"],
        due_on=TODAY,
        raised_by=people["owner_analyst"],
    )


CASES = [
    ProtectedCase(
        "intelligence report",
        IntelligenceReport,
        _report,
        page=lambda o: f"/intelligence/{o.reference}/",
        missing_page="/intelligence/INT-NONE/",
    ),
    ProtectedCase(
        "SAR",
        SuspiciousActivityReport,
        _sar,
        page=lambda o: f"/intelligence/sars/{o.reference}/",
        missing_page="/intelligence/sars/UKFIU-NONE/",
    ),
    ProtectedCase("report subject", ReportSubject, _report_subject),
    ProtectedCase("report mention", ReportMention, _mention),
    ProtectedCase("dissemination", Dissemination, _dissemination),
    ProtectedCase("SAR subject", SarSubject, _sar_subject),
    ProtectedCase("SAR account", SarAccount, _sar_account),
    ProtectedCase("moratorium extension", MoratoriumExtension, _extension),
    ProtectedCase(
        "threat",
        Threat,
        _threat,
        api=lambda o: f"/api/threats/{o.reference}/",
        api_list="/api/threats/?q={key}",
        list_key="reference",
        page=lambda o: f"/threats/{o.reference}/",
        missing_api="/api/threats/NONE-0/",
        missing_page="/threats/NONE-0/",
    ),
    ProtectedCase(
        "nominal",
        Nominal,
        _nominal,
        api=lambda o: f"/api/nominals/{o.reference}/",
        api_list="/api/nominals/?q={key}",
        list_key="reference",
        page=lambda o: f"/threats/nominals/{o.reference}/",
        missing_api="/api/nominals/NOM-NONE/",
        missing_page="/threats/nominals/NOM-NONE/",
    ),
    ProtectedCase(
        "membership",
        ThreatMember,
        _member,
        api=lambda o: f"/api/memberships/{o.pk}/",
        api_list="/api/memberships/?page_size=500",
        missing_api="/api/memberships/999999/",
    ),
    ProtectedCase(
        "assessment",
        Assessment,
        _assessment,
        api=lambda o: f"/api/assessments/{o.pk}/",
        api_list="/api/assessments/?page_size=500",
        page=lambda o: f"/assessments/{o.pk}/",
        missing_api="/api/assessments/999999/",
        missing_page="/assessments/999999/",
    ),
    ProtectedCase(
        "disruption",
        Disruption,
        _disruption,
        api=lambda o: f"/api/disruptions/{o.reference}/",
        api_list="/api/disruptions/?page_size=500",
        list_key="reference",
        page=lambda o: f"/disruptions/{o.reference}/",
        missing_api="/api/disruptions/DIS-NONE/",
        missing_page="/disruptions/DIS-NONE/",
    ),
    ProtectedCase(
        "plan",
        Plan,
        _plan,
        api=lambda o: f"/api/plans/{o.pk}/",
        api_list="/api/plans/?page_size=500",
        page=lambda o: f"/plans/{o.threat.reference}/",
        missing_api="/api/plans/999999/",
        missing_page="/plans/NONE-0/",
    ),
    ProtectedCase(
        "plan action",
        PlanAction,
        _action,
        api=lambda o: f"/api/plan-actions/{o.pk}/",
        api_list="/api/plan-actions/?page_size=500",
        page=lambda o: f"/plans/actions/{o.pk}/",
        missing_api="/api/plan-actions/999999/",
        missing_page="/plans/actions/999999/",
    ),
    ProtectedCase(
        "plan review",
        PlanReview,
        _review,
        api=lambda o: f"/api/plan-reviews/{o.pk}/",
        api_list="/api/plan-reviews/?page_size=500",
        missing_api="/api/plan-reviews/999999/",
    ),
    ProtectedCase("plan text band", PlanTextBand, _band),
    ProtectedCase("linked entity", LinkedEntity, _link),
    ProtectedCase("nominal alias", NominalAlias, _alias),
    ProtectedCase("identifier", Identifier, _identifier),
    ProtectedCase(
        "candidate match",
        CandidateMatch,
        _candidate,
        page=lambda o: f"/linkage/matches/{o.pk}/",
        missing_page="/linkage/matches/999999/",
    ),
    ProtectedCase("match decision", MatchDecision, _match_decision),
    ProtectedCase("association", Association, _association),
    ProtectedCase(
        "debrief",
        Debrief,
        _debrief,
        api=lambda o: f"/api/debriefs/{o.reference}/",
        api_list="/api/debriefs/?q={key}",
        list_key="reference",
        page=lambda o: f"/tasking/debriefs/{o.reference}/",
        missing_api="/api/debriefs/DBF-NONE/",
        missing_page="/tasking/debriefs/DBF-NONE/",
        patch=("what_worked", "Synthetic: the surveillance team."),
    ),
    ProtectedCase(
        "lesson",
        Lesson,
        _lesson,
        api=lambda o: f"/api/lessons/{o.pk}/",
        api_list="/api/lessons/?page_size=500",
        missing_api="/api/lessons/999999/",
        patch=("text", "Synthetic: a changed lesson."),
    ),
    ProtectedCase("support request", SupportRequest, _support_request),
    ProtectedCase("request pause", RequestPause, _request_pause),
    ProtectedCase(
        "meeting",
        Meeting,
        _meeting,
        api=lambda o: f"/api/meetings/{o.pk}/",
        api_list="/api/meetings/?page_size=500",
        page=lambda o: f"/tasking/meetings/{o.pk}/",
        missing_api="/api/meetings/999999/",
        missing_page="/tasking/meetings/999999/",
    ),
    ProtectedCase("agenda item", AgendaItem, _agenda_item),
    ProtectedCase("decision", Decision, _decision),
    ProtectedCase(
        "meeting action",
        MeetingAction,
        _meeting_action,
        api=lambda o: f"/api/meeting-actions/{o.pk}/",
        api_list="/api/meeting-actions/?page_size=500",
        page=lambda o: f"/tasking/actions/{o.pk}/",
        missing_api="/api/meeting-actions/999999/",
        missing_page="/tasking/actions/999999/",
    ),
]


def _check_policy(case, obj, handling, people) -> list[str]:
    failures = []
    for member, user in people.items():
        for action, want in (
            ("view", sees(member, handling)),
            ("export", sees(member, handling)),
            ("change", member in CHANGES),
            ("delete", member in DELETES),
        ):
            got = policy.can(user, action, obj)
            in_qs = policy.restrict(case.model.objects.all(), user, action).filter(pk=obj.pk)
            if got != want or in_qs.exists() != want:
                failures.append(f"policy {member} {handling}/{action}: can={got} want={want}")
        if policy.is_restricted(obj) != (handling in RESTRICTED):
            failures.append(f"is_restricted {handling}")
    return failures


def _check_api(case, obj, handling, people, api) -> list[str]:
    failures = []
    url = case.api(obj)
    for member, user in people.items():
        client = api(user)
        want = sees(member, handling)
        with_reason = client.get(url, HTTP_X_REASON="Declared access test")
        if want and with_reason.status_code != 200:
            failures.append(f"API {member} {handling}: {with_reason.status_code}, want 200")
        if not want:
            missing = client.get(case.missing_api, HTTP_X_REASON="Declared access test")
            if with_reason.status_code != 404 or with_reason.content != missing.content:
                failures.append(f"API {member} {handling}: hidden differs from missing")
        if want:
            bare = client.get(url)
            expected = 403 if handling in RESTRICTED else 200
            if bare.status_code != expected:
                failures.append(f"API {member} {handling} without reason: {bare.status_code}")
        if case.api_list:
            key = getattr(obj, case.list_key)
            body = client.get(case.api_list.format(key=key)).json()
            items = [i for i in body["results"] if i.get(case.list_key) == key]
            if bool(items) != want:
                failures.append(f"API list {member} {handling}: listed={bool(items)} want={want}")
            if items and items[0].get("is_summary", False) != (handling in RESTRICTED):
                failures.append(
                    f"API list {member} {handling}: is_summary={items[0].get('is_summary')}"
                )
    return failures


def _check_patch(case, obj, handling, people, api) -> list[str]:
    failures = []
    field, value = case.patch
    for member, user in people.items():
        want = 200 if member in CHANGES else 403 if sees(member, handling) else 404
        response = api(user).patch(case.api(obj), {field: value}, format="json")
        if response.status_code != want:
            failures.append(f"PATCH {member} {handling}: {response.status_code}, want {want}")
    return failures


def _check_page(case, obj, handling, people, client) -> list[str]:
    failures = []
    url = case.page(obj)
    root = policy.root_of(obj)
    for member, user in people.items():
        if not user.is_active:
            continue  # cannot sign in at all
        client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])
        want = sees(member, handling)
        response = client.get(url)
        if not want:
            missing = client.get(case.missing_page)
            if response.status_code != 404 or not same_body(response.content, missing.content):
                failures.append(f"page {member} {handling}: hidden differs from missing")
            continue
        if handling in RESTRICTED:
            if response.status_code != 302 or "/reason/" not in response["Location"]:
                failures.append(
                    f"page {member} {handling}: no reason asked ({response.status_code})"
                )
            session = client.session
            session["reasons"] = {f"{root._meta.label_lower}:{root.pk}": ["test", 9e18]}
            session.save()
            response = client.get(url)
        if response.status_code != 200:
            failures.append(f"page {member} {handling}: {response.status_code}, want 200")
    return failures


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_declared_access(case, make_user, api, client):
    people = make_cast(make_user)
    failures = []
    for handling in HANDLINGS:
        obj = case.make(handling, people)
        failures += _check_policy(case, obj, handling, people)
        if case.api:
            failures += _check_api(case, obj, handling, people, api)
        if case.patch:
            failures += _check_patch(case, obj, handling, people, api)
        if case.page:
            failures += _check_page(case, obj, handling, people, client)
    assert not failures, "\n".join(failures)


def _our_models():
    return [m for m in apps.get_models() if m.__module__.startswith("socmaster.")]


def test_every_model_declares_its_protection():
    undeclared = [m._meta.label for m in _our_models() if getattr(m, "protection", None) is None]
    assert not undeclared, f"declare protection on: {undeclared}"


def test_every_protected_model_has_a_declared_access_case():
    protected = {m for m in _our_models() if m.protection.kind in ("owns", "inherits")}
    covered = {case.model for case in CASES}
    assert protected == covered, (
        f"no case for: {sorted(m._meta.label for m in protected - covered)}"
    )
