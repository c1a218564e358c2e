"""Plan quality checks: each check trips on one fault and not on a good plan; copy detection;
configurable thresholds; the review schedule; the report, its summary and the exceptions report."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from socmaster.organisations.models import User
from socmaster.plans import quality, services
from socmaster.plans.models import Plan, PlanAction, PlanReview
from socmaster.threats.exceptions import run_all
from socmaster.threats.models import Phase, Threat

pytestmark = pytest.mark.django_db

ALL_PS = ("pursue", "prevent", "protect", "prepare")

#: Words for invented plan text: each plan draws its own sequence, so plans do not share phrases.
VOCAB = """
harbour quarry estate tenant runner courier cash line phone handset vehicle garage lockup warehouse
cannabis cocaine heroin firearm knife ammunition laundering account invoice carwash barbershop
nail bar takeaway lorry trailer port ferry airport station bridge underpass park school college
pupil parent carer landlord letting agent licence premises inspection patrol camera doorbell
warrant arrest charge remand bail curfew tag order custody interview statement witness victim
referral diversion mentor coach youth club boxing football library council housing officer nurse
clinic hospital pharmacy pawnbroker jeweller scrapyard recycling skip hire courier van taxi
minicab rank market auction forecourt salon gym tattoo studio casino arcade hostel hotel motel
caravan allotment farm barn kennel stable marina canal towpath viaduct tunnel depot junction
""".split()


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def local_noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def own_text(seed: str, n: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCAB) for _ in range(n))


@pytest.fixture
def people(make_user):
    return {
        "lro": make_user("force-durham", "lro", username="lro"),
        "sro": make_user("force-durham", "analyst", username="sro"),
        "sio": make_user("force-durham", "sio", username="sio"),
        "chief": make_user("force-durham", "chief_officer", username="chief"),
        "cle": make_user("force-cleveland", "lro", username="cle"),
        "cle_sro": make_user("force-cleveland", "analyst", username="clesro"),
        "wy": make_user("force-west-yorkshire", "lro", username="wy"),
        "wy_sro": make_user("force-west-yorkshire", "analyst", username="wysro"),
        "inspector": make_user("hmicfrs", "inspector", username="insp"),
    }


@pytest.fixture
def make_threat(org, people):
    leads = {
        "force-durham": ("lro", "sro"),
        "force-cleveland": ("cle", "cle_sro"),
        "force-west-yorkshire": ("wy", "wy_sro"),
    }

    def make(reference: str, owner: str = "force-durham", **extra) -> Threat:
        lro, sro = leads[owner]
        values = dict(
            name=f"Threat {reference}",
            owner=org(owner),
            threat_type="ocg",
            handling="region",
            lro=people[lro],
            sro=people[sro],
        )
        values.update(extra)
        return Threat.objects.create(reference=reference, **values)

    return make


def write_plan(
    threat: Threat, seed: str, *, author=None, ps=ALL_PS, reviewed: bool = True, **overrides
) -> Plan:
    """A plan through the services: 40 words of its own text, one owned, dated action per P
    (or per entry of ``ps``), and a review today by the threat's SRO."""
    author = author or threat.lro
    chunks = [own_text(f"{seed}:{i}", 8) for i in range(5)]
    values = dict(
        aim=chunks[0],
        pursue_objectives=chunks[1],
        prevent_objectives=chunks[2],
        protect_objectives=chunks[3],
        prepare_objectives=chunks[4],
    )
    values.update(overrides)
    plan = services.create_plan(author, threat, **values)
    for n, p in enumerate(ps):
        services.add_action(
            author,
            plan,
            four_p=p,
            description=own_text(f"{seed}:{p}:{n}", 6),
            owner_user=author,
            start_date=today() - days(10),
            due_date=today() + days(30),
            status="in_progress",
        )
    if reviewed:
        services.record_review(threat.sro, plan, outcome="good", comments="Checked with the LRO.")
    return Plan.objects.get(pk=plan.pk)


def row(plan: Plan, user=None, **kwargs) -> quality.PlanQuality:
    rows = quality.evaluate(Plan.objects.filter(pk=plan.pk), user=user, **kwargs)
    assert len(rows) == 1
    return rows[0]


def failures(plan: Plan, user=None, **kwargs) -> dict[str, str]:
    return {f.key: f.reason for f in row(plan, user, **kwargs).failures}


def fmt(day: dt.date) -> str:
    return f"{day:%d %b %Y}"


@pytest.fixture
def threat(make_threat):
    return make_threat("PLN-Q")


@pytest.fixture
def good(threat):
    return write_plan(threat, "good")


def test_every_check_is_covered_here():
    assert quality.CHECK_KEYS == [
        "no_plan",
        "no_lro",
        "written_by_sio",
        "not_by_lro",
        "missing_p",
        "pursue_only",
        "undated_actions",
        "no_result",
        "empty_result",
        "plans_not_linked",
        "partner_unseen",
        "overdue_actions",
        "review_overdue",
        "copied_text",
        "not_updated",
    ]


def test_a_good_plan_passes_every_check(good):
    result = row(good)
    assert result.failures == [] and result.passed
    assert result.plan == good and result.threat == good.threat
    assert result.next_review_due == today() + days(90)
    assert len(good.text_signature) == 64  # the copy check had text to compare


# --- threats ------------------------------------------------------------------------------------


def test_no_lro(good, threat):
    Threat.objects.filter(pk=threat.pk).update(lro=None)
    assert failures(good) == {"no_lro": "PLN-Q has no LRO."}


def test_no_plan_rows_are_for_active_threats_only(make_threat, good):
    make_threat("PLN-BARE", lro=None)
    make_threat("PLN-CLOSED", closed_on=today() - days(3))
    make_threat("PLN-DISMANTLED", phase=Phase.objects.get(name="Closed – dismantled"))
    make_threat("PLN-ACTIVE", phase=Phase.objects.get(name="Active investigation"))
    rows = quality.report(Threat.objects.all(), Plan.objects.all())
    assert [(r.threat.reference, r.plan is not None) for r in rows] == [
        ("PLN-ACTIVE", False),
        ("PLN-BARE", False),
        ("PLN-Q", True),
    ]
    by_ref = {r.threat.reference: r for r in rows}
    assert [(f.key, f.reason) for f in by_ref["PLN-BARE"].failures] == [
        ("no_plan", "PLN-BARE is on the master list and has no 4P plan."),
        ("no_lro", "PLN-BARE has no LRO."),
    ]
    assert by_ref["PLN-ACTIVE"].failed_keys == ["no_plan"]
    assert by_ref["PLN-Q"].failed_keys == []


def test_exceptions_report_lists_active_threats_without_a_plan(make_threat, good):
    bare = make_threat("PLN-BARE")
    make_threat("PLN-CLOSED", closed_on=today())
    found = {check.key: (check, rows) for check, rows in run_all(Threat.objects.all())}
    check, rows = found["no_plan"]
    assert check.title == "Active threats without a 4P plan"
    assert [(r["threat"], r["detail"]) for r in rows] == [(bare, "No 4P plan")]
    # the check runs over the threats it is given
    assert dict(run_all(Threat.objects.filter(pk=good.threat_id)))[check] == []


# --- who wrote it, and what it covers ------------------------------------------------------------


def test_written_by_sio(threat, people):
    plan = write_plan(threat, "sio", author=people["sio"])
    assert plan.author_role == "sio"
    assert failures(plan) == {
        "written_by_sio": "Written by the senior investigating officer, not the LRO."
    }
    revised = services.new_version(people["lro"], plan)  # the LRO takes it over
    assert failures(revised) == {}


def test_written_by_other_staff_is_not_written_by_sio(threat, make_user):
    analyst = make_user("force-durham", "analyst", username="analyst")
    plan = write_plan(threat, "other", author=analyst)
    assert plan.author_role == "other"
    assert failures(plan) == {"not_by_lro": "Written by analyst, not the LRO (lro)."}


def test_missing_p(threat, make_threat):
    assert failures(write_plan(threat, "three", ps=("pursue", "prevent", "protect"))) == {
        "missing_p": "No Prepare actions."
    }
    two = write_plan(make_threat("PLN-Q2"), "two", ps=("pursue", "prepare"))
    assert failures(two) == {"missing_p": "No Prevent, Protect actions."}
    none = write_plan(make_threat("PLN-Q3"), "none", ps=())
    assert failures(none) == {"missing_p": "No Pursue, Prevent, Protect, Prepare actions."}


def test_a_cancelled_action_does_not_cover_its_p(good, people):
    prepare = good.actions.get(four_p="prepare")
    services.update_action(people["lro"], prepare, status="cancelled")
    assert failures(good) == {"missing_p": "No Prepare actions."}


def test_pursue_only(threat, make_threat, people):
    plan = write_plan(threat, "pursue", ps=("pursue", "pursue"))
    assert failures(plan) == {
        "missing_p": "No Prevent, Protect, Prepare actions.",
        "pursue_only": "All 2 actions are Pursue actions.",
    }
    mixed = write_plan(make_threat("PLN-Q2"), "mixed", ps=("pursue", "pursue", "prevent"))
    assert set(failures(mixed)) == {"missing_p"}
    services.update_action(people["lro"], mixed.actions.get(four_p="prevent"), status="cancelled")
    assert failures(mixed)["pursue_only"] == "All 2 actions are Pursue actions."
    assert "pursue_only" not in failures(write_plan(make_threat("PLN-Q3"), "empty", ps=()))


# --- actions -------------------------------------------------------------------------------------


def add(plan: Plan, user, **values) -> PlanAction:
    base = dict(
        four_p="protect",
        description="Extra visit to the hostel.",
        owner_user=user,
        start_date=today() - days(1),
        due_date=today() + days(10),
    )
    base.update(values)
    return services.add_action(user, plan, **base)


def test_undated_or_unowned_actions(good, people, org):
    lro = people["lro"]
    no_start = add(good, lro, start_date=None)
    assert failures(good) == {
        "undated_actions": "1 action without an owner, a start date or a due date."
    }
    no_due = add(good, lro, due_date=None)
    no_owner = add(good, lro, owner_user=None)
    assert failures(good) == {
        "undated_actions": "3 actions without an owner, a start date or a due date."
    }
    add(good, lro, owner_user=None, owner_organisation=org("partner-durham-county-council"))
    assert failures(good)["undated_actions"].startswith("3 actions")  # an organisation owns it
    for action in (no_start, no_due, no_owner):
        services.update_action(lro, action, status="cancelled")
    assert failures(good) == {
        "partner_unseen": "Partner-held action: Durham CC has no active users."
    }


def test_completed_actions_without_a_result(good, people):
    # services refuse this; imported or legacy records can hold it
    first, second = good.actions.order_by("id")[:2]
    PlanAction.objects.filter(pk=first.pk).update(status="complete", result="")
    assert failures(good) == {"no_result": "1 completed action without a result."}
    PlanAction.objects.filter(pk=second.pk).update(status="complete", result="")
    assert failures(good) == {"no_result": "2 completed actions without a result."}
    services.update_action(people["lro"], first, result="Two addresses closed.")
    services.update_action(people["lro"], second, status="in_progress")
    assert failures(good) == {}


def test_overdue_actions(good, people):
    first, second, third, fourth = good.actions.order_by("id")
    PlanAction.objects.filter(pk=first.pk).update(due_date=today() - days(1))
    assert failures(good) == {"overdue_actions": "1 action past its due date."}
    PlanAction.objects.filter(pk=second.pk).update(due_date=today() - days(40))
    assert failures(good) == {"overdue_actions": "2 actions past their due date."}
    PlanAction.objects.filter(pk=third.pk).update(due_date=today())  # due today: not yet overdue
    assert failures(good)["overdue_actions"].startswith("2 actions")
    services.update_action(people["lro"], first, status="complete", result="Done late.")
    PlanAction.objects.filter(pk=second.pk).update(status="cancelled")
    PlanAction.objects.filter(pk=fourth.pk).update(status="not_started", due_date=today())
    assert "overdue_actions" not in failures(good)
    later = failures(good, today=today() + days(1))
    assert later["overdue_actions"] == "2 actions past their due date."


# --- reviews -------------------------------------------------------------------------------------


def test_never_reviewed_plan_becomes_overdue(threat):
    plan = write_plan(threat, "unreviewed", reviewed=False)
    assert failures(plan) == {} and row(plan).next_review_due == today() + days(90)
    written = today() - days(100)
    Plan.objects.filter(pk=plan.pk).update(created_at=local_noon(written))
    result = row(plan)
    assert result.next_review_due == today() - days(10)
    assert {f.key: f.reason for f in result.failures} == {
        "review_overdue": (
            f"Review was due {fmt(today() - days(10))} (never reviewed since it was written on "
            f"{fmt(written)}; reviews every 90 days)."
        )
    }
    Plan.objects.filter(pk=plan.pk).update(created_at=local_noon(today() - days(90)))
    assert row(plan).next_review_due == today() and failures(plan) == {}  # due today: not overdue


def test_the_last_review_sets_the_clock(threat, people):
    plan = write_plan(threat, "reviewed", reviewed=False)
    Plan.objects.filter(pk=plan.pk).update(created_at=local_noon(today() - days(300)))
    services.record_review(
        people["sro"], plan, outcome="good", comments="Fine.", reviewed_on=today() - days(200)
    )
    services.record_review(
        people["chief"], plan, outcome="improve", comments="Thin.", reviewed_on=today() - days(95)
    )
    result = row(plan)
    assert result.next_review_due == today() - days(5)
    assert result.failures[0].reason == (
        f"Review was due {fmt(today() - days(5))} (last reviewed {fmt(today() - days(95))}; "
        "reviews every 90 days)."
    )
    services.record_review(
        people["sro"], plan, outcome="good", comments="Better.", reviewed_on=today() - days(20)
    )
    assert row(plan).next_review_due == today() + days(70) and failures(plan) == {}


def test_review_period_moves_the_due_date(threat, people):
    plan = write_plan(threat, "period", reviewed=False)
    Plan.objects.filter(pk=plan.pk).update(created_at=local_noon(today() - days(100)))
    assert set(failures(plan)) == {"review_overdue"}
    services.update_plan(people["lro"], plan, review_frequency_days=120)
    assert row(plan).next_review_due == today() + days(20) and failures(plan) == {}
    services.update_plan(people["lro"], plan, review_frequency_days=30)
    assert "reviews every 30 days" in failures(plan)["review_overdue"]


def test_a_new_version_does_not_reset_the_review_clock(threat, people):
    first = write_plan(threat, "versions", reviewed=False)
    written = today() - days(100)
    Plan.objects.filter(pk=first.pk).update(created_at=local_noon(written))
    second = services.new_version(people["lro"], first)
    result = row(second)
    assert result.next_review_due == today() - days(10)
    assert f"written on {fmt(written)}" in failures(second)["review_overdue"]
    services.record_review(people["sro"], second, outcome="good", comments="Reviewed v2.")
    assert row(second).next_review_due == today() + days(90) and failures(second) == {}


def test_a_review_of_an_earlier_version_counts(threat, people):
    first = write_plan(threat, "earlier", reviewed=False)
    Plan.objects.filter(pk=first.pk).update(created_at=local_noon(today() - days(100)))
    services.record_review(
        people["sro"],
        first,
        outcome="good",
        comments="Reviewed v1.",
        reviewed_on=today() - days(30),
    )
    second = services.new_version(people["lro"], first)
    assert row(second).next_review_due == today() + days(60)
    assert failures(second) == {}


# --- staleness -----------------------------------------------------------------------------------


def test_not_updated(good):
    last = today() - days(61)
    Plan.objects.filter(pk=good.pk).update(updated_at=local_noon(last))
    assert failures(good) == {
        "not_updated": f"Not updated since {fmt(last)} (61 days; the limit is 60)."
    }
    Plan.objects.filter(pk=good.pk).update(updated_at=local_noon(today() - days(60)))
    assert failures(good) == {}


def test_stale_limit_is_a_setting(good, settings):
    Plan.objects.filter(pk=good.pk).update(updated_at=local_noon(today() - days(10)))
    assert failures(good) == {}
    settings.SOCMASTER = {**settings.SOCMASTER, "PLAN_STALE_DAYS": 5}
    assert failures(good) == {
        "not_updated": (f"Not updated since {fmt(today() - days(10))} (10 days; the limit is 5).")
    }


def test_changing_an_action_counts_as_an_update(good, people):
    Plan.objects.filter(pk=good.pk).update(updated_at=local_noon(today() - days(100)))
    assert set(failures(good)) == {"not_updated"}
    services.update_action(people["lro"], good.actions.first(), result="Interim: one arrest.")
    assert failures(good) == {}


# --- copied text ---------------------------------------------------------------------------------

BODY = own_text("copied-body", 60)


def edited(body: str, *replacements: tuple[int, str]) -> str:
    words = body.split()
    for position, word in replacements:
        words[position] = word
    return " ".join(words)


def text_plan(threat: Threat, body: str, author=None) -> Plan:
    plan = services.create_plan(
        author or threat.lro, threat, aim="Disrupt the group.", pursue_objectives=body
    )
    return Plan.objects.get(pk=plan.pk)


COPIED = re.compile(r"^(\d+)% of its own text matches (.+)\.$")


def copied(plan: Plan, user=None) -> tuple[int, str] | None:
    reason = failures(plan, user).get("copied_text")
    if reason is None:
        return None
    match = COPIED.match(reason)
    assert match, reason
    return int(match.group(1)), match.group(2)


def test_text_copied_from_a_plan_the_user_can_see(threat, make_threat, people):
    original = text_plan(threat, BODY)
    copy = text_plan(
        make_threat("CLE-Q", owner="force-cleveland"), edited(BODY, (30, "lighthouse"))
    )
    score, whose = copied(original, people["lro"])
    assert whose == "the plan for CLE-Q" and 70 <= score < 100
    assert copied(copy, people["cle"]) == (score, "the plan for PLN-Q")  # flagged on both
    assert copied(copy) == (score, "the plan for PLN-Q")


def test_text_copied_from_a_plan_the_user_cannot_see(threat, make_threat, people):
    original = text_plan(threat, BODY)
    copy = text_plan(
        make_threat("WY-Q", owner="force-west-yorkshire"), edited(BODY, (10, "lighthouse"))
    )
    assert copied(original, people["lro"])[1] == "a plan you cannot see"
    assert "WY-Q" not in failures(original, people["lro"])["copied_text"]
    assert copied(copy, people["wy"])[1] == "a plan you cannot see"
    assert copied(original, people["inspector"])[1] == "the plan for WY-Q"
    assert copied(original)[1] == "the plan for WY-Q"  # no user: a system report


def test_distinct_text_is_not_copied(threat, make_threat):
    first = text_plan(threat, BODY)
    second = text_plan(make_threat("PLN-Q2"), own_text("another-body", 60))
    assert first.text_signature and second.text_signature
    assert copied(first) is None and copied(second) is None


def test_rewriting_the_copy_clears_the_check(threat, make_threat, people):
    original = text_plan(threat, BODY)
    copy = text_plan(make_threat("PLN-Q2"), BODY)
    assert copied(original) == (100, "the plan for PLN-Q2")
    services.update_plan(people["lro"], copy, pursue_objectives=own_text("rewritten", 60))
    assert copied(original) is None and copied(copy) is None


def test_action_descriptions_count_as_the_plans_text(threat, make_threat, people):
    first = text_plan(threat, own_text("first-own", 4))
    second = text_plan(make_threat("PLN-Q2"), own_text("second-own", 4))
    assert copied(first) is None and copied(second) is None
    for plan in (first, second):
        services.add_action(people["lro"], plan, four_p="pursue", description=BODY)
    assert copied(first) is not None and copied(first)[1] == "the plan for PLN-Q2"


def test_a_new_version_is_not_a_copy_of_the_old_one(good, people):
    second = services.new_version(people["lro"], good)
    assert failures(second) == {}


def test_plans_started_from_one_template_are_not_copies(make_threat, people):
    plans = []
    for reference in ("PLN-T1", "PLN-T2"):
        threat = make_threat(reference)
        initial = services.initial_from_template(services.template_for(threat))
        plans.append(
            Plan.objects.get(
                pk=services.create_plan(
                    people["lro"], threat, add_suggested_actions=True, **initial
                ).pk
            )
        )
    assert plans[0].template == plans[1].template and plans[0].aim == plans[1].aim
    assert plans[0].actions.count() == 5
    assert [p.text_signature for p in plans] == [[], []]  # nothing of their own yet
    assert copied(plans[0]) is None and copied(plans[1]) is None
    # each adds its own text: still no copy, the template lines are left out of the comparison
    for n, plan in enumerate(plans):
        services.update_plan(people["lro"], plan, intelligence_gaps=own_text(f"gaps-{n}", 30))
    assert copied(plans[0]) is None and copied(plans[1]) is None
    assert Plan.objects.get(pk=plans[0].pk).text_signature


def test_short_text_is_not_compared(threat, make_threat, settings):
    short = own_text("short", 18)  # with the aim, 21 words: under PLAN_COPY_MIN_WORDS (25)
    first, second = text_plan(threat, short), text_plan(make_threat("PLN-Q2"), short)
    assert first.text_signature == [] and copied(first) is None and copied(second) is None

    settings.SOCMASTER = {**settings.SOCMASTER, "PLAN_COPY_MIN_WORDS": 10}
    third = text_plan(make_threat("PLN-Q3"), short)
    fourth = text_plan(make_threat("PLN-Q4"), short)
    assert copied(third) == (100, "the plan for PLN-Q4")
    assert copied(fourth) == (100, "the plan for PLN-Q3")


def test_similarity_threshold_is_a_setting(threat, make_threat, settings):
    original = text_plan(threat, BODY)
    text_plan(make_threat("PLN-Q2"), edited(BODY, (5, "lighthouse"), (40, "windmill")))
    score, _ = copied(original)
    assert score < 100
    settings.SOCMASTER = {**settings.SOCMASTER, "PLAN_COPY_SIMILARITY": (score + 5) / 100}
    assert copied(original) is None
    settings.SOCMASTER = {**settings.SOCMASTER, "PLAN_COPY_SIMILARITY": (score - 5) / 100}
    assert copied(original)[0] == score


# --- which plans, the report and its summary -----------------------------------------------------


def test_only_current_plans_are_checked(good, people):
    second = services.new_version(people["lro"], good)
    rows = quality.evaluate(Plan.objects.all())
    assert [r.plan for r in rows] == [second]


def test_report_rows_and_export_columns(make_threat, good, people):
    second = services.new_version(people["lro"], good)
    make_threat("PLN-BARE", lro=None)
    make_threat("CLE-BARE", owner="force-cleveland")
    rows = quality.report(Threat.objects.all(), Plan.objects.all())
    assert [(r.threat.reference, r.plan) for r in rows] == [
        ("CLE-BARE", None),
        ("PLN-BARE", None),
        ("PLN-Q", second),
    ]  # by organisation, reference
    assert rows[1].as_row()["reasons"].startswith("Managed threat with no plan: PLN-BARE")
    assert rows[2].as_row()["reasons"] == ""
    assert [{k: v for k, v in r.as_row().items() if k != "reasons"} for r in rows] == [
        {
            "threat": "CLE-BARE",
            "organisation": "Cleveland Police",
            "region": "North East",
            "lro": "cle",
            "plan_version": "",
            "checks_failed": "no_plan",
            "next_review_due": "",
        },
        {
            "threat": "PLN-BARE",
            "organisation": "Durham Constabulary",
            "region": "North East",
            "lro": "",
            "plan_version": "",
            "checks_failed": "no_plan;no_lro",
            "next_review_due": "",
        },
        {
            "threat": "PLN-Q",
            "organisation": "Durham Constabulary",
            "region": "North East",
            "lro": "lro",
            "plan_version": 2,
            "checks_failed": "",
            "next_review_due": (today() + days(90)).isoformat(),
        },
    ]
    assert set(quality.EXPORT_COLUMNS) == set(rows[0].as_row())


def test_summary_by_organisation_and_region(make_threat, good):
    write_plan(make_threat("PLN-BAD"), "bad", ps=("pursue", "prevent", "protect"))
    make_threat("PLN-BARE")
    make_threat("CLE-BARE", owner="force-cleveland")
    write_plan(make_threat("WY-GOOD", owner="force-west-yorkshire"), "wy")
    summary = quality.summarise(quality.report(Threat.objects.all(), Plan.objects.all()))

    def counts(bucket):
        checks = {k: n for k, n in bucket["checks"].items() if n}
        return (
            bucket["plans"],
            bucket["no_plan"],
            bucket["passing"],
            bucket["passing_percent"],
            checks,
        )

    assert [(o["region"], o["organisation"], counts(o)) for o in summary["organisations"]] == [
        ("North East", "Cleveland Police", (0, 1, 0, None, {"no_plan": 1})),
        ("North East", "Durham Constabulary", (2, 1, 1, 50, {"no_plan": 1, "missing_p": 1})),
        ("Yorkshire and the Humber", "West Yorkshire Police", (1, 0, 1, 100, {})),
    ]
    assert [(r["region"], counts(r)) for r in summary["regions"]] == [
        ("North East", (2, 2, 1, 50, {"no_plan": 2, "missing_p": 1})),
        ("Yorkshire and the Humber", (1, 0, 1, 100, {})),
    ]
    assert counts(summary["total"]) == (3, 2, 2, 67, {"no_plan": 2, "missing_p": 1})
    assert set(summary["total"]["checks"]) == set(quality.CHECK_KEYS)


def test_query_count_does_not_grow_with_the_number_of_plans(make_threat, people):
    def build(start: int, stop: int):
        for n in range(start, stop):
            owner = ("force-durham", "force-cleveland", "force-west-yorkshire")[n % 3]
            threat = make_threat(f"QC-{n:02d}", owner=owner)
            if n % 3:  # most plans copy the common body, so copy detection has work
                text_plan(threat, edited(BODY, (n, "lighthouse")))
            else:
                write_plan(threat, f"qc-{n}")
            make_threat(f"QC-BARE-{n:02d}", owner=owner)

    def measure():
        user = User.objects.get(pk=people["lro"].pk)  # fresh: memberships not cached
        with CaptureQueriesContext(connection) as ctx:
            rows = quality.report(Threat.objects.all(), Plan.objects.all(), user=user)
            exported = [r.as_row() for r in rows]
            summary = quality.summarise(rows)
        return len(ctx.captured_queries), rows, exported, summary

    build(0, 3)
    small, rows, _, _ = measure()
    assert len(rows) == 6 and any("copied_text" in r.failed_keys for r in rows)
    build(3, 15)
    large, rows, exported, summary = measure()
    assert len(rows) == 30 and summary["total"]["plans"] == 15
    assert sum("copied_text" in r.failed_keys for r in rows) == 10
    assert large == small, (small, large)
    assert large <= 10
    assert PlanReview.objects.count() == 5


def test_a_plan_by_the_lro_is_not_flagged_and_one_by_anyone_else_is(threat, make_user, people):
    assert "not_by_lro" not in failures(write_plan(threat, "mine"))
    sergeant = make_user("force-durham", "analyst", username="sergeant")
    other = write_plan(make_threat_like(threat, "PLN-S"), "sergeant", author=sergeant)
    assert failures(other)["not_by_lro"].startswith("Written by sergeant, not the LRO")


def make_threat_like(threat, reference):
    return Threat.objects.create(
        reference=reference,
        name="Another",
        owner=threat.owner,
        threat_type="ocg",
        handling="region",
        lro=threat.lro,
        sro=threat.sro,
    )


@pytest.mark.parametrize(
    ("result", "flagged"),
    [
        ("Done", True),
        ("completed", True),
        ("Action completed.", True),
        ("NFA", True),
        ("See log", True),
        ("Covert action complete", True),
        ("Arrested", True),  # one meaningful word records no outcome
        ("Warrant executed", True),
        ("Warrant executed, 2kg cocaine seized", False),
        ("Licence of the car wash suspended by the council", False),
    ],
)
def test_a_completed_action_is_judged_by_what_its_result_says(good, people, result, flagged):
    action = good.actions.first()
    services.update_action(people["lro"], action, status="complete", result=result)
    assert ("empty_result" in failures(good)) is flagged


def test_the_minimum_of_meaningful_words_is_a_setting(good, people, settings):
    services.update_action(
        people["lro"], good.actions.first(), status="complete", result="Warrant executed"
    )
    assert "empty_result" in failures(good)
    settings.SOCMASTER = {**settings.SOCMASTER, "PLAN_RESULT_MIN_WORDS": 2}
    assert "empty_result" not in failures(good)


def test_safeguarding_and_investigation_plans_must_be_linked(threat, people):
    from socmaster.threats.models import CrimeType

    plan = write_plan(threat, "links")
    assert "plans_not_linked" not in failures(plan)
    threat.crime_types.add(CrimeType.objects.get(code="msht"))
    Threat.objects.filter(pk=threat.pk).update(phase=Phase.objects.get(name="Active investigation"))
    reason = failures(plan)["plans_not_linked"]
    assert "No safeguarding plan is linked" in reason and "no investigation plan" in reason
    services.update_plan(
        people["lro"],
        plan,
        safeguarding_plans="Durham MASH plan 2026/114",
        investigation_plans="Op Lantern investigation plan v3",
    )
    assert "plans_not_linked" not in failures(Plan.objects.get(threat=threat, status="current"))


def test_a_partner_action_nobody_there_has_opened_is_flagged_until_they_open_it(
    good, people, org, make_user, web
):
    council = org("partner-durham-county-council")
    services.add_action(
        people["lro"],
        good,
        four_p="protect",
        description="Licensing review of the car wash",
        owner_organisation=council,
        start_date=today(),
        due_date=today() + days(20),
    )
    assert failures(good)["partner_unseen"].endswith("Durham CC has no active users.")
    officer = make_user("partner-durham-county-council", "partner_user")
    assert failures(good)["partner_unseen"].endswith("nobody at Durham CC has opened it.")
    assert web(officer).get(f"/plans/{good.threat.reference}/").status_code == 200
    assert "partner_unseen" not in failures(good)
