import json

import pytest
from typer.testing import CliRunner

from hbmcycle.data import db
from hbmcycle.inference import cli, names

from inference_toys import accelerators, models, toy_measurements

runner = CliRunner()


@pytest.fixture
def toy_tables(monkeypatch, project):
    """Toy tables in place of the database; the calibration is fitted on toy measurements in the temp root."""
    tables = {"accelerators": accelerators(), "llm_models": models(), "decode_measurements": toy_measurements()}
    monkeypatch.setattr(db, "read_tables", lambda wanted, missing_ok=False: {n: tables[n] for n in wanted})
    return tables


def invoke(*args):
    return runner.invoke(cli.app, list(args))


def test_predict_json(toy_tables):
    result = invoke(
        "predict", "--accelerator", "toy chip", "--model", "Toy Dense", "--batch", "4", "--context", "1000", "--json"
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {"step_ms", "tokens_per_s", "per_user_tokens_per_s", "max_batch", "bound"} <= set(out)
    assert out["accelerator_id"] == "toy_chip" and out["model_id"] == "toy-dense"
    assert out["tokens_per_s"] == pytest.approx(4 * out["per_user_tokens_per_s"])
    assert out["bound"] == "bandwidth"


def test_predict_table_output(toy_tables):
    result = invoke(
        "predict",
        "--accelerator",
        "TOY_CHIP_FAST",
        "--model",
        "toy-moe",
        "--batch",
        "2",
        "--context",
        "100",
        "--weights",
        "fp4",
        "--kv",
        "fp8",
        "--gpus",
        "2",
    )
    assert result.exit_code == 0, result.output
    assert "tokens/s per user" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--accelerator", "nope"], "unknown accelerator 'nope'; valid: toy_chip"),
        (["--model", "gpt-9"], "unknown model 'gpt-9'; valid: toy-dense"),
        (["--weights", "fp4"], "precision fp4 not supported by Toy Chip"),
        (["--weights", "int3"], "unknown weights precision 'int3'; valid: bf16, fp8, fp4"),
        (["--batch", "100000"], "batch 100000 does not fit"),
        (["--gpus", "16"], "exceeds the scale-up domain"),
        (["--accelerator", "toy", "--gpus", "1"], "is ambiguous"),
    ],
)
def test_bad_input_gets_a_clear_message_and_nonzero_exit(toy_tables, args, message):
    base = {"--accelerator": "toy_chip", "--model": "toy-dense", "--batch": "1", "--context": "100"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    result = invoke("predict", *[item for pair in base.items() for item in pair])
    assert result.exit_code != 0
    assert message in result.output


def test_frontier_json(toy_tables):
    result = invoke("frontier", "--accelerator", "toy_chip", "--model", "toy-dense", "--context", "2000", "--json")
    assert result.exit_code == 0, result.output
    points = json.loads(result.stdout)
    # A frontier trades speed for throughput: going down the list (slower per user), every point
    # must carry strictly more throughput per accelerator, or it would be dominated.
    assert len(points) >= 2
    for faster, slower in zip(points, points[1:]):
        assert slower["per_user_tokens_per_s"] < faster["per_user_tokens_per_s"]
        assert slower["tokens_per_s_per_accelerator"] > faster["tokens_per_s_per_accelerator"]
    assert all(p["calibration"].startswith("calibration ") for p in points)  # names the constants it used


def test_resolve_accepts_ids_names_and_short_forms():
    frame = accelerators()
    assert names.resolve(frame, "Toy Chip Fast", "accelerator_id", "product", "accelerator") == 1
    assert names.resolve(frame, "chip-fast", "accelerator_id", "product", "accelerator") == 1
    assert names.resolve(frame, "TOY_LONELY", "accelerator_id", "product", "accelerator") == 2


def test_predict_on_shipped_data(use_shipped_db):
    result = invoke(
        "predict", "--accelerator", "H100 SXM", "--model", "Llama-3.1-8B", "--batch", "1", "--context", "1024", "--json"
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # memory-bound at batch 1: 16 GB of bf16 weights over 3.35 TB/s is 4.8 ms at best
    assert out["bound"] == "bandwidth" and out["step_ms"] > 4.7


def test_calibrate_then_validate(toy_tables, project):
    result = runner.invoke(cli.model_app, ["calibrate"])
    assert result.exit_code == 0, result.output
    assert (project / "data" / "processed" / "calibration.json").exists()
    result = runner.invoke(cli.model_app, ["validate"])
    assert result.exit_code == 0, result.output
    assert "held_out" in result.output and "median |error|" in result.output
    rows = json.loads(runner.invoke(cli.model_app, ["validate", "--json"]).stdout)
    assert len(rows) == toy_tables["decode_measurements"].height
