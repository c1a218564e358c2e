"""MoRiLE assessments: scoring through the engine, the moderation workflow and its rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from socmaster.assessments import services
from socmaster.assessments.models import Assessment, SchemeVersion
from socmaster.core.models import AuditEntry
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def answers(pick: int = 0) -> dict:
    """An answer for every factor of the current scheme: the pick-th allowed answer (clamped)."""
    scheme = services.current_scheme().engine_scheme()
    return {f.key: f.answers[min(pick, len(f.answers) - 1)].key for f in scheme.factors}


def evidence(**overrides):
    values = dict(
        evidence_from=TODAY - dt.timedelta(days=200),
        evidence_to=TODAY - dt.timedelta(days=10),
        review_due=TODAY + dt.timedelta(days=180),
    )
    values.update(overrides)
    return values


@pytest.fixture
def people(make_user):
    return {
        "assessor": make_user("rocu-north-east", "rocta_assessor", username="assessor"),
        "moderator": make_user("rocu-north-east", "moderator", username="moderator"),
        "other_region_moderator": make_user("rocu-south-east", "moderator", username="semod"),
        "force_analyst": make_user("force-durham", "analyst", username="fa"),
        "stranger": make_user("force-kent", "analyst", username="kent"),
    }


@pytest.fixture
def threat(org):
    return Threat.objects.create(
        reference="MOR-1",
        name="Whole group",
        owner=org("force-durham"),
        handling="region",
        moderation_status="moderated",
        tier=3,
        score=10,
    )


def test_default_scheme_is_loaded_and_current():
    current = SchemeVersion.objects.get(is_current=True)
    assert "not an official" in (current.definition.get("description", "") + current.label).lower()


def test_full_workflow_sets_threat_figures(people, threat):
    a = services.create_assessment(people["assessor"], threat, answers=answers(3), **evidence())
    assert a.status == "draft" and a.version_number == 1 and 1 <= a.tier <= 5
    assert any(f["key"] == "priority" for f in a.result["figures"])
    threat.refresh_from_db()
    assert threat.score == 10  # imported figures stay until a moderated assessment replaces them
    services.submit_assessment(people["assessor"], a)
    services.moderate_assessment(people["moderator"], a)
    a.refresh_from_db()
    threat.refresh_from_db()
    assert a.status == "moderated" and a.moderator == people["moderator"]
    assert (threat.score, threat.tier, threat.moderation_status) == (a.score, a.tier, "moderated")
    transitions = AuditEntry.objects.filter(
        action="transition", record_type="assessments.assessment"
    )
    assert [e.changes["transition"] for e in transitions.order_by("seq")] == ["submit", "moderate"]


def test_moderated_assessment_never_changes_and_reassessment_is_a_new_version(people, threat):
    a = services.create_assessment(people["assessor"], threat, answers=answers(1), **evidence())
    services.submit_assessment(people["assessor"], a)
    services.moderate_assessment(people["moderator"], a)
    with pytest.raises(ValidationError, match="re-assessment"):
        services.update_assessment(people["assessor"], a, summary="changed")
    b = services.create_assessment(people["assessor"], threat, answers=answers(0), **evidence())
    assert b.version_number == 2
    threat.refresh_from_db()
    assert threat.score == Assessment.objects.get(pk=a.pk).score  # still the moderated v1


def test_assessor_cannot_moderate_own_work_and_moderator_must_be_of_the_region(
    people, threat, make_user
):
    both = make_user("rocu-north-east", "rocta_assessor", "moderator", username="both")
    a = services.create_assessment(both, threat, answers=answers(), **evidence())
    services.submit_assessment(both, a)
    with pytest.raises(PermissionDenied):
        services.moderate_assessment(both, a)
    with pytest.raises(PermissionDenied):
        services.moderate_assessment(people["other_region_moderator"], a)
    with pytest.raises(PermissionDenied):
        services.moderate_assessment(people["force_analyst"], a)
    services.moderate_assessment(people["moderator"], a)


def test_transitions_check_the_current_state(people, threat):
    a = services.create_assessment(people["assessor"], threat, answers=answers(), **evidence())
    with pytest.raises(ValidationError, match="Cannot moderate an assessment that is draft"):
        services.moderate_assessment(people["moderator"], a)
    with pytest.raises(ValidationError, match="Cannot return"):
        services.return_assessment(people["moderator"], a, reason="x")
    services.submit_assessment(people["assessor"], a)
    with pytest.raises(ValidationError, match="Cannot submit"):
        services.submit_assessment(people["assessor"], a)
    with pytest.raises(ValidationError, match="Say why"):
        services.return_assessment(people["moderator"], a, reason=" ")
    services.return_assessment(people["moderator"], a, reason="Score the firearms criminality too")
    a.refresh_from_db()
    assert a.status == "returned" and a.return_reason.startswith("Score the firearms")
    services.update_assessment(people["assessor"], a, summary="Now covers firearms")
    services.submit_assessment(people["assessor"], a)
    services.moderate_assessment(people["moderator"], a)


def test_answers_and_dates_are_validated_with_field_messages(people, threat):
    bad = answers()
    first = next(iter(bad))
    bad.pop(first)
    with pytest.raises(ValidationError) as exc:
        services.create_assessment(people["assessor"], threat, answers=bad, **evidence())
    assert first in " ".join(exc.value.message_dict["answers"])
    with pytest.raises(ValidationError) as exc:
        services.create_assessment(
            people["assessor"],
            threat,
            answers=answers(),
            whole_threat=False,
            **evidence(evidence_to=TODAY + dt.timedelta(days=3)),
        )
    assert {"evidence_to", "partial_justification"} <= set(exc.value.message_dict)
    assert not Assessment.objects.exists()


def test_who_may_assess(people, threat, make_user):
    from django.http import Http404

    neighbour = make_user(
        "force-northumbria", "analyst"
    )  # same region: sees the threat, may not assess it
    with pytest.raises(PermissionDenied):
        services.create_assessment(neighbour, threat, answers=answers(), **evidence())
    with pytest.raises(Http404):
        services.create_assessment(
            people["other_region_moderator"], threat, answers=answers(), **evidence()
        )

    hidden = Threat.objects.create(
        reference="MOR-H", name="h", owner=threat.owner, handling="owner"
    )
    with pytest.raises(Http404):
        services.create_assessment(people["assessor"], hidden, answers=answers(), **evidence())
    assert services.create_assessment(
        people["force_analyst"], threat, answers=answers(), **evidence()
    )


def test_higher_harm_answers_never_lower_the_score(people, threat):
    low = services.create_assessment(people["assessor"], threat, answers=answers(0), **evidence())
    high = services.create_assessment(people["assessor"], threat, answers=answers(99), **evidence())
    assert high.score >= low.score and high.tier <= low.tier


def test_web_pages_and_exceptions(web, people, threat):
    client = web(people["assessor"])
    page = client.get(f"/assessments/new/{threat.reference}/")
    assert (
        page.status_code == 200
        and "Assess the <strong>whole</strong> threat" in page.content.decode()
    )
    data = {f"factor__{k}": v for k, v in answers(2).items()}
    data.update(
        evidence_from=str(TODAY - dt.timedelta(days=900)),
        evidence_to=str(TODAY - dt.timedelta(days=800)),
        review_due=str(TODAY - dt.timedelta(days=1)),
        whole_threat="no",
        partial_justification="Op only",
    )
    response = client.post(f"/assessments/new/{threat.reference}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    a = Assessment.objects.get()
    assert client.post(f"/assessments/{a.pk}/submit/").status_code == 302
    mod = web(people["moderator"])
    assert f"/assessments/{a.pk}/" in mod.get("/assessments/queue/").content.decode()
    mod.post(f"/assessments/{a.pk}/moderate/")
    a.refresh_from_db()
    assert a.status == "moderated"
    detail = mod.get(f"/threats/{threat.reference}/").content.decode()
    assert 'data-testid="assessment-history"' in detail and "score-data" in detail
    report = mod.get("/threats/exceptions/").content.decode()
    for key in ("review_overdue", "stale_evidence", "partial"):
        assert f'data-testid="count-{key}">1<' in report, key


def test_api_workflow(api, people, threat):
    client = api(people["assessor"])
    created = client.post(
        "/api/assessments/",
        {
            "threat": threat.reference,
            "answers": answers(1),
            "evidence_from": str(TODAY - dt.timedelta(days=30)),
            "evidence_to": str(TODAY),
            "review_due": str(TODAY + dt.timedelta(days=90)),
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert client.post(f"/api/assessments/{pk}/moderate/").status_code == 403
    assert client.post(f"/api/assessments/{pk}/submit/").json()["status"] == "submitted"
    moderator = api(people["moderator"])
    assert (
        moderator.post(f"/api/assessments/{pk}/return/", {"reason": ""}, format="json").status_code
        == 400
    )
    assert moderator.post(f"/api/assessments/{pk}/moderate/").json()["status"] == "moderated"
    assert api(people["stranger"]).get(f"/api/assessments/{pk}/").status_code == 404  # other region
    schemes = client.get("/api/schemes/").json()
    assert schemes["count"] >= 1


def test_returning_without_a_reason_shows_an_error_summary(web, make_user, org):
    """The moderator's missing reason is a GOV.UK error on the return form, not a banner."""
    assessor = make_user("force-durham", "analyst", "lro", username="as-assessor")
    moderator = make_user("rocu-north-east", "moderator", username="as-moderator")
    threat = Threat.objects.create(
        reference="AS-RET", name="Harbour", owner=org("force-durham"), handling="region"
    )
    scheme = services.current_scheme()
    answers = {f.key: f.answers[0].key for f in scheme.engine_scheme().factors}
    today = dt.date.today()
    assessment = services.create_assessment(
        assessor,
        threat,
        answers=answers,
        evidence_from=today - dt.timedelta(days=30),
        evidence_to=today,
        review_due=today + dt.timedelta(days=180),
        whole_threat=True,
    )
    services.submit_assessment(assessor, assessment)
    response = web(moderator).post(f"/assessments/{assessment.pk}/return/", {"reason": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in html and "govuk-notification-banner" not in html
    assert "Say why the assessment is being returned" in html and "<title>Error: " in html
    assessment.refresh_from_db()
    assert assessment.status == "submitted"


def test_a_moderation_just_after_midnight_in_summer_dates_the_threat_that_london_day(
    people, threat
):
    a = services.create_assessment(people["assessor"], threat, answers=answers(3), **evidence())
    services.submit_assessment(people["assessor"], a)
    services.moderate_assessment(people["moderator"], a)
    # 00:30 on 11 June in London (BST) is 23:30 on 10 June in UTC.
    moment = dt.datetime(2026, 6, 10, 23, 30, tzinfo=dt.UTC)
    Assessment.objects.filter(pk=a.pk).update(moderated_at=moment)
    services._sync_threat(threat)
    threat.refresh_from_db()
    assert threat.assessed_on == dt.date(2026, 6, 11)
