import copy
import dataclasses

import pytest
import yaml

from hbmcycle.cycle import scenarios as sc


def test_file_schema_matches_the_dataclass_and_every_scenario_resolves():
    doc = sc.load_file()
    assert list(doc["parameters"]) == [f.name for f in dataclasses.fields(sc.CycleParams)]
    for name in ["base", "bull", "bear", "ai_capex_pause", "hbm4e_yield_slip"]:
        assert name in sc.scenario_names()
        p = sc.resolve(name)
        for key, value in doc["scenarios"][name]["overrides"].items():
            assert getattr(p, key) == value
    assert sc.resolve("backtest").yield_dip == 0.0
    for spec in doc["parameters"].values():
        assert spec["basis"].strip()


def test_defaults_are_used_where_a_scenario_is_silent():
    assert sc.resolve("base") == sc.defaults()
    assert sc.resolve("bull").lead_time_max_quarters == sc.schema()["lead_time_max_quarters"]["default"]


def test_overrides_are_coerced_and_applied_one_by_one():
    p = sc.resolve("bear", sc.parse_overrides(["lead_time_max_quarters=10", "elasticity = 0.5"]))
    assert p.lead_time_max_quarters == 10 and isinstance(p.lead_time_max_quarters, int)
    assert p.elasticity == 0.5
    assert p.pause_probability == 0.33  # the scenario's own value survives


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"elastcity": 1}, "unknown parameter 'elastcity'; did you mean elasticity"),
        ({"elasticity": 99}, r"out of range \[0.05, 5.0\]"),
        ({"elasticity": "abc"}, "is not a number"),
        ({"lead_time_max_quarters": 2.5}, "whole number"),
        ({"lead_time_min_quarters": 9, "lead_time_max_quarters": 8}, "exceeds lead_time_max_quarters"),
        ({"price_floor": 1.0, "price_cap": 1.0}, "price_floor must be below price_cap"),
    ],
)
def test_invalid_overrides_give_clear_errors(overrides, message):
    with pytest.raises(sc.ParameterError, match=message):
        sc.resolve("base", overrides)


def test_unknown_scenario_lists_the_choices():
    with pytest.raises(sc.ParameterError, match="unknown scenario 'boom'; choose one of: base, bull"):
        sc.resolve("boom")


@pytest.mark.parametrize("item", ["lead_time", "=3", "x=", ""])
def test_parse_overrides_rejects_malformed(item):
    with pytest.raises(sc.ParameterError, match="NAME=VALUE"):
        sc.parse_overrides([item])


def test_replace_validates():
    with pytest.raises(sc.ParameterError):
        sc.defaults().replace(yield_dip=2.0)


def _broken(mutate):
    with open(sc.SCENARIO_FILE, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    mutate(doc)
    return doc


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.pop("scenarios"), "top-level keys"),
        (lambda d: d["parameters"]["elasticity"].pop("basis"), "'elasticity' lacks"),
        (lambda d: d["parameters"]["elasticity"].update(default=10), "default 10 outside"),
        (lambda d: d["parameters"]["elasticity"].update(type="complex"), "type must be one of"),
        (lambda d: d["parameters"].pop("yield_dip"), "parameters must be exactly"),
        (lambda d: d["scenarios"]["bull"]["overrides"].update(warp=1), "scenario 'bull': unknown parameter 'warp'"),
        (lambda d: d["scenarios"]["bear"].pop("description"), "scenario 'bear' needs a description"),
    ],
)
def test_scenario_file_schema_errors(mutate, message):
    with pytest.raises(sc.ParameterError, match=message):
        sc.check_file(_broken(mutate))


def test_shipped_file_passes_its_own_check():
    sc.check_file(copy.deepcopy(sc.load_file()))
