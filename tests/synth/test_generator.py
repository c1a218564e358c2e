"""The synthetic dataset: determinism, ground truth, proportions, and loading it."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from socmaster.synth import OrgSpec, generate

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
        OrgSpec(
            o["key"], o["name"], o["type"], o["key"] if o["type"] == "region" else o.get("region")
        )
        for o in rows
    ]


@pytest.fixture(scope="module")
def national(orgs):
    return generate("national", 7, orgs)


def test_same_seed_same_data_and_different_seed_different_data(orgs):
    a, b, c = generate("demo", 11, orgs), generate("demo", 11, orgs), generate("demo", 12, orgs)
    assert (
        a.threats == b.threats
        and a.nominals == b.nominals
        and a.members == b.members
        and a.users == b.users
    )
    assert a.plans == b.plans and a.truth == b.truth
    assert a.threats != c.threats and a.plans != c.plans


def test_demo_is_one_region(orgs):
    demo = generate("demo", 1, orgs)
    by_key = {o.key: o for o in orgs}
    assert {by_key[t.owner_key].region_key for t in demo.threats} == {"region-north-east"}
    assert len(demo.threats) == 120 and len(demo.nominals) == 1000


def test_national_sizes_and_mix(national):
    assert len(national.threats) == 4600 and len(national.nominals) == 40000
    types = national.truth["threats_by_type"]
    assert (
        types["ocg"] > 0.7 * 4600
        and types["priority_individual"] > 0
        and types["vulnerability"] > 0
    )
    tiers = national.truth["threats_by_tier"]
    assert tiers[1] < tiers[2] < tiers[3] and tiers[4] > tiers[5]  # few Tier 1, most Tier 3-4
    assert all(t.description.startswith("Synthetic record.") for t in national.threats)
    assert len(national.truth["regions"]) == 10


def test_threats_follow_force_size(national):
    counts = national.truth["threats_by_owner"]
    assert counts["force-metropolitan"] > 4 * counts["force-durham"]
    assert counts["force-greater-manchester"] > counts["force-cumbria"]
    assert counts.get("national-crime-agency", 0) > 0
    assert all(k.startswith(("force-", "rocu-", "national-crime-agency")) for k in counts)


def test_ground_truth_records_of_the_same_person_are_variants(national):
    groups = defaultdict(list)
    for n in national.nominals:
        groups[national.truth["same_person"][n.reference]].append(n)
    duplicates = [g for g in groups.values() if len(g) > 1]
    assert len(duplicates) > 1000
    for group in duplicates:
        first = group[0]
        for other in group[1:]:
            kind = national.truth["variant_kind"][other.reference]
            assert other.gender == first.gender
            if kind == "dob" and other.date_of_birth != first.date_of_birth:
                assert (other.date_of_birth.day, other.date_of_birth.month) == (
                    first.date_of_birth.month,
                    first.date_of_birth.day,
                )
            else:
                assert other.date_of_birth == first.date_of_birth


def test_some_people_are_in_several_threats_and_lros_exist(national):
    per_nominal = defaultdict(int)
    for m in national.members:
        per_nominal[m.nominal] += 1
    assert sum(1 for n in per_nominal.values() if n > 1) > 2000
    with_lro = sum(1 for t in national.threats if t.lro)
    assert 0.8 * 4600 < with_lro < 4600


def test_tiers_come_from_morile_answers(national):
    from socmaster.morile import default_scheme, score

    scheme = default_scheme()
    by_ref = {t.reference: t for t in national.threats}
    for a in national.assessments[:200]:
        assert score(scheme, a.answers).tier == a.tier == by_ref[a.threat].tier
    assert len(national.assessments) == len(national.threats)


def test_three_years_of_disruptions_with_a_realistic_mix(national):
    from collections import Counter

    ds = national.disruptions
    assert len(ds) == 15 * 4600
    ocgs = {t.reference for t in national.threats if t.threat_type == "ocg"}
    assert all(d.threat in ocgs for d in ds)  # the default standard allows OCGs only
    four_p = Counter(d.four_p for d in ds)
    assert (
        four_p["pursue"] > four_p["protect"] > 0 and four_p["prevent"] > 0 and four_p["prepare"] > 0
    )
    assert min(d.event_date for d in ds).year >= 2023
    leads = {d.reference: d for d in ds if d.disruption_type == "lead"}
    supports = [d for d in ds if d.disruption_type == "support"]
    assert supports and all(
        leads[s.lead].threat == s.threat and leads[s.lead].event_date == s.event_date
        for s in supports
    )
    assert Counter(d.status for d in ds)["approved"] > 0.7 * len(ds)


def test_bad_scale(orgs):
    with pytest.raises(ValueError):
        generate(-1, 1, orgs)


@pytest.mark.django_db
def test_loader_and_generate_command(capsys):
    from django.core.management import CommandError, call_command

    from socmaster.core.models import AuditEntry
    from socmaster.threats.models import Nominal, Threat, ThreatMember

    call_command("generate", "--scale", "demo", "--seed", "3")
    assert Threat.objects.filter(reference__startswith="SYN-T-").count() == 120
    assert Nominal.objects.filter(reference__startswith="SYN-N-").count() == 1000
    assert ThreatMember.objects.filter(threat__reference__startswith="SYN-T-").count() > 1000
    assert AuditEntry.objects.filter(record_type="synth.dataset").count() == 1
    from socmaster.assessments.models import Assessment

    sample = Threat.objects.filter(
        reference__startswith="SYN-T-", moderation_status="moderated"
    ).first()
    assessment = Assessment.objects.get(threat=sample)
    assert (assessment.status, assessment.tier, assessment.score) == (
        "moderated",
        sample.tier,
        sample.score,
    )
    assert any(f["key"] == "priority" for f in assessment.result["figures"])
    from socmaster.disruptions.models import Disruption

    assert Disruption.objects.filter(reference__startswith="SYN-D-").count() == 15 * 120
    support = Disruption.objects.filter(
        reference__startswith="SYN-D-", disruption_type="support"
    ).first()
    assert support.lead is not None and support.lead.threat_id == support.threat_id
    from socmaster.plans.models import Plan

    plans = Plan.objects.filter(threat__reference__startswith="SYN-T-")
    assert 60 < plans.count() < 120 and not plans.filter(text_signature=[]).exists()
    with pytest.raises(CommandError, match="already loaded"):
        call_command("generate", "--scale", "demo")
    call_command("generate", "--scale", "demo", "--seed", "4", "--replace")
    assert Threat.objects.filter(reference__startswith="SYN-T-").count() == 120
    with pytest.raises(CommandError, match="--scale must be"):
        call_command("generate", "--scale", "huge")


@pytest.mark.django_db
def test_the_stress_scale_is_the_demo_master_list_with_a_million_sar_subjects():
    from socmaster.synth import intelligence as si
    from socmaster.web.management.commands.generate import _generate, parse_scale
    from socmaster.web.synthetic import organisation_specs

    assert parse_scale("stress") == "stress"
    dataset = _generate("stress", {"seed": 5, "disruptions": 0})
    assert dataset.scale == "demo" and dataset.intelligence_scale == "stress"
    intel = si.intelligence_for(dataset, organisation_specs())
    assert intel.reports == [] and intel.subject_limit == si.STRESS_SUBJECTS
    demo = _generate("demo", {"seed": 5, "disruptions": 0})
    assert demo.intelligence_scale is None
    assert si.intelligence_for(demo, organisation_specs()).subject_limit is None
