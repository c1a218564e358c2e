"""Regression tests for the "one way in" findings: each failed on the code before the fix.

Roles that cannot escalate, an inspector who never writes, national reference data changed only
nationally, moderation that cannot be bypassed, sharing decided by the owner, lists that show only
what a list needs and are logged, hidden records answering exactly like missing ones, and children
that ask for the same reason as their parent. Expected outcomes are written out by hand.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from socmaster.assessments import services as assessment_services
from socmaster.core.models import AuditEntry
from socmaster.disruptions import services as disruption_services
from socmaster.disruptions.models import Tactic
from socmaster.morile import default_scheme
from socmaster.organisations import services as org_services
from socmaster.organisations.models import Membership, User
from socmaster.threats import services as threat_services
from socmaster.threats.models import Identifier, Nominal, NominalAlias, Threat, ThreatMember

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()
REASON = {"HTTP_X_REASON": "Regression test"}


@pytest.fixture
def cast(make_user):
    return {
        "analyst": make_user("force-durham", "analyst", username="ana"),
        "colleague": make_user("force-durham", "analyst", username="col"),
        "admin": make_user("force-durham", "administrator", username="dadmin"),
        "moderator": make_user("rocu-north-east", "moderator", username="mod"),
        "assessor": make_user("rocu-north-east", "rocta_assessor", username="assessor"),
        "council_admin": make_user(
            "partner-durham-county-council", "administrator", username="cadm"
        ),
        "council_user": make_user("partner-durham-county-council", "partner_user", username="cusr"),
        "kent_lro": make_user("force-kent", "lro", username="kentlro"),
        "kent": make_user("force-kent", "analyst", username="kent"),
        "cheshire": make_user("force-cheshire", "analyst", username="chesh"),
        "inspector_admin": make_user("hmicfrs", "inspector", "administrator", username="insad"),
        "nca_admin": make_user("national-crime-agency", "administrator", username="ncaadm"),
    }


def owner_only(org, reference="OWN-1", **extra):
    return Threat.objects.create(
        reference=reference,
        name="Owner-only group",
        owner=org("force-durham"),
        handling="owner",
        threat_type="ocg",
        **extra,
    )


# --- Roles that cannot escalate ---------------------------------------------------------------


def test_council_administrator_cannot_grant_inspector_or_police_roles(web, cast, org):
    client = web(cast["council_admin"])
    council = org("partner-durham-county-council")
    for role in ("inspector", "analyst"):
        response = client.post(
            f"/people/{cast['council_user'].username}/roles/",
            {"organisation": council.pk, "roles": [role]},
        )
        assert response.status_code == 200, role  # the form again, with the error
        assert "cannot hold" in response.content.decode() or "Only inspectorate" in (
            response.content.decode()
        )
        assert not Membership.objects.filter(user=cast["council_user"], role=role).exists()
    # What a partner organisation may hold is still granted.
    response = client.post(
        f"/people/{cast['council_user'].username}/roles/",
        {"organisation": council.pk, "roles": ["partner_user", "administrator"]},
    )
    assert response.status_code == 302
    assert set(cast["council_user"].memberships.values_list("role", flat=True)) == {
        "partner_user",
        "administrator",
    }


def test_force_administrator_cannot_grant_partner_or_inspector_roles(cast, org):
    for role in ("partner_user", "inspector"):
        with pytest.raises(ValidationError) as caught:
            org_services.set_roles(cast["admin"], cast["colleague"], org("force-durham"), [role])
        assert "roles" in caught.value.message_dict
    assert list(cast["colleague"].memberships.values_list("role", flat=True)) == ["analyst"]


def test_cli_refuses_inspector_role_in_a_force(monkeypatch):
    monkeypatch.setenv("SOCMASTER_NEW_PASSWORD", "a-long-synthetic-passphrase-41")
    with pytest.raises(CommandError, match="inspector"):
        call_command(
            "createuser",
            "bad-inspector",
            "--organisation",
            "Durham Police",
            "--role",
            "inspector",
            stdout=io.StringIO(),
        )
    assert not User.objects.filter(username="bad-inspector").exists()


def test_inspector_who_is_also_administrator_changes_no_one(cast, api, org):
    actor = cast["inspector_admin"]
    with pytest.raises(PermissionDenied):
        org_services.create_user(
            actor, username="new-insp", organisation=org("hmicfrs"), roles=["inspector"]
        )
    colleague = User.objects.create_user(username="insp2", password="x" * 20)
    Membership.objects.create(user=colleague, organisation=org("hmicfrs"), role="inspector")
    with pytest.raises(PermissionDenied):
        org_services.set_active(actor, colleague, False)
    colleague.refresh_from_db()
    assert colleague.is_active
    response = api(actor).post(
        "/api/users/",
        {"username": "x1", "organisation": "hmicfrs", "roles": ["inspector"]},
        format="json",
    )
    assert response.status_code == 403


def test_only_a_national_administrator_loads_a_scoring_scheme(cast, api):
    definition = default_scheme().to_dict() | {"version": "99"}
    for who in ("council_admin", "admin", "inspector_admin"):
        response = api(cast[who]).post(
            "/api/schemes/", {"definition": definition, "is_current": True}, format="json"
        )
        assert response.status_code == 403, who
        with pytest.raises(PermissionDenied):
            assessment_services.load_scheme_version(cast[who], definition)
    assert assessment_services.current_scheme().version != "99"
    made = api(cast["nca_admin"]).post(
        "/api/schemes/", {"definition": definition, "is_current": False}, format="json"
    )
    assert made.status_code == 201, made.json()


# --- Moderation that cannot be bypassed -------------------------------------------------------


def _good_disruption(**overrides):
    return (
        dict(
            event_date=TODAY - dt.timedelta(days=3),
            record_date=TODAY,
            team="Op Lantern",
            disruption_type="lead",
            four_p="pursue",
            category="major",
            tactic=Tactic.objects.get(code="arrest"),
            narrative="Three principals arrested.",
            evidence="Custody refs 1-3",
        )
        | overrides
    )


def test_moderator_who_changed_a_disruption_cannot_approve_it(cast, org, api):
    moderator = cast["moderator"]
    Membership.objects.create(user=moderator, organisation=org("force-durham"), role="analyst")
    threat = Threat.objects.create(
        reference="MB-1", name="G", owner=org("force-durham"), handling="region", threat_type="ocg"
    )
    d = disruption_services.record_disruption(
        cast["analyst"], threat, recording_organisation=org("force-durham"), **_good_disruption()
    )
    client = api(moderator)
    changed = client.patch(f"/api/disruptions/{d.reference}/", {"category": "minor"}, format="json")
    assert changed.status_code == 200, changed.json()
    assert client.post(f"/api/disruptions/{d.reference}/submit/").status_code == 200
    refused = client.post(f"/api/disruptions/{d.reference}/approve/", {}, format="json")
    assert refused.status_code == 403
    d.refresh_from_db()
    assert d.status == "submitted"


def test_moderator_who_changed_an_assessment_cannot_moderate_it(cast, org):
    moderator = cast["moderator"]
    Membership.objects.create(user=moderator, organisation=org("force-durham"), role="analyst")
    threat = Threat.objects.create(
        reference="MB-2", name="G", owner=org("force-durham"), handling="region", threat_type="ocg"
    )
    scheme = assessment_services.current_scheme().engine_scheme()
    answers = {f.key: f.answers[0].key for f in scheme.factors}
    dates = dict(
        evidence_from=TODAY - dt.timedelta(days=100),
        evidence_to=TODAY - dt.timedelta(days=5),
        review_due=TODAY + dt.timedelta(days=100),
    )
    a = assessment_services.create_assessment(cast["assessor"], threat, answers=answers, **dates)
    assessment_services.update_assessment(moderator, a, summary="Changed by the moderator")
    assessment_services.submit_assessment(moderator, a)
    with pytest.raises(PermissionDenied):
        assessment_services.moderate_assessment(moderator, a)
    a.refresh_from_db()
    assert a.status == "submitted"


def test_threat_figures_cannot_be_set_by_patch_or_create(cast, org, api):
    threat = Threat.objects.create(
        reference="MB-3", name="G", owner=org("force-durham"), handling="region"
    )
    response = api(cast["analyst"]).patch(
        "/api/threats/MB-3/",
        {"moderation_status": "moderated", "score": "99.90", "tier": 1, "assessed_on": str(TODAY)},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"moderation_status", "score", "tier", "assessed_on"}
    threat.refresh_from_db()
    assert (threat.moderation_status, threat.score, threat.tier) == ("draft", None, None)
    created = api(cast["analyst"]).post(
        "/api/threats/", {"name": "New", "owner": "force-durham", "tier": 1}, format="json"
    )
    assert created.status_code == 400 and "tier" in created.json()


def test_imported_figures_record_their_source(cast, web, org):
    from socmaster.threats.importer import COLUMNS

    row = {c: "" for c in COLUMNS} | {
        "Reference": "IMP-1",
        "Name": "Imported group",
        "Threat type": "OCG",
        "Owner": "Durham Police",
        "Type": "Tactical",
        "SOC": "SOC",
        "Tier": "Tier 2",
        "Moderation status": "Moderated",
        "Score": "55.5",
    }
    text = ",".join(COLUMNS) + "\n" + ",".join(f'"{row[c]}"' for c in COLUMNS) + "\n"
    upload = io.BytesIO(text.encode())
    upload.name = "apmis-export.csv"
    response = web(cast["analyst"]).post("/threats-import/", {"file": upload})
    # The upload is imported in the background (immediately in tests); its status page follows.
    assert response.status_code == 302, response.content.decode()[-6000:-3000]
    threat = Threat.objects.get(reference="IMP-1")
    assert threat.tier == 2
    assert "apmis-export.csv" in threat.assessment_source and "row 2" in threat.assessment_source


# --- Sharing is the owner's decision; LROs see what they lead ---------------------------------


def test_partner_cannot_turn_a_support_disruption_into_a_lead(cast, org, api):
    threat = Threat.objects.create(
        reference="SH-1", name="G", owner=org("force-durham"), handling="region", threat_type="ocg"
    )
    threat.shared_with.add(org("partner-durham-county-council"))
    lead = disruption_services.record_disruption(
        cast["analyst"], threat, recording_organisation=org("force-durham"), **_good_disruption()
    )
    support = disruption_services.record_disruption(
        cast["council_user"],
        threat,
        recording_organisation=org("partner-durham-county-council"),
        **_good_disruption(
            disruption_type="support",
            lead=lead,
            four_p="prevent",
            tactic=Tactic.objects.get(code="diversion_referral"),
            category="minor",
        ),
    )
    response = api(cast["council_user"]).patch(
        f"/api/disruptions/{support.reference}/",
        {"disruption_type": "lead", "lead": None},
        format="json",
    )
    assert response.status_code == 400 and "disruption_type" in response.json()
    support.refresh_from_db()
    assert support.disruption_type == "support"


def test_lro_in_another_force_cannot_change_handling_or_sharing(cast, org, api):
    threat = Threat.objects.create(
        reference="SH-2",
        name="G",
        owner=org("force-durham"),
        handling="national",
        lro=cast["kent_lro"],
    )
    client = api(cast["kent_lro"])
    assert (
        client.patch("/api/threats/SH-2/", {"description": "LRO note"}, format="json").status_code
        == 200
    )
    assert (
        client.patch("/api/threats/SH-2/", {"handling": "owner"}, format="json").status_code == 403
    )
    widened = client.patch("/api/threats/SH-2/", {"shared_with": ["hmrc"]}, format="json")
    assert widened.status_code == 403
    threat.refresh_from_db()
    assert threat.handling == "national" and not threat.shared_with.exists()


def test_lro_must_be_able_to_see_the_threat(cast, org):
    threat = owner_only(org, "SH-3")
    Membership.objects.create(user=cast["kent"], organisation=org("force-durham"), role="sio")
    with pytest.raises(ValidationError) as caught:
        threat_services.update_threat(cast["analyst"], threat, lro=cast["kent_lro"])
    assert "lro" in caught.value.message_dict
    threat.refresh_from_db()
    assert threat.lro is None


def test_lro_drop_down_lists_only_colleagues(cast, web, org):
    page = web(cast["analyst"]).get("/threats/new/").content.decode()
    assert "kentlro" not in page and "chesh" not in page
    assert ">col<" in page or "col" in page


# --- Lists show what a list needs, and are logged ---------------------------------------------


@pytest.fixture
def hidden_person(cast, org):
    nominal = threat_services.create_nominal(
        cast["analyst"],
        owner=org("force-durham"),
        reference="NOM-900001",
        family_name="Quill",
        given_names="Ada",
        handling="owner",
        identifiers=[("phone", "07700 900123")],
        aliases=[("Addy", "Quill", "alias")],
    )
    return nominal


def test_list_of_restricted_nominals_is_a_summary_and_is_logged(cast, api, hidden_person):
    before = AuditEntry.objects.count()
    response = api(cast["colleague"]).get("/api/nominals/", {"q": "NOM-900001", "page_size": 500})
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["is_summary"] is True and item["reference"] == "NOM-900001"
    assert "identifiers" not in item and "aliases" not in item and "date_of_birth" not in item
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.record_type, entry.username) == ("search", "threats.nominal", "col")
    assert entry.changes["criteria"] == {"q": "NOM-900001", "page_size": "500"}
    assert entry.changes["count"] == 1
    # Opened one at a time, with a reason, it is whole.
    full = api(cast["colleague"]).get("/api/nominals/NOM-900001/", **REASON).json()
    assert full["identifiers"] == [{"kind": "phone", "value": "07700 900123"}]


def test_plan_list_of_a_restricted_threat_leaves_the_plan_text_out(cast, api, org):
    from socmaster.plans import services as plan_services

    threat = owner_only(org, "PL-1", lro=cast["analyst"])
    plan_services.create_plan(cast["analyst"], threat, aim="Secret aim text")
    body = api(cast["colleague"]).get("/api/plans/", {"threat": "PL-1"}).json()
    [item] = body["results"]
    assert item["is_summary"] is True and "aim" not in item and "actions" not in item


def test_page_lists_are_logged(cast, web):
    before = AuditEntry.objects.filter(action="search").count()
    web(cast["analyst"]).get("/threats/", {"q": "harbour"})
    entry = AuditEntry.objects.filter(action="search").order_by("-seq").first()
    assert AuditEntry.objects.filter(action="search").count() == before + 1
    assert entry.record_type == "threats.threat" and entry.changes["criteria"] == {"q": "harbour"}


# --- Hidden answers exactly like missing ------------------------------------------------------


def test_nominal_filter_by_hidden_threat_is_like_a_missing_threat(cast, api, org):
    person = Nominal.objects.create(
        reference="NOM-900002", family_name="Open", owner=org("force-kent"), handling="national"
    )
    hidden = Threat.objects.create(
        reference="HID-1", name="Hidden", owner=org("force-kent"), handling="owner"
    )
    ThreatMember.objects.create(threat=hidden, nominal=person, role="principal")
    client = api(cast["analyst"])
    assert client.get("/api/nominals/", {"threat": "HID-1"}).json()["results"] == []
    assert client.get("/api/nominals/", {"threat": "NONE-1"}).json()["results"] == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/memberships/", {"threat": "{ref}", "nominal": "NOM-900003", "role": "principal"}),
        ("/api/assessments/", {"threat": "{ref}", "answers": {}}),
        (
            "/api/disruptions/",
            {
                "threat": "{ref}",
                "recording_organisation": "force-durham",
                "event_date": "2026-01-01",
                "four_p": "pursue",
                "category": "major",
            },
        ),
        ("/api/plans/", {"threat": "{ref}", "aim": "x"}),
    ],
)
def test_hidden_parent_in_a_request_body_answers_like_a_missing_one(cast, api, org, path, body):
    Threat.objects.create(
        reference="HID-2", name="Hidden", owner=org("force-kent"), handling="owner"
    )
    Nominal.objects.create(
        reference="NOM-900003", family_name="Open", owner=org("force-durham"), handling="national"
    )
    client = api(cast["analyst"])

    def post(ref):
        data = {k: (v.format(ref=ref) if isinstance(v, str) else v) for k, v in body.items()}
        return client.post(path, data, format="json")

    hidden, missing = post("HID-2"), post("HID-404")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["threat"] == missing.json()["threat"] == ["No such threat."]


def test_plan_action_on_a_hidden_plan_answers_like_a_missing_one(cast, api, org):
    from socmaster.plans import services as plan_services

    threat = owner_only(org, "PL-2", lro=cast["analyst"])
    plan = plan_services.create_plan(cast["analyst"], threat, aim="Aim")
    client = api(cast["kent"])
    body = {"four_p": "pursue", "description": "Arrest", "due_date": "2027-01-01"}
    hidden = client.post("/api/plan-actions/", body | {"plan": plan.pk}, format="json")
    missing = client.post("/api/plan-actions/", body | {"plan": 999999}, format="json")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["plan"] == missing.json()["plan"]


def test_reference_clash_says_the_same_for_hidden_and_visible_threats(cast, org):
    Threat.objects.create(reference="CL-HID", name="H", owner=org("force-kent"), handling="owner")
    Threat.objects.create(reference="CL-VIS", name="V", owner=org("force-durham"))
    messages = []
    for ref in ("CL-HID", "CL-VIS"):
        with pytest.raises(ValidationError) as caught:
            threat_services.create_threat(
                cast["analyst"], owner=org("force-durham"), reference=ref, name="Clash"
            )
        messages.append(caught.value.message_dict["reference"][0].replace(ref, "REF"))
    assert messages[0] == messages[1] and "exists" not in messages[0]


def test_lro_outside_your_organisations_is_no_such_user(cast, api):
    client = api(cast["analyst"])
    outside = client.post(
        "/api/threats/", {"name": "A", "owner": "force-durham", "lro": "kentlro"}, format="json"
    )
    nobody = client.post(
        "/api/threats/", {"name": "A", "owner": "force-durham", "lro": "nobody-x"}, format="json"
    )
    assert outside.status_code == nobody.status_code == 400
    assert outside.json()["lro"] == nobody.json()["lro"] == ["No such user."]


def test_import_does_not_name_the_owner_of_another_forces_threat(cast, org):
    from socmaster.threats.importer import COLUMNS, import_masterlist

    Threat.objects.create(reference="IMP-K", name="Kent", owner=org("force-kent"), handling="owner")
    row = {c: "" for c in COLUMNS} | {
        "Reference": "IMP-K",
        "Name": "Mine",
        "Threat type": "OCG",
        "Owner": "Durham Police",
        "Type": "Tactical",
        "SOC": "SOC",
        "Tier": "Tier 3",
        "Moderation status": "Draft",
    }
    text = ",".join(COLUMNS) + "\n" + ",".join(f'"{row[c]}"' for c in COLUMNS) + "\n"
    result = import_masterlist(text, user=cast["analyst"])
    assert not result.written
    assert [e.field for e in result.errors] == ["Reference"]
    assert "Kent" not in str(result.errors[0]) and "owned" not in str(result.errors[0])


def test_disruption_cannot_link_a_nominal_its_recorder_cannot_see(cast, org, api):
    Threat.objects.create(
        reference="NL-1", name="G", owner=org("force-durham"), handling="region", threat_type="ocg"
    )
    Nominal.objects.create(
        reference="NOM-900004", family_name="Hidden", owner=org("force-kent"), handling="owner"
    )
    body = {
        "threat": "NL-1",
        "recording_organisation": "force-durham",
        "event_date": str(TODAY - dt.timedelta(days=2)),
        "four_p": "pursue",
        "category": "major",
        "tactic": "arrest",
        "team": "Op A",
        "narrative": "Arrests",
        "evidence": "Ref 1",
    }
    client = api(cast["analyst"])
    hidden = client.post("/api/disruptions/", body | {"nominals": ["NOM-900004"]}, format="json")
    missing = client.post("/api/disruptions/", body | {"nominals": ["NOM-999999"]}, format="json")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["nominals"] == missing.json()["nominals"]


# --- Children ask for their parent's reason; named sharing of nominals ------------------------


def test_children_of_an_owner_only_threat_need_a_reason(cast, org, api, web):
    threat = owner_only(org, "CH-1")
    d = disruption_services.record_disruption(
        cast["analyst"], threat, recording_organisation=org("force-durham"), **_good_disruption()
    )
    client = api(cast["colleague"])
    refused = client.get(f"/api/disruptions/{d.reference}/")
    assert refused.status_code == 403 and "reason" in refused.json()
    assert client.get(f"/api/disruptions/{d.reference}/", **REASON).status_code == 200
    page = web(cast["colleague"]).get(f"/disruptions/{d.reference}/")
    assert page.status_code == 302 and "/reason/" in page["Location"]


def test_named_nominals_are_seen_by_the_organisations_named(cast, api, org):
    response = api(cast["analyst"]).post(
        "/api/nominals/",
        {
            "family_name": "Named",
            "owner": "force-durham",
            "handling": "named",
            "shared_with": ["force-cheshire"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    ref = response.json()["reference"]
    assert api(cast["cheshire"]).get(f"/api/nominals/{ref}/", **REASON).status_code == 200
    assert api(cast["kent"]).get(f"/api/nominals/{ref}/", **REASON).status_code == 404
    assert NominalAlias.objects.count() == Identifier.objects.count() == 0
