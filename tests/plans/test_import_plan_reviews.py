"""Importing 4P plan reviews (plan-reviews.csv): the file's dates, who may have reviewed (as
reviewer_role judges today), the review clock of the quality checks, row-numbered errors,
--skip-bad, undo, the command and the plan page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from socmaster.core import audit
from socmaster.core.models import AuditEntry
from socmaster.plans import quality, services
from socmaster.plans.importer import REVIEW_COLUMNS, import_plan_reviews, import_plans
from socmaster.plans.models import Plan, PlanReview
from socmaster.threats.models import ImportJob, Threat

from .test_import_plans import (
    SUPERSEDED_1,
    WRITTEN_1,
    WRITTEN_2,
    csv_text,
    iso,
    noon,
    plan_row,
    plans_csv,
    superseded_row,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
TWO_YEARS_AGO = TODAY - dt.timedelta(days=730)


@pytest.fixture
def people(make_user):
    return {
        "lro": make_user("force-durham", "lro", username="lro"),
        "sro": make_user("force-durham", "analyst", username="sro"),
        "chief": make_user("force-durham", "chief_officer", username="chief"),
        "analyst": make_user("force-durham", "analyst", username="analyst"),
        "sio": make_user("force-durham", "sio", "chief_officer", username="sio"),
        "neighbour": make_user("force-cleveland", "analyst", username="cleveland"),
        "neighbour_chief": make_user("force-cleveland", "chief_officer", username="clevechief"),
        "inspector": make_user("hmicfrs", "inspector", username="insp"),
    }


@pytest.fixture
def threats(org, people):
    common = dict(owner=org("force-durham"), threat_type="ocg", handling="region")
    out = {
        ref: Threat.objects.create(
            reference=ref, name=ref, lro=people["lro"], sro=people["sro"], **common
        )
        for ref in ("PLN-1", "PLN-2")
    }
    out["HID-1"] = Threat.objects.create(
        reference="HID-1", name="Hidden", owner=org("force-west-yorkshire"), handling="owner"
    )
    return out


@pytest.fixture
def plans(threats):
    rows = [superseded_row(), plan_row(), plan_row(**{"Threat reference": "PLN-2"})]
    assert import_plans(plans_csv(*rows)).written
    return {
        "old": Plan.objects.get(threat__reference="PLN-1", version=1),
        "new": Plan.objects.get(threat__reference="PLN-1", version=2),
        "other": Plan.objects.get(threat__reference="PLN-2"),
    }


REVIEWED = WRITTEN_2 + dt.timedelta(days=30)


def review_row(**overrides) -> dict:
    row = {
        "Threat reference": "PLN-1",
        "Plan version": "2",
        "Reviewer": "sro",
        "Reviewer role": "SRO",
        "Reviewed on": iso(REVIEWED),
        "Outcome": "Good",
        "Comments": "All four Ps covered; checked with the LRO.",
    }
    row.update(overrides)
    return row


def chief_row(**overrides) -> dict:
    return review_row(
        **{
            "Reviewer": "chief",
            "Reviewer role": "Chief officer",
            "Outcome": "Requires improvement",
            "Comments": "Prepare actions are thin.",
            **overrides,
        }
    )


def reviews_csv(*rows: dict) -> str:
    return csv_text(REVIEW_COLUMNS, list(rows))


def test_a_valid_file_creates_the_reviews_with_the_files_dates_and_the_import_marking(
    plans, people
):
    before = timezone.now()
    old = review_row(**{"Plan version": "1", "Reviewed on": iso(WRITTEN_1 + dt.timedelta(30))})
    result = import_plan_reviews(reviews_csv(old, review_row(), chief_row()), source="r.csv")
    assert result.written and (result.created, result.updated, result.unchanged) == (3, 0, 0)
    sro = PlanReview.objects.get(plan=plans["new"], reviewer=people["sro"])
    assert (sro.reviewer_role, sro.outcome, sro.reviewed_on) == ("sro", "good", REVIEWED)
    assert sro.created_at == noon(REVIEWED)
    assert sro.import_source == "r.csv, row 3" and before <= sro.imported_at <= timezone.now()
    chief = PlanReview.objects.get(reviewer=people["chief"])
    assert (chief.reviewer_role, chief.outcome) == ("chief_officer", "improve")
    assert PlanReview.objects.get(plan=plans["old"]).reviewed_on == WRITTEN_1 + dt.timedelta(30)
    entry = AuditEntry.objects.get(record_type="plans.planreview", record_id=str(sro.pk))
    assert entry.action == "create" and entry.changes["import_source"] == "r.csv, row 3"


def test_importing_the_same_file_again_changes_nothing(plans):
    data = reviews_csv(review_row(), chief_row())
    assert import_plan_reviews(data).written
    records = AuditEntry.objects.exclude(record_type="threats.importjob")
    entries, stored = records.count(), list(PlanReview.objects.values())
    again = import_plan_reviews(data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert records.count() == entries and list(PlanReview.objects.values()) == stored


def test_a_changed_row_updates_the_review(plans):
    assert import_plan_reviews(reviews_csv(review_row())).written
    result = import_plan_reviews(reviews_csv(review_row(Outcome="inadequate")))
    assert result.updated == 1 and PlanReview.objects.get().outcome == "inadequate"
    entry = AuditEntry.objects.get(record_type="plans.planreview", action="update")
    assert entry.changes["outcome"] == {"before": "good", "after": "inadequate"}


def test_a_blank_role_is_the_one_the_reviewer_has(plans, people):
    rows = [review_row(**{"Reviewer role": ""}), chief_row(**{"Reviewer role": ""})]
    assert import_plan_reviews(reviews_csv(*rows)).written
    assert dict(PlanReview.objects.values_list("reviewer__username", "reviewer_role")) == {
        "sro": "sro",
        "chief": "chief_officer",
    }


def test_a_plan_last_reviewed_two_years_ago_is_overdue_at_once(threats):
    written = TWO_YEARS_AGO - dt.timedelta(days=10)
    assert import_plans(
        plans_csv(plan_row(**{"Written on": iso(written), "Updated on": ""}))
    ).written
    row = review_row(**{"Reviewed on": iso(TWO_YEARS_AGO)})
    assert import_plan_reviews(reviews_csv(row)).written
    checked = quality.evaluate(Plan.objects.all())[0]
    assert checked.next_review_due == TWO_YEARS_AGO + dt.timedelta(days=90)
    reasons = {f.key: f.reason for f in checked.failures}
    assert f"last reviewed {TWO_YEARS_AGO:%d %b %Y}" in reasons["review_overdue"]


def test_a_recent_imported_review_stops_the_plan_being_overdue(threats):
    assert import_plans(plans_csv(superseded_row(), plan_row())).written
    assert "review_overdue" in quality.evaluate(Plan.objects.all())[0].failed_keys
    recent = TODAY - dt.timedelta(days=10)
    assert import_plan_reviews(reviews_csv(review_row(**{"Reviewed on": iso(recent)}))).written
    checked = quality.evaluate(Plan.objects.all())[0]
    assert "review_overdue" not in checked.failed_keys
    assert checked.next_review_due == recent + dt.timedelta(days=90)


def test_a_review_of_a_superseded_version_keeps_the_review_clock(threats):
    assert import_plans(plans_csv(superseded_row(), plan_row())).written
    old_review = SUPERSEDED_1 - dt.timedelta(days=5)
    row = review_row(**{"Plan version": "1", "Reviewed on": iso(old_review)})
    assert import_plan_reviews(reviews_csv(row)).written
    assert quality.evaluate(Plan.objects.all())[0].next_review_due == old_review + dt.timedelta(90)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("Threat reference", "NOPE", "no threat NOPE on the master list"),
        ("Plan version", "9", "PLN-1 has no plan version 9"),
        ("Reviewer", "nobody", "no user 'nobody'"),
        (
            "Reviewer role",
            "Sergeant",
            "'Sergeant' is not one of Senior responsible officer (supervisor), Chief officer",
        ),
        (
            "Outcome",
            "Fine",
            "'Fine' is not one of Good: no changes needed, Requires improvement, "
            "Inadequate: rewrite needed",
        ),
        ("Reviewed on", "last week", "'last week' is not a date"),
        (
            "Reviewed on",
            iso(TODAY + dt.timedelta(days=1)),
            "Give the date of the review; it cannot be in the future.",
        ),
        (
            "Reviewed on",
            iso(WRITTEN_1 - dt.timedelta(days=1)),
            "The review cannot be dated before the plan was written.",
        ),
        ("Reviewed on", "", "is required"),
        ("Comments", "", "is required"),
        ("Comments", "esc\x1b", "control character U+001B"),
        ("Reviewer", "lro", "lro may not review this plan"),
        ("Reviewer", "analyst", "analyst may not review this plan"),
        ("Reviewer", "clevechief", "clevechief may not review this plan"),
        ("Reviewer role", "chief officer", "sro reviews this plan as senior responsible officer"),
    ],
)
def test_each_bad_value_gives_its_row_error_and_writes_nothing(plans, column, value, message):
    result = import_plan_reviews(reviews_csv(chief_row(), review_row(**{column: value})))
    assert not result.written and not PlanReview.objects.exists()
    assert [(e.row, e.field) for e in result.errors] == [(3, column)], result.errors
    assert message in result.errors[0].message


def test_the_author_of_the_version_may_not_review_it(threats, people):
    assert import_plans(plans_csv(plan_row(Author="chief", **{"Author role": "Other"}))).written
    result = import_plan_reviews(reviews_csv(chief_row()))
    assert [(e.field, e.message[:30]) for e in result.errors] == [
        ("Reviewer", "chief may not review this plan")
    ]


def test_entitlement_is_judged_against_the_threat_as_it_is_today(plans, people, threats):
    Threat.objects.filter(pk=threats["PLN-1"].pk).update(sro=people["analyst"])
    result = import_plan_reviews(reviews_csv(review_row(), review_row(Reviewer="analyst")))
    assert [(e.row, e.field) for e in result.errors] == [(2, "Reviewer")]


def test_a_reviewer_with_both_roles_may_be_given_either(plans, people, threats):
    Threat.objects.filter(pk=threats["PLN-1"].pk).update(sro=people["sio"])
    rows = [
        review_row(Reviewer="sio", **{"Reviewer role": "Chief officer"}),
        review_row(Reviewer="sio", **{"Reviewed on": iso(REVIEWED + dt.timedelta(1))}),
    ]
    assert import_plan_reviews(reviews_csv(*rows)).written
    assert sorted(PlanReview.objects.values_list("reviewer_role", flat=True)) == [
        "chief_officer",
        "sro",
    ]


def test_an_inactive_reviewer_is_refused(plans, people):
    people["chief"].is_active = False
    people["chief"].save()
    result = import_plan_reviews(reviews_csv(chief_row()))
    assert [e.field for e in result.errors] == ["Reviewer"]


def test_a_review_of_a_superseded_version_is_dated_before_it_was_superseded(plans):
    late = SUPERSEDED_1 + dt.timedelta(days=1)
    result = import_plan_reviews(
        reviews_csv(review_row(**{"Plan version": "1", "Reviewed on": iso(late)}))
    )
    assert [(e.field, e.message) for e in result.errors] == [
        (
            "Reviewed on",
            f"Version 1 was superseded on {SUPERSEDED_1:%d %b %Y}: a review of it cannot be "
            "dated later.",
        )
    ]
    on_the_day = review_row(**{"Plan version": "1", "Reviewed on": iso(SUPERSEDED_1)})
    assert import_plan_reviews(reviews_csv(on_the_day)).written


def test_a_duplicate_key_is_an_error(plans):
    rows = [review_row(), review_row(Comments="Again, dated the same way.")]
    result = import_plan_reviews(reviews_csv(*rows))
    assert [(e.row, e.field) for e in result.errors] == [(3, "Reviewed on")]
    assert (
        "sro's review of" in result.errors[0].message
        and "first on row 2" in result.errors[0].message
    )
    same_day_other_format = review_row(**{"Reviewed on": REVIEWED.strftime("%d/%m/%Y")})
    result = import_plan_reviews(reviews_csv(review_row(), same_day_other_format))
    assert [(e.row, e.field) for e in result.errors] == [(3, "Reviewed on")]


def test_a_review_recorded_in_socmaster_is_not_changed_by_an_import(threats, people):
    plan = services.create_plan(people["lro"], threats["PLN-1"], aim="Written by hand.")
    services.record_review(people["sro"], plan, outcome="good", comments="By hand.")
    result = import_plan_reviews(
        reviews_csv(review_row(**{"Plan version": "1", "Reviewed on": iso(TODAY)}))
    )
    assert [e.field for e in result.errors] == ["Reviewed on"]
    assert "was recorded in socmaster; an import does not change it" in result.errors[0].message
    assert PlanReview.objects.get().comments == "By hand."


def test_a_hidden_threat_is_reported_as_a_missing_one(plans, people):
    result = import_plan_reviews(
        reviews_csv(review_row(**{"Threat reference": "HID-1"})), user=people["lro"]
    )
    assert [(e.field, e.message) for e in result.errors] == [
        ("Threat reference", "no threat HID-1 on the master list")
    ]


@pytest.mark.parametrize("who", ["neighbour", "inspector"])
def test_the_importer_must_be_allowed_to_change_the_threat(plans, people, who):
    result = import_plan_reviews(reviews_csv(review_row()), user=people[who])
    assert [(e.field, e.message) for e in result.errors] == [
        ("Threat reference", "you may not change the plans of PLN-1")
    ]


def test_skip_bad_writes_the_good_rows(plans):
    result = import_plan_reviews(
        reviews_csv(review_row(), chief_row(Outcome="Fine")), skip_bad=True
    )
    assert result.written and result.created == 1
    assert [r["Reviewer"] for r in result.rejected] == ["chief"]


def test_a_failure_part_way_leaves_nothing(plans, monkeypatch):
    assert import_plan_reviews(reviews_csv(review_row())).written
    before = sorted(tuple(sorted(r.items())) for r in PlanReview.objects.values())
    real, calls = services.import_review, {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "import_review", failing)
    rows = [
        review_row(Outcome="Inadequate"),
        chief_row(),
        chief_row(**{"Threat reference": "PLN-2"}),
    ]
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_plan_reviews(reviews_csv(*rows), batch_size=1)
    assert sorted(tuple(sorted(r.items())) for r in PlanReview.objects.values()) == before
    failed = ImportJob.objects.order_by("-pk").first()
    assert (failed.kind, failed.status) == ("plan_reviews", "failed")
    assert audit.verify_chain().ok


def test_the_command_imports_and_exits_non_zero_on_errors(plans, tmp_path, capsys):
    path = tmp_path / "plan-reviews.csv"
    path.write_text(reviews_csv(review_row(), chief_row(Reviewer="lro")), encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import-plan-reviews", str(path))
    assert "row 3, Reviewer: lro may not review this plan" in capsys.readouterr().err
    call_command("import-plan-reviews", str(path), "--skip-bad")
    assert "1 created" in capsys.readouterr().out
    assert PlanReview.objects.get().import_source == "plan-reviews.csv, row 2"


def test_the_plan_page_tags_imported_reviews(plans, people, web):
    assert import_plan_reviews(reviews_csv(review_row())).written
    page = web(people["lro"]).get("/plans/PLN-1/").content.decode()
    assert "data-imported-review" in page


def test_a_review_recorded_by_hand_is_not_tagged(threats, people, web):
    plan = services.create_plan(people["lro"], threats["PLN-1"], aim="Written by hand.")
    services.record_review(people["sro"], plan, outcome="good", comments="By hand.")
    page = web(people["lro"]).get("/plans/PLN-1/").content.decode()
    assert "By hand." in page and "data-imported-review" not in page
