"""Loading and validating scoring schemes, and the shipped default."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
import yaml

from socmaster.morile import SchemeError, default_scheme, list_factors, load_scheme

DEFAULT = default_scheme()


def definition() -> dict:
    return copy.deepcopy(DEFAULT.to_dict())


def errors_of(data) -> list[str]:
    with pytest.raises(SchemeError) as exc:
        load_scheme(data)
    for error in exc.value.errors:
        assert error in str(exc.value)
    return exc.value.errors


def test_default_scheme_loads_and_says_it_is_not_official():
    assert DEFAULT.name == "socmaster-default" and DEFAULT.version == "1"
    assert "editable default" in DEFAULT.description.lower()
    assert "not an official national MoRiLE scale" in DEFAULT.description
    assert [t.tier for t in DEFAULT.tiers] == [1, 2, 3, 4, 5]
    impacts = [f.key for f in list_factors(DEFAULT, "harm") if f.role == "impact"]
    assert impacts == ["physical", "psychological", "financial", "community", "environmental"]
    assert {f.key for f in list_factors(DEFAULT, "harm")} >= {"scope", "victim_vulnerability"}
    positions = {f.key for f in list_factors(DEFAULT, "organisational_position")}
    assert positions == {
        "capacity",
        "capability",
        "opportunity",
        "partnership",
        "public_expectation",
    }
    assert all(f.label and f.help and f.answers for f in list_factors(DEFAULT))


def test_default_scheme_file_is_exactly_what_it_loads_as():
    from socmaster.morile.scheme import DEFAULT_SCHEME_PATH

    assert json.loads(DEFAULT_SCHEME_PATH.read_text(encoding="utf-8")) == DEFAULT.to_dict()


def test_loads_from_a_dict_json_yaml_text_and_files(tmp_path):
    data = DEFAULT.to_dict()
    (tmp_path / "s.json").write_text(DEFAULT.to_json(), encoding="utf-8")
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for source in (
        data,
        DEFAULT.to_json(),
        yaml.safe_dump(data),
        tmp_path / "s.json",
        tmp_path / "s.yaml",
    ):
        assert load_scheme(source) == DEFAULT
    assert "cannot read" in errors_of(tmp_path / "missing.json")[0]
    assert "not valid JSON or YAML" in errors_of("name: [unclosed")[0]
    assert "must be a mapping" in errors_of("just words")[0]


def test_every_scheme_error_is_reported_at_once():
    bad = definition()
    del bad["label"]
    bad["version"] = 2.1
    bad["colour"] = "blue"
    bad["factors"][0]["group"] = "mystery"
    bad["factors"][1]["key"] = bad["factors"][2]["key"]
    bad["factors"][2]["answers"][1]["key"] = bad["factors"][2]["answers"][0]["key"]
    bad["factors"][3]["answers"][0]["value"] = "high"
    bad["factors"][4]["answers"][0]["value"] = -1
    del bad["factors"][5]["answers"][0]["label"]
    bad["factors"][6]["answers"][0]["value"] = 0  # a vulnerability multiplier of 0
    bad["factors"] = [f for f in bad["factors"] if f["group"] != "likelihood"]
    bad["combination"]["impact"] = "median"
    del bad["combination"]["position_weight"]
    bad["tiers"][1]["min"] = 500
    errors = errors_of(bad)
    expected = [
        "scheme: 'label' is required",
        "scheme: 'version' must be text, not 2.1",
        "scheme: unknown field 'colour'",
        "factor 'physical': unknown group 'mystery'",
        "factor 'financial': duplicate factor key",
        "duplicate answer key 'none'",
        "factor 'community', answer 'none': 'value' must be a number, not 'high'",
        "answer 'none': 'value' cannot be negative",
        "factor 'scope', answer 'local': 'label' is required",
        "answer 'not_vulnerable': 'value' multiplies the score, so must be greater than 0",
        "missing required group 'likelihood'",
        "unknown impact method 'median'",
        "combination: 'position_weight' is required",
        "tier thresholds must fall strictly from Tier 1 to Tier 5",
    ]
    assert len(errors) >= len(expected)
    for fragment in expected:
        assert any(fragment in e for e in errors), fragment


def test_bad_impact_weights_and_tiers_are_reported():
    bad = definition()
    bad["combination"]["impact_weights"] = {"physical": -1, "scope": 2, "financial": "lots"}
    bad["tiers"] = [{"tier": 1, "min": 100}, {"tier": "two", "min": 50}, {"tier": 5, "min": 10}]
    errors = errors_of(bad)
    for fragment in (
        "the weight of 'physical' cannot be negative",
        "'scope' is not an impact factor",
        "'financial' must be a number, not 'lots'",
        "'tiers' must list five thresholds",
        "threshold 2: 'tier' must be a whole number",
        "listed in order Tier 1, Tier 2",
    ):
        assert any(fragment in e for e in errors), fragment


def test_role_is_inferred_where_the_group_has_only_one():
    data = definition()
    for factor in data["factors"]:
        if factor["group"] != "harm":
            del factor["role"]
    assert load_scheme(data) == DEFAULT
    del data["factors"][0]["role"]
    assert any("role None is not allowed in group harm" in e for e in errors_of(data))


def test_impact_weights_round_trip_and_default_to_one():
    data = definition()
    data["combination"]["impact_weights"] = {"financial": 0.5}
    scheme = load_scheme(data)
    assert (
        scheme.combination.weight("financial") == 0.5 and scheme.combination.weight("physical") == 1
    )
    assert load_scheme(scheme.to_json()).to_dict() == scheme.to_dict() == data


def test_the_engine_imports_no_django():
    code = "import sys, socmaster.morile as m; m.default_scheme(); print(any(n.startswith('django') for n in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
