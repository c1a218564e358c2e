"""Synthetic debriefs: the pure generator (one per closed threat, states consistent with their
dates, the same for the same seed, ground truth), and once loaded the product finding exactly
what the truth says: overdue and cancelled debriefs (the exceptions report's checks), the
learning library by tag, and nothing more made due by a refresh."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest

from socmaster import synth
from socmaster.gateway.choices import CAPABILITIES
from socmaster.synth.debriefs import CAPABILITIES as SYNTH_CAPABILITIES
from socmaster.synth.debriefs import DUE_DAYS, debriefs_for
from socmaster.synth.generator import TACTICS
from socmaster.tasking.debrief_registry import CANCELLED, OVERDUE
from socmaster.tasking.models import Debrief, Lesson
from socmaster.tasking.services import debriefs as services
from socmaster.threats.exceptions import Scope, run_all
from socmaster.threats.models import Threat
from socmaster.web import synthetic

DATA = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "socmaster"
    / "organisations"
    / "data"
    / "organisations.json"
)


@pytest.fixture(scope="module")
def orgs():
    rows = json.loads(DATA.read_text())["organisations"]
    return [
        synth.OrgSpec(
            o["key"], o["name"], o["type"], o["key"] if o["type"] == "region" else o.get("region")
        )
        for o in rows
    ]


@pytest.fixture(scope="module")
def dataset(orgs):
    """About 900 threats, 130 of them closed."""
    return synth.generate(0.2, 7, orgs)


def test_one_debrief_per_closed_threat_with_states_that_fit_their_dates(dataset):
    made = debriefs_for(dataset)
    closed = {t.reference: t for t in dataset.threats if t.closed_on is not None}
    assert sorted(d.threat for d in made.debriefs) == sorted(closed)
    today = dataset.today
    for d in made.debriefs:
        threat = closed[d.threat]
        assert (d.ended_on, d.due_on) == (
            threat.closed_on,
            threat.closed_on + DUE_DAYS * dt.timedelta(days=1),
        )
        assert d.owner_key == threat.owner_key and d.owner_user == threat.lro
        if d.status == "held":
            assert d.ended_on <= d.held_on <= today
            assert d.what_worked and d.what_did_not and 1 <= len(d.lessons) <= 3
        elif d.status == "cancelled":
            assert d.cancel_reason and d.held_on is None and not d.lessons
            assert d.due_on < today  # only debriefs past their date are cancelled
        else:
            assert d.status == "due" and d.held_on is None and len(d.lessons) <= 1
        for lesson in d.lessons:
            assert lesson.text.startswith("Synthetic:")
            assert set(lesson.crime_types) <= set(threat.crime_types)
    # Every state occurs: some overdue, some cancelled (the seeds' faults), most held.
    states = Counter(d.status for d in made.debriefs)
    assert states["held"] > states["due"] > states["cancelled"] > 0
    assert made.truth["overdue"] and made.truth["cancelled"]
    assert made.truth["by_status"] == dict(states)
    assert made.truth["overdue"] == sorted(
        d.reference for d in made.debriefs if d.status == "due" and d.due_on < today
    )


def test_the_same_seed_gives_the_same_debriefs(dataset, orgs):
    assert debriefs_for(dataset) == debriefs_for(dataset)
    other = debriefs_for(synth.generate(0.2, 8, orgs))
    assert other.truth != debriefs_for(dataset).truth


def test_the_tags_are_the_products_reference_codes():
    assert set(SYNTH_CAPABILITIES) <= {code for code, _ in CAPABILITIES}


@pytest.mark.django_db
def test_every_tactic_tag_is_a_reference_tactic():
    from socmaster.disruptions.models import Tactic

    codes = {t for group in TACTICS.values() for t in group}
    assert codes <= set(Tactic.objects.values_list("code", flat=True))


@pytest.fixture
def loaded(db, make_user):
    dataset = synth.generate("demo", 3, synthetic.organisation_specs(), disruptions=20)
    counts = synthetic.load_dataset(dataset)
    return dataset, debriefs_for(dataset), counts


def test_the_product_finds_what_the_truth_says(loaded, make_user):
    dataset, made, counts = loaded
    truth = made.truth
    assert counts["debriefs"] == Debrief.objects.count() == len(made.debriefs)
    assert counts["lessons"] == Lesson.objects.count() == sum(len(d.lessons) for d in made.debriefs)
    # Dates moved to today: the overdue ones are overdue now.
    overdue = Debrief.objects.filter(services.overdue_q())
    assert sorted(overdue.values_list("reference", flat=True)) == truth["overdue"]
    assert (
        sorted(Debrief.objects.filter(status="cancelled").values_list("reference", flat=True))
        == truth["cancelled"]
    )
    # The exceptions report's checks, over every record (the command line's scope).
    results = dict(
        (check.key, rows)
        for check, rows in run_all(Threat.objects.all(), scope=Scope(Threat.objects.all()))
    )
    assert sorted(r["reference"] for r in results[OVERDUE]) == truth["overdue"]
    assert sorted(r["reference"] for r in results[CANCELLED]) == truth["cancelled_flagged"]
    # The learning library, as an inspector reads it (everything).
    inspector = make_user("hmicfrs", "inspector")
    library = services.library(inspector)
    assert library.count() == truth["library_lessons"]
    by_tactic = Counter(library.exclude(tactic=None).values_list("tactic__code", flat=True))
    assert dict(by_tactic) == truth["library_by_tactic"]
    by_crime = Counter(library.values_list("crime_types__code", flat=True))
    by_crime.pop(None, None)
    assert dict(by_crime) == truth["library_by_crime_type"]
    # Protected as their threats are.
    for debrief in Debrief.objects.select_related("threat")[:20]:
        assert (debrief.owner_id, debrief.handling) == (
            debrief.threat.owner_id,
            debrief.threat.handling,
        )
    # Every closure has its debrief: a refresh makes none for the synthetic threats.
    assert services.debriefs_due_from_events()["threats"] == 0


def test_removing_the_synthetic_data_removes_the_debriefs(loaded):
    synthetic.remove_synthetic()
    assert not Debrief.objects.exists() and not Lesson.objects.exists()
