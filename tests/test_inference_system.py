"""System level: workloads, the maturity fit (recovers known factors), the split, and the issue's acceptance checks."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from hbmcycle.cli import app
from hbmcycle.inference import assumptions, constants
from hbmcycle.inference import system_validation as sv
from hbmcycle.inference import workloads as wl
from hbmcycle.inference.system_report import system_table

from inference_toys import TRUE, accelerators, models

ASSUMED = assumptions.load()
runner = CliRunner()


def _workloads() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "workload_id": ["toy-load", "toy-capped"],
            "model_id": ["toy-dense", "toy-dense"],
            "input_tokens_mean": [1000.0, None],
            "input_tokens_p90": [1500.0, None],
            "input_tokens_max": [2000.0, 1024.0],
            "output_tokens_mean": [200.0, 300.0],
            "output_tokens_max": [400.0, 1024.0],
            "server_ttft_p99_ms": [2000.0, None],
            "server_tpot_p99_ms": [200.0, None],
            "interactive_ttft_p99_ms": [None, None],
            "interactive_tpot_p99_ms": [None, None],
            "prefix_cache_hit_rate": [0.25, None],
        }
    )


def test_workload_lengths_and_limits():
    spec = wl.lookup(_workloads(), "toy-load", ASSUMED)
    assert (spec.input_tokens, spec.output_tokens, spec.input_tokens_p90) == (1000.0, 200.0, 1500.0)
    assert spec.prefix_hit_rate == 0.25 and spec.limits("server") == (2000.0, 200.0)
    assert spec.limits("offline") == (np.inf, np.inf)
    with pytest.raises(ValueError, match="valid scenarios: offline, server"):
        spec.limits("interactive")


def test_a_length_known_only_as_a_cap_is_an_assumed_fraction_of_it():
    spec = wl.lookup(_workloads(), "toy-capped", ASSUMED.replace(unknown_mean_fraction_of_cap=0.25))
    assert spec.input_tokens == 256.0 and spec.assumed == ("input_tokens_mean = 0.25 x cap 1024",)


def test_unknown_workload_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid: toy-load, toy-capped"):
        wl.lookup(_workloads(), "nope", ASSUMED)


def _benchmarks(factors: dict[str, float]) -> dict[str, pl.DataFrame]:
    """Benchmark rows whose 'measured' value the model produced with known maturity factors per vendor/precision."""
    accel = accelerators().with_columns(vendor=pl.Series(["Red", "Red", "Blue"]))
    rows = []
    for i, (acc, precision, rnd, scenario) in enumerate(
        [
            ("toy_chip", "fp8", "v5.0", "offline"),
            ("toy_chip", "fp8", "v5.0", "server"),
            ("toy_chip_fast", "fp8", "v5.0", "offline"),
            ("toy_chip_fast", "fp8", "v4.1", "offline"),
            ("toy_chip_fast", "fp4", "v5.0", "offline"),
            ("toy_chip_fast", "fp8", "v5.1", "offline"),
            ("toy_lonely", "bf16", "v5.0", "offline"),
        ]
    ):
        rows.append(
            dict(
                result_id=f"r{i}", kind="measured", benchmark="mlperf_inference", round=rnd, model_id="toy-dense",
                accelerator_id=acc, accelerator_count=8, scenario=scenario, precision=precision,
                tokens_per_s_per_accelerator=1.0, per_user_tokens_per_s=None, engine="E", workload_id="toy-load",
            )
        )  # fmt: skip
    tables = {"inference_benchmarks": pl.DataFrame(rows), "workloads": _workloads(), "llm_models": models()}
    tables["accelerators"] = accel
    frame = sv.benchmark_rows(tables, ASSUMED)
    truth = np.array([factors.get(k, 1.0) for k in frame["maturity_key"]])
    points = sv.predict(sv.queries(frame, tables, ASSUMED), TRUE, truth, ASSUMED)
    measured = pl.Series([p["tokens_per_s_per_accelerator"] for p in points])
    by_id = dict(zip(frame["result_id"], measured))
    tables["inference_benchmarks"] = tables["inference_benchmarks"].with_columns(
        pl.col("result_id").replace_strict(by_id).alias("tokens_per_s_per_accelerator")
    )
    return tables


def test_maturity_fit_recovers_known_factors_and_falls_back_where_rows_are_few():
    tables = _benchmarks({"Red/fp8": 0.7})
    rows = sv.benchmark_rows(tables, ASSUMED)
    assert dict(zip(rows["result_id"], rows["split"]))["r5"] == "validate"  # v5.1 never fits
    factors = sv.fit_maturity(rows, tables, TRUE, ASSUMED)
    assert factors["Red/fp8"]["factor"] == pytest.approx(0.7, rel=0.01)
    assert factors["Red/fp8"]["rounds"] == "v5.0"  # the latest round with enough rows
    assert not factors["Red/fp8"]["at_bound"]
    assert "Red/fp4" not in factors and "Blue" not in factors  # one row each: too few
    values, sources = sv.maturity_of(
        pl.DataFrame({"maturity_key": ["Red/fp4", "Blue/bf16"], "vendor": ["Red", "Blue"]}), factors
    )
    assert sources == ["Red", "none (1.0)"] and values[1] == 1.0


def test_validation_table_scores_the_held_out_round():
    tables = _benchmarks({"Red/fp8": 0.7})
    factors = sv.fit_maturity(sv.benchmark_rows(tables, ASSUMED), tables, TRUE, ASSUMED)
    table = sv.validation_table(tables, TRUE, factors, ASSUMED)
    held_out = table.filter(pl.col("result_id") == "r5")
    assert held_out["split"][0] == "validate" and abs(held_out["error"][0]) < 0.02
    assert set(sv.summary(table, "split")["split"]) == {"fit", "validate"}


# --- acceptance checks of issue 12 on the shipped data -------------------------------------------


@pytest.fixture(scope="module")
def shipped_constants(shipped_db):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HBMCYCLE_ROOT", str(shipped_db))
        yield constants.current()


def test_mlperf_llama2_70b_offline_v51_is_predicted_within_the_issue_goal(shipped_constants):
    """Median |error| <= 15 % and Spearman >= 0.9 over H100, H200, B200, GB200, MI300X, MI325X, MI355X, fit on <= v5.0."""
    table = system_table(shipped_constants)
    head = sv.headline(table)
    assert set(head["rows"]["accelerator_id"]) == set(sv.HEADLINE_ACCELERATORS)
    assert (head["rows"]["split"] == "validate").all()
    assert head["median_abs_error"] <= 0.15 and head["spearman"] >= 0.9


def test_server_and_interactive_rows_are_in_the_system_table(shipped_constants):
    table = system_table(shipped_constants)
    for scenario in ("server", "interactive"):
        assert table.filter((pl.col("scenario") == scenario) & pl.col("error").is_not_nan()).height > 0
    assert table.filter(pl.col("benchmark") == "inferencemax").height == 3


@pytest.mark.parametrize(
    ("accelerator", "batch", "context"),
    [
        ("H100 SXM", 439, 1024), ("H100 SXM", 109, 4096), ("H100 SXM", 27, 16384),
        ("h200", 885, 1024), ("h200", 221, 4096), ("h200", 55, 16384),
    ],
)  # fmt: skip
def test_predict_accepts_batches_measured_on_real_cards(use_shipped_db, shipped_constants, accelerator, batch, context):
    args = ["predict", "--accelerator", accelerator, "--model", "Llama-3.1-8B", "--batch", str(batch)]
    result = runner.invoke(app, [*args, "--context", str(context), "--json"])
    assert result.exit_code == 0, result.output


def test_serve_json_has_the_documented_fields(use_shipped_db, shipped_constants):
    args = ["serve", "--accelerator", "h200", "--workload", "mlperf-llama2-70b", "--scenario", "server", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    fields = {"output_tokens_per_s", "tokens_per_s_per_accelerator", "concurrency", "ttft_ms", "tpot_ms", "bound"}
    assert fields | {"tokens_per_s_per_mw", "usd_per_million_tokens"} <= set(out)
    assert out["ttft_p90_ms"] <= 2000 and out["tpot_p90_ms"] <= 200  # MLPerf server limits of the workload


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "batch"], "valid: offline, server, interactive"),
        (["--workload", "nope"], "unknown workload 'nope'"),
        (["--weights", "fp2"], "valid: bf16, fp8, fp4"),
        (["--memory-utilization", "1.5"], "memory_utilization"),
        (["--isl", "100"], "--workload NAME or both --isl and --osl"),
    ],
)
def test_serve_refuses_bad_input_with_one_line(use_shipped_db, shipped_constants, args, message):
    base = ["serve", "--accelerator", "h200", "--model", "llama-2-70b"]
    if not any(a in args for a in ("--workload", "--isl")):
        base += ["--workload", "mlperf-llama2-70b"]
    result = runner.invoke(app, [*base, *args])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_validate_level_system_prints_the_split_and_errors(use_shipped_db, shipped_constants):
    result = runner.invoke(app, ["model", "validate", "--level", "system"])
    assert result.exit_code == 0, result.output
    assert "Spearman" in result.output and "later rounds and InferenceX" in result.output
    bad = runner.invoke(app, ["model", "validate", "--level", "rack"])
    assert bad.exit_code == 2 and "valid: step, system" in bad.output


def test_predict_memory_utilization_sets_the_reserve(use_shipped_db, shipped_constants):
    args = [
        "predict",
        "--accelerator",
        "h200",
        "--model",
        "Llama-3.1-8B",
        "--batch",
        "1",
        "--context",
        "4096",
        "--json",
    ]
    default = json.loads(runner.invoke(app, args).stdout)["max_batch"]
    half = json.loads(runner.invoke(app, [*args, "--memory-utilization", "0.5"]).stdout)["max_batch"]
    assert half < default
    bad = runner.invoke(app, [*args, "--memory-utilization", "1.5"])
    assert bad.exit_code == 2 and "out of range" in bad.output


def test_headline_rank_correlation_counts_ties_as_average_ranks():
    # measured ranks 1, 2, 3, 4, 5; predicted ranks 1, 2.5, 2.5, 5, 4 (a tie): Pearson of the ranks
    measured, predicted = [10.0, 20.0, 30.0, 40.0, 50.0], [1.0, 3.0, 3.0, 9.0, 8.0]
    ids = list(sv.HEADLINE_ACCELERATORS[:5])
    table = pl.DataFrame(
        {
            "workload_id": ["mlperf-llama2-70b"] * 5,
            "scenario": ["offline"] * 5,
            "split": ["validate"] * 5,
            "error": [p / m - 1 for p, m in zip(predicted, measured)],
            "accelerator_id": ids,
            "gpus": [8] * 5,
            "round": ["v5.1"] * 5,
            "measured_tokens_per_s_per_accelerator": measured,
            "predicted_tokens_per_s_per_accelerator": predicted,
        }
    )
    x, y = np.arange(1.0, 6.0), np.array([1.0, 2.5, 2.5, 5.0, 4.0])
    expected = ((x - x.mean()) * (y - y.mean())).sum() / np.sqrt(
        ((x - x.mean()) ** 2).sum() * ((y - y.mean()) ** 2).sum()
    )
    assert sv.headline(table)["spearman"] == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.8720816, rel=1e-6)
