"""The synthetic intelligence reports and SARs: determinism, rates, ground truth, scales, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import time
from collections import Counter
from pathlib import Path

import pytest

from socmaster.synth import OrgSpec, generate
from socmaster.synth import intelligence as si
from socmaster.synth.generator import NICKNAMES
from socmaster.synth.weights import FORCE_WEIGHTS

DATA = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "socmaster"
    / "organisations"
    / "data"
    / "organisations.json"
)
#: The columns of the SAR bulk file, as the shared format names them.
DOCUMENTED_COLUMNS = [
    "SAR reference",
    "Reporter sector",
    "Date",
    "Type",
    "Reason for suspicion",
    "Amount",
    "Currency",
    "Subject family name",
    "Subject given names",
    "Subject date of birth",
    "Subject gender",
    "Subject address",
    "Subject postcode",
    "Subject phones",
    "Subject accounts",
    "Linked accounts",
]


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
def small(orgs):
    """A dataset with national proportions at a twentieth of the size: 10,000 reports and
    45,000 SARs, enough for the rates to settle."""
    return generate(0.05, 5, orgs, disruptions=0)


@pytest.fixture(scope="module")
def small_intel(small, orgs):
    intel = si.intelligence_for(small, orgs)
    return intel, list(intel.sars())


def test_same_seed_same_data_different_seed_different_data(orgs):
    a = generate("demo", 11, orgs)
    b = generate("demo", 11, orgs)
    c = generate("demo", 12, orgs)
    ia, ib, ic = (si.intelligence_for(d, orgs) for d in (a, b, c))
    assert ia.reports == ib.reports
    assert list(ia.sars()) == list(ib.sars())
    assert list(ia.sars()) == list(ia.sars())  # drawn afresh, the same each time
    assert ia.reports != ic.reports
    assert list(ia.sars()) != list(ic.sars())


def test_demo_scale_is_a_few_hundred_of_each_in_the_demo_region(orgs):
    dataset = generate("demo", 3, orgs)
    intel = si.intelligence_for(dataset, orgs)
    sars = list(intel.sars())
    assert len(intel.reports) == si.DEMO_REPORTS
    assert len(sars) == si.DEMO_SARS
    region = {o.key for o in orgs if o.region_key == "region-north-east"}
    assert {r.owner_key for r in intel.reports} <= region
    assert {s.owner_key for s in sars} <= region
    assert {s.owner_key for s in sars} == {
        o.key for o in orgs if o.key in region and o.type == "force"
    }


def test_reports_span_three_years_up_to_today_and_say_they_are_synthetic(small, small_intel):
    reports = small_intel[0].reports
    dates = [r.submitted_on for r in reports]
    assert max(dates) <= small.today
    assert min(dates) >= small.today - dt.timedelta(days=3 * 365)
    assert min(dates) < small.today - dt.timedelta(days=2 * 365)  # the whole span is used
    assert all(r.original_text.startswith("SYNTHETIC INTELLIGENCE REPORT") for r in reports)
    assert all(r.reference.startswith("SYN-IR-") for r in reports)
    assert len({r.reference for r in reports}) == len(reports)


def test_grading_mix_is_mostly_2_b_c_with_some_1_a_and_few_3_e(small_intel):
    reports = small_intel[0].reports
    n = len(reports)
    source = Counter(r.source_evaluation for r in reports)
    grade = Counter(r.intelligence_assessment for r in reports)
    assert 0.70 <= source["2"] / n <= 0.80
    assert 0.10 <= source["1"] / n <= 0.20
    assert 0.06 <= source["3"] / n <= 0.14
    assert 0.72 <= (grade["B"] + grade["C"]) / n <= 0.84
    assert 0.07 <= grade["A"] / n <= 0.13
    assert grade["E"] / n <= 0.05
    assert set(source) == {"1", "2", "3"} and set(grade) == set("ABCDE")


def test_c_coded_reports_have_conditions_and_p_coded_none(small_intel):
    reports = small_intel[0].reports
    c = [r for r in reports if r.handling_code == "C"]
    assert 0.12 <= len(c) / len(reports) <= 0.18
    assert all(r.handling_conditions.startswith("Synthetic condition") for r in c)
    assert all(r.handling_conditions == "" for r in reports if r.handling_code == "P")


@pytest.mark.parametrize(
    "flag, low, high",
    [
        ("threat_to_life", 0.008, 0.025),
        ("child_at_risk", 0.02, 0.04),
        ("vulnerable_victim", 0.04, 0.06),
        ("time_critical", 0.03, 0.05),
    ],
)
def test_flags_are_rare(small_intel, flag, low, high):
    reports = small_intel[0].reports
    assert low <= sum(r.flags[flag] for r in reports) / len(reports) <= high


def test_priority_follows_the_flags(small_intel):
    for r in small_intel[0].reports:
        if r.flags["threat_to_life"]:
            assert r.priority == "urgent"
        elif any(r.flags.values()):
            assert r.priority == "high"
        else:
            assert r.priority == "normal"


def test_about_ten_percent_mention_master_list_nominals_or_their_threats(small, small_intel):
    reports = small_intel[0].reports
    share = sum(r.mentions_nominals for r in reports) / len(reports)
    assert 0.08 <= share <= 0.12
    nominals = {n.reference: n for n in small.nominals}
    member_of = {(m.nominal, m.threat) for m in small.members}
    threats = {t.reference for t in small.threats}
    for r in reports:
        linked = [s for s in r.subjects if s.nominal]
        for s in linked:  # linked subjects carry the nominal's own details
            n = nominals[s.nominal]
            assert (s.family_name, s.given_names, s.date_of_birth) == (
                n.family_name,
                n.given_names,
                n.date_of_birth,
            )
        for t in r.threats:  # mentioned with a nominal, the threat is one of theirs
            assert t in threats
            if linked:
                assert any((s.nominal, t) in member_of for s in linked)
    assert any(r.threats and any(s.nominal for s in r.subjects) for r in reports)
    assert any(r.threats and not any(s.nominal for s in r.subjects) for r in reports)
    assert any(not r.threats and r.mentions_nominals for r in reports)


def test_reports_mention_places_phones_and_vehicles(small_intel):
    kinds = Counter(k for r in small_intel[0].reports for k, _ in r.mentions)
    assert set(kinds) == {"place", "phone", "vehicle"}
    assert all(any(k == "place" for k, _ in r.mentions) for r in small_intel[0].reports)


def test_processing_state_older_mostly_processed_recent_backlog(small, small_intel):
    reports = small_intel[0].reports
    processed = {"actioned", "disseminated", "filed"}

    def share(rows, states):
        return sum(r.status in states for r in rows) / len(rows)

    old = [r for r in reports if (small.today - r.submitted_on).days > 180]
    recent = [r for r in reports if (small.today - r.submitted_on).days <= 30]
    assert share(old, processed) >= 0.88
    assert share(recent, {"awaiting"}) >= 0.4
    assert 0 < share(reports, {"in_research"}) < 0.1
    for r in reports:
        assert (r.processed_on is not None) == (r.status in processed)
        if r.processed_on:
            assert r.submitted_on <= r.processed_on <= small.today
        assert (r.researcher is None) == (r.status == "awaiting")
        assert bool(r.sanitised_text) == (r.status in ("actioned", "disseminated"))


def test_sars_a_year_at_the_national_rate_split_by_force_size(orgs):
    counts = si.sar_counts(orgs, "national")
    assert sum(counts.values()) == si.NATIONAL_SARS_PER_YEAR == 900_000
    forces = {o.key for o in orgs if o.type == "force"}
    assert set(counts) == forces
    whole = sum(FORCE_WEIGHTS.get(k, 1500) for k in forces)
    for key in ("force-metropolitan", "force-durham", "force-kent"):
        assert counts[key] == pytest.approx(900_000 * FORCE_WEIGHTS[key] / whole, abs=1)
    assert counts["force-metropolitan"] > 5 * counts["force-kent"] > 5 * counts["force-durham"]


def test_each_force_gets_exactly_its_share_within_the_year(small, small_intel, orgs):
    intel, sars = small_intel
    assert Counter(s.owner_key for s in sars) == Counter(
        {k: v for k, v in intel.sar_counts.items() if v}
    )
    assert len(sars) == round(0.05 * 900_000)
    dates = [s.submitted_on for s in sars]
    assert max(dates) <= small.today
    assert min(dates) > small.today - dt.timedelta(days=366)


def test_sar_types_sectors_and_amounts(small_intel):
    sars = small_intel[1]
    n = len(sars)
    types = Counter(s.sar_type for s in sars)
    assert 0.03 <= types["daml"] / n <= 0.05
    assert 0.015 <= types["vulnerability"] / n <= 0.025
    assert (types["standard"] + types["other"]) / n >= 0.9
    sectors = Counter(s.reporter_sector for s in sars)
    assert sectors.most_common(1)[0][0] == "credit_institution"
    assert sectors["credit_institution"] / n >= 0.65
    amounts = [float(s.amount) for s in sars if s.amount is not None]
    assert 0.85 <= len(amounts) / n <= 0.95
    assert all(a >= 0 for a in amounts)
    assert all(s.reason_text.startswith("Synthetic SAR") for s in sars)
    for s in sars:  # DAML consent and the priority a SAR gets on intake
        assert (s.consent_decision != "") == (s.sar_type == "daml")
        assert s.priority == {"daml": "urgent", "vulnerability": "high"}.get(s.sar_type, "normal")


def test_daml_and_vulnerability_sars_are_read_standard_ones_wait_unscreened(small_intel):
    sars = small_intel[1]
    urgent = [s for s in sars if s.sar_type in ("daml", "vulnerability")]
    standard = [s for s in sars if s.sar_type == "standard"]
    assert sum(s.screening_status != "not_screened" for s in urgent) / len(urgent) >= 0.85
    assert sum(s.screening_status == "not_screened" for s in standard) / len(standard) >= 0.55
    for s in sars:
        if s.screening_status == "matches":
            assert any(p.nominal for p in s.subjects)
        if s.status == "awaiting":
            assert s.screening_status == "not_screened" and s.processed_on is None


def test_subjects_one_to_four_mean_about_two_and_a_half(small_intel):
    sizes = [len(s.subjects) for s in small_intel[1]]
    assert min(sizes) == 1 and max(sizes) == 4
    assert 2.4 <= sum(sizes) / len(sizes) <= 2.6


def test_ground_truth_every_noisy_subject_names_a_real_nominal_and_its_variants(small, small_intel):
    nominals = {n.reference: n for n in small.nominals}
    matched = [p for s in small_intel[1] for p in s.subjects if p.nominal]
    everyone = sum(len(s.subjects) for s in small_intel[1])
    assert 0.03 <= len(matched) / everyone <= 0.05
    kinds = Counter()
    for p in matched:
        n = nominals[p.nominal]  # every truth nominal exists
        assert p.gender == n.gender
        assert set(p.variants) <= set(si.VARIANT_KINDS)
        kinds.update(p.variants)
        if not p.variants:
            assert (p.family_name, p.given_names, p.date_of_birth) == (
                n.family_name,
                n.given_names,
                n.date_of_birth,
            )
            continue
        assert (p.family_name, p.given_names, p.date_of_birth) != (
            n.family_name,
            n.given_names,
            n.date_of_birth,
        )
        if p.variants == ("swapped",):
            assert (p.family_name, p.given_names) == (n.given_names, n.family_name)
        if p.variants == ("dob",):
            assert (p.date_of_birth.day, p.date_of_birth.month) == (
                n.date_of_birth.month,
                n.date_of_birth.day,
            )
        if p.variants == ("nickname",):
            assert p.given_names.split()[0] == NICKNAMES[n.given_names.split()[0]]
        if p.variants == ("double",):
            assert p.family_name.startswith(n.family_name + "-")
        if p.variants == ("typo",):
            assert p.family_name != n.family_name and p.given_names == n.given_names
    assert set(kinds) == set(si.VARIANT_KINDS)
    noisy = sum(bool(p.variants) for p in matched) / len(matched)
    assert 0.5 <= noisy <= 0.8  # most are written with noise, some exactly


def test_stress_scale_has_exactly_a_million_subjects_quickly(orgs):
    dataset = generate(0.01, 2, orgs, disruptions=0)
    intel = si.intelligence_for(dataset, orgs, "stress")
    assert intel.reports == []
    started = time.perf_counter()
    sars = subjects = 0
    for sar in intel.sars():
        sars += 1
        subjects += len(sar.subjects)
    elapsed = time.perf_counter() - started
    assert subjects == si.STRESS_SUBJECTS == 1_000_000
    assert 380_000 <= sars <= 420_000  # about 2.5 subjects each
    print(f"stress scale: {sars:,} SARs, {subjects:,} subjects in {elapsed:.1f} s")
    assert elapsed < 60  # about 8 s on the project machine


def test_csv_writer_streams_the_documented_columns_and_parses_back(small_intel):
    sars = small_intel[1][:500]
    out = io.StringIO(newline="")
    rows = si.write_sars_csv(iter(sars), out)
    assert rows == sum(max(1, len(s.subjects)) for s in sars)
    out.seek(0)
    reader = csv.DictReader(out)
    assert reader.fieldnames == DOCUMENTED_COLUMNS == si.SAR_COLUMNS
    parsed = list(reader)
    assert len(parsed) == rows
    by_ref = {}
    for row in parsed:
        by_ref.setdefault(row["SAR reference"], []).append(row)
    assert list(by_ref) == [s.reference for s in sars]
    for sar in sars:
        got = by_ref[sar.reference]
        # The SAR's own columns agree on every row of it.
        own = {tuple(r[c] for c in DOCUMENTED_COLUMNS[:7] + ["Linked accounts"]) for r in got}
        assert len(own) == 1
        first = got[0]
        assert first["Reporter sector"] == sar.reporter_sector
        assert dt.date.fromisoformat(first["Date"]) == sar.submitted_on
        assert first["Type"] in {"standard", "daml", "vulnerability", "other"}
        assert first["Amount"] == (sar.amount or "")
        if first["Amount"]:
            assert float(first["Amount"]) >= 0
        assert first["Currency"] == "GBP"
        linked = [a.split("|") for a in first["Linked accounts"].split(";")]
        assert [tuple(a) for a in linked] == sar.linked_accounts
        for row, person in zip(got, sar.subjects, strict=True):
            assert row["Subject family name"] == person.family_name
            assert row["Subject given names"] == person.given_names
            assert row["Subject date of birth"] == (
                person.date_of_birth.isoformat() if person.date_of_birth else ""
            )
            assert row["Subject gender"] in {"female", "male"}
            phones = row["Subject phones"].split(";") if row["Subject phones"] else []
            assert tuple(phones) == person.phones
            accounts = row["Subject accounts"].split(";") if row["Subject accounts"] else []
            assert tuple(accounts) == person.accounts


def test_csv_writer_writes_a_sar_without_subjects_as_one_blank_subject_row(small_intel):
    sar = small_intel[1][0]
    bare = si.SynthSar(**{f: getattr(sar, f) for f in si.SynthSar.__slots__} | {"subjects": []})
    out = io.StringIO(newline="")
    assert si.write_sars_csv([bare], out) == 1
    out.seek(0)
    (row,) = list(csv.DictReader(out))
    assert row["SAR reference"] == sar.reference
    assert all(row[c] == "" for c in DOCUMENTED_COLUMNS[7:15])


def test_csv_writer_to_a_path_streams(tmp_path, orgs):
    dataset = generate("demo", 4, orgs)
    intel = si.intelligence_for(dataset, orgs)
    path = tmp_path / "sars.csv"
    n = si.write_sars_csv(intel.sars(), path)
    with open(path, newline="", encoding="utf-8") as handle:
        assert sum(1 for _ in csv.reader(handle)) == n + 1
    assert n == sum(len(s.subjects) for s in intel.sars())
    head = list(itertools.islice(intel.sars(), 1))[0]
    assert path.read_text(encoding="utf-8").splitlines()[1].startswith(head.reference + ",")


def test_history_export_writes_the_sars_and_their_ground_truth(tmp_path, orgs):
    from socmaster.synth import export as ex

    dataset = generate("demo", 6, orgs, disruptions=10)
    day = dataset.today + dt.timedelta(days=20)
    counts = ex.write_history(dataset, tmp_path, organisations=orgs, today=day)
    sars = list(si.intelligence_for(dataset, orgs, reports=False).sars())
    assert counts["sars.csv"] == sum(len(s.subjects) for s in sars)
    with open(tmp_path / "sars.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == DOCUMENTED_COLUMNS
    assert len(rows) == counts["sars.csv"]
    # Dated as the loader dates them: moved to end on the day of the import, none after it.
    assert max(r["Date"] for r in rows) <= day.isoformat()
    assert rows[0]["Date"] == (sars[0].submitted_on + dt.timedelta(days=20)).isoformat()
    with open(tmp_path / "sars-truth.csv", newline="", encoding="utf-8") as handle:
        truth = list(csv.DictReader(handle))
    expected = [
        (s.reference, str(n), p.nominal, ";".join(p.variants))
        for s in sars
        for n, p in enumerate(s.subjects, start=1)
        if p.nominal
    ]
    assert [tuple(r.values()) for r in truth] == expected and expected
    assert counts["sars-truth.csv"] == len(expected)
    nominals = {n.reference for n in dataset.nominals}
    assert {r["Nominal reference"] for r in truth} <= nominals
    readme = (tmp_path / "README.txt").read_text(encoding="utf-8")
    assert f"sars.csv           {counts['sars.csv']:>8,} rows" in readme
    assert "import-sars" in readme
