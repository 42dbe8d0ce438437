"""Every consumer of the engine uses the same constants: predict, frontier, hetero compare, serve and the analyses.

On the shipped database, the same operating point computed through each entry point gives the
same figure, and every output names the same calibration (issue 11, item 1).
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hbmcycle.cli import app
from hbmcycle.data import db
from hbmcycle.hetero.scenario import Choice, load_scenario, read_tables
from hbmcycle.inference import constants
from hbmcycle.inference.operating import Workload, modelled_throughput

pytestmark = pytest.mark.usefixtures("use_shipped_db")
runner = CliRunner()


def cli_json(*args: str):
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_predict_and_frontier_agree_on_a_frontier_point():
    point = cli_json("frontier", "--accelerator", "h100 sxm", "--model", "llama-3.1-8b", "--context", "4096")[-1]
    again = cli_json("predict", "--accelerator", "h100 sxm", "--model", "llama-3.1-8b", "--context", "4096",
                     "--batch", str(point["batch"]), "--gpus", str(point["group_size"]))  # fmt: skip
    assert again["tokens_per_s_per_accelerator"] == pytest.approx(point["tokens_per_s_per_accelerator"], rel=1e-9)
    assert again["calibration"] == point["calibration"] == constants.current().label


def test_analyses_and_hetero_use_the_fitted_constants():
    fitted = constants.current()
    tables = db.read_tables(("accelerators", "llm_models"))
    h100 = tables["accelerators"].filter(tables["accelerators"]["accelerator_id"] == "nvidia_h100_sxm")
    llama = tables["llm_models"].filter(tables["llm_models"]["model_id"] == "llama-3.1-8b")
    # the thesis's engine query at its largest batch, and predict at that batch, give one throughput
    workload = Workload(model_id="llama-3.1-8b", context=4096, weights="bf16", kv="bf16", group_sizes=(1,))
    row = modelled_throughput(h100, llama, workload, [None], fitted.efficiency).row(0, named=True)
    again = cli_json("predict", "--accelerator", "h100 sxm", "--model", "llama-3.1-8b", "--context", "4096",
                     "--batch", str(int(row["batch"])))  # fmt: skip
    assert again["tokens_per_s_per_accelerator"] == pytest.approx(row["throughput_per_accelerator"], rel=1e-9)
    # hetero's calibrated stack (its default) is the fitted set itself
    scenario = load_scenario(Choice(), read_tables())
    assert scenario.gpu_eff == fitted.efficiency


def test_every_json_output_names_the_same_calibration():
    label = constants.current().label
    compare = cli_json("hetero", "compare", "--model", "llama-3.3-70b", "--context", "8192")
    served = cli_json("serve", "--accelerator", "h200", "--workload", "mlperf-llama2-70b", "--weights", "fp8")
    assert compare["calibration"] == served["calibration"] == label
