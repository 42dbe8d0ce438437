"""Each shipped pipeline end to end: loopback server with its recorded sample responses,
the real data tree, and the four upstream events (changed value, new row, removed row,
renamed field). No test touches the network."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil

import pytest
from refresh_server import FIXTURES, Server, make_tree

from hbmcycle.data import refresh

DAY = dt.date(2026, 11, 26)


@pytest.fixture
def env(tmp_path, monkeypatch):
    """(project root, remote folder, server): the real tree in a temp root, fixtures served on loopback."""
    root = make_tree(tmp_path / "project")
    remote = tmp_path / "remote"
    shutil.copytree(FIXTURES, remote)
    monkeypatch.setenv("HBMCYCLE_ROOT", str(root))
    with Server(remote) as server:
        monkeypatch.setenv("HBMCYCLE_REFRESH_MIRROR", server.base)
        yield root, remote, server


def pipe(pipeline_id: str) -> refresh.Pipeline:
    return next(p for p in refresh.pipelines() if p.id == pipeline_id)


def rows(root, table: str) -> list[dict]:
    with (root / "data" / "raw" / f"{table}.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def edit_json(path, change) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


HF_8B = "huggingface.co/NousResearch/Meta-Llama-3.1-8B/raw/main/config.json"
EPOCH = "epoch.ai/data/ml_hardware.csv"
MLPERF = "raw.githubusercontent.com/mlcommons/inference_results_v5.1/main/summary_results.json"
SEC = "data.sec.gov/api/xbrl/companyfacts/CIK0000723125.json"
AZURE = "prices.azure.com/api/retail/prices"


def test_hf_changed_value_is_applied_to_a_row_citing_hugging_face(env):
    root, remote, _ = env
    edit_json(remote / HF_8B, lambda d: d.update(num_hidden_layers=33))
    outcome = refresh.run(pipe("hf_model_configs"), today=DAY)
    assert [(c.key, c.column, c.old, c.new, c.held) for c in outcome.changes] == [
        ("llama-3.1-8b", "layers", "32", "33", False)
    ]
    assert outcome.applied and outcome.fetched == 14
    row = next(r for r in rows(root, "llm_models") if r["model_id"] == "llama-3.1-8b")
    assert row["layers"] == "33" and row["as_of"] == "2026-11-26" and "hf_model_configs" in row["source"].split(";")
    assert "layers 32 -> 33" in row["notes"]


def test_hf_missing_repository_is_a_failure_and_the_row_stays(env):
    root, remote, _ = env
    (remote / HF_8B).unlink()
    before = (root / "data/raw/llm_models.csv").read_bytes()
    outcome = refresh.run(pipe("hf_model_configs"), today=DAY)
    assert any(f.startswith("llama-3.1-8b:") and "HTTP 404" in f for f in outcome.failures)
    assert not outcome.plan.removed and (root / "data/raw/llm_models.csv").read_bytes() == before


def test_hf_renamed_field_names_pipeline_item_and_field(env):
    _, remote, _ = env
    edit_json(remote / HF_8B, lambda d: d.update(n_layers=d.pop("num_hidden_layers")))
    outcome = refresh.run(pipe("hf_model_configs"), today=DAY)
    [failure] = outcome.failures
    assert "pipeline hf_model_configs, item llama-3.1-8b" in failure and "'num_hidden_layers'" in failure


def test_epoch_fills_empty_cells_holds_conflicts_and_accept_applies_them(env):
    root, remote, _ = env
    text = (remote / EPOCH).read_text()
    text = text.replace(
        "NVIDIA,GPU,2022-03-22,,9.895e+14,1.979e+15,1.979e+15,8e+10,3.35e+12,700,",
        "NVIDIA,GPU,2022-03-22,,9.895e+14,1.979e+15,1.979e+15,8e+10,3.35e+12,777,",
    )
    text = text.replace(
        "1.836e+15,3.2e+10,1.64e+12,,", "1.836e+15,3.2e+10,1.64e+12,290,"
    )  # TPU v6e TDP: empty in the table
    (remote / EPOCH).write_text(text)
    first = refresh.run(pipe("epoch_ml_hardware"), today=DAY)
    status = {(c.key, c.column): c.held for c in first.changes}
    assert status == {("nvidia_h100_sxm", "tdp_w"): True, ("google_tpu_v6e", "tdp_w"): False}
    by_id = {r["accelerator_id"]: r for r in rows(root, "accelerators")}
    assert by_id["nvidia_h100_sxm"]["tdp_w"] == "700" and by_id["google_tpu_v6e"]["tdp_w"] == "290"
    second = refresh.run(pipe("epoch_ml_hardware"), today=DAY, accept=frozenset({"nvidia_h100_sxm:tdp_w"}))
    assert second.applied and [(c.key, c.new, c.held) for c in second.changes] == [("nvidia_h100_sxm", "777", False)]
    assert {r["accelerator_id"]: r for r in rows(root, "accelerators")}["nvidia_h100_sxm"]["tdp_w"] == "777"


def test_epoch_new_product_is_proposed_then_added_then_reported_gone(env):
    root, remote, _ = env
    original = (remote / EPOCH).read_text()
    new_line = (
        "NVIDIA H20,NVIDIA,GPU,2024-03-01,,1.48e+14,2.96e+14,2.96e+14,9.6e+10,4e+12,400,https://example.invalid/h20\n"
    )
    (remote / EPOCH).write_text(original + new_line)
    proposed = refresh.run(pipe("epoch_ml_hardware"), today=DAY)
    assert [(r["accelerator_id"], held) for r, held in proposed.plan.added] == [("nvidia_h20", True)]
    assert not proposed.applied and "nvidia_h20" not in {r["accelerator_id"] for r in rows(root, "accelerators")}
    added = refresh.run(pipe("epoch_ml_hardware"), today=DAY, accept=frozenset({"nvidia_h20"}))
    assert added.applied
    row = next(r for r in rows(root, "accelerators") if r["accelerator_id"] == "nvidia_h20")
    assert (row["product"], row["memory_gib"], row["status"], row["source"]) == (
        "NVIDIA H20",
        "96",
        "announced",
        "epoch_ml_hardware",
    )
    (remote / EPOCH).write_text(original)
    gone = refresh.run(pipe("epoch_ml_hardware"), today=DAY)
    assert [(r.cells[0], kept) for r, kept in gone.plan.removed] == [("nvidia_h20", True)]
    assert "nvidia_h20" in {r["accelerator_id"] for r in rows(root, "accelerators")}  # reported, not deleted


def test_epoch_renamed_column_names_the_field(env):
    root, remote, _ = env
    (remote / EPOCH).write_text((remote / EPOCH).read_text().replace("TDP (W)", "Thermal design power (W)", 1))
    before = (root / "data/raw/accelerators.csv").read_bytes()
    outcome = refresh.run(pipe("epoch_ml_hardware"), today=DAY)
    [failure] = outcome.failures
    assert "pipeline epoch_ml_hardware, item ml_hardware: field 'TDP (W)' is missing" in failure
    assert outcome.vintage is None and (root / "data/raw/accelerators.csv").read_bytes() == before


def test_mlperf_new_round_rows_then_a_correction_then_a_withdrawn_result(env):
    root, remote, _ = env
    first = refresh.run(pipe("mlperf_inference"), today=DAY)
    added = {r["result_id"]: r for r, held in first.plan.added if not held}
    offline = "mlps_v5.1_nvidia_dgx_b200_b200_sxm_180gbx8_trt_llama2_70b_99_offline"
    assert first.applied and offline in added
    assert not any("example" in k for k in added)  # an accelerator the table does not know is skipped
    assert not any("8xmi355x" in k and "v5.1" in k for k in added)  # open division is filtered out
    row = next(r for r in rows(root, "inference_benchmarks") if r["result_id"] == offline)
    assert (row["round"], row["division"], row["category"], row["accelerator_count"], row["scenario"]) == (
        "v5.1",
        "closed",
        "available",
        "8",
        "offline",
    )
    assert float(row["tokens_per_s_per_accelerator"]) == pytest.approx(float(row["tokens_per_s"]) / 8, abs=0.01)

    edit_json(remote / MLPERF, lambda d: d[0].update(Performance_Result=104000.0))
    corrected = refresh.run(pipe("mlperf_inference"), today=DAY)
    assert {(c.key, c.column, c.new, c.held) for c in corrected.changes} == {
        (offline, "tokens_per_s", "104000", False),
        (offline, "tokens_per_s_per_accelerator", "13000", False),
    }
    assert corrected.applied

    edit_json(remote / MLPERF, lambda d: d.pop(1))  # the server-scenario result is withdrawn upstream
    withdrawn = refresh.run(pipe("mlperf_inference"), today=DAY)
    assert [r.cells[0] for r, kept in withdrawn.plan.removed if kept] == [offline.replace("offline", "server")]


def test_mlperf_renamed_field(env):
    _, remote, _ = env
    edit_json(remote / MLPERF, lambda d: [r.update(Result=r.pop("Performance_Result")) for r in d])
    outcome = refresh.run(pipe("mlperf_inference"), today=DAY)
    assert any("item mlperf_v5.1: field 'Performance_Result' is missing" in f for f in outcome.failures)


def test_sec_capex_adds_years_and_holds_a_disagreement_with_the_curated_call(env):
    root, remote, _ = env
    outcome = refresh.run(pipe("sec_micron_capex"), today=DAY)
    assert sorted(r["period"] for r, held in outcome.plan.added) == ["2022", "2023"]
    [change] = outcome.changes
    assert (change.key, change.column, change.old, change.new, change.held) == (
        "2024 | micron | actual",
        "capex_usd_b",
        "8.1",
        "8.386",
        True,
    )
    assert change.curated_source == "micron_fq4_2024_call"
    micron = {r["period"]: r for r in rows(root, "dram_market") if r["company"] == "micron" and r["kind"] == "actual"}
    assert micron["2023"]["capex_usd_b"] == "7.676" and micron["2024"]["capex_usd_b"] == "8.1"

    edit_json(remote / SEC, lambda d: _facts(d).pop(4))  # FY2024 no longer reported: no change for it
    edit_json(remote / SEC, lambda d: [f.update(val=7_700_000_000) for f in _facts(d) if f["end"] == "2023-08-31"])
    second = refresh.run(pipe("sec_micron_capex"), today=DAY, accept=frozenset({"2023 | micron | actual"}))
    assert [(c.key, c.new, c.held) for c in second.changes] == [("2023 | micron | actual", "7.7", False)]
    edit_json(
        remote / SEC, lambda d: _facts(d).__setitem__(slice(None), [f for f in _facts(d) if f["end"] != "2022-09-01"])
    )
    third = refresh.run(pipe("sec_micron_capex"), today=DAY)
    assert [(r.cells[0], kept) for r, kept in third.plan.removed] == [("2022", True)]


def _facts(doc) -> list:
    return doc["facts"]["us-gaap"]["PaymentsToAcquirePropertyPlantAndEquipment"]["units"]["USD"]


def test_sec_empty_listing_is_an_error_not_a_mass_removal(env):
    _, remote, _ = env
    edit_json(remote / SEC, lambda d: _facts(d).clear())
    outcome = refresh.run(pipe("sec_micron_capex"), today=DAY)
    assert outcome.failures and not outcome.plan.removed and outcome.vintage is None


def test_sec_renamed_field(env):
    _, remote, _ = env
    edit_json(remote / SEC, lambda d: [f.update(value=f.pop("val")) for f in _facts(d)])
    outcome = refresh.run(pipe("sec_micron_capex"), today=DAY)
    assert any("pipeline sec_micron_capex" in f and "field 'val' is missing" in f for f in outcome.failures)


def test_azure_on_demand_list_rows_kept_apart_and_updated(env):
    root, remote, _ = env
    first = refresh.run(pipe("azure_gpu_prices"), today=DAY)
    assert first.applied
    azure = [r for r in rows(root, "rental_prices") if r["source"] == "azure_retail_prices_api"]
    assert {(r["date"], r["accelerator_id"], r["usd_per_gpu_hour"]) for r in azure} == {
        ("2023-09-01", "nvidia_h100_sxm", "12.29"),
        ("2024-10-01", "amd_mi300x", "6"),
    }  # spot, Windows and unmapped meters left out; price / 8 GPUs
    assert {(r["terms"], r["price_basis"]) for r in azure} == {("on_demand", "on_demand_list")}

    def reprice(d):
        d["Items"][0]["retailPrice"] = 90.0
        d["Items"].append({**d["Items"][0], "effectiveStartDate": "2025-06-01T00:00:00Z", "retailPrice": 55.84})
        d["Items"] = [i for i in d["Items"] if "MI300X" not in i["armSkuName"]]

    edit_json(remote / AZURE, reprice)
    second = refresh.run(pipe("azure_gpu_prices"), today=DAY)
    assert [(c.key, c.new, c.held) for c in second.changes] == [
        ("2023-09-01 | Microsoft Azure | nvidia_h100_sxm | on_demand", "11.25", False)
    ]
    assert [r["date"] for r, held in second.plan.added] == ["2025-06-01"]
    assert [r.cells[2] for r, kept in second.plan.removed] == ["amd_mi300x"]


def test_azure_renamed_field(env):
    _, remote, _ = env
    edit_json(remote / AZURE, lambda d: [i.update(price=i.pop("retailPrice")) for i in d["Items"]])
    outcome = refresh.run(pipe("azure_gpu_prices"), today=DAY)
    assert any("pipeline azure_gpu_prices" in f and "'retailPrice' is missing" in f for f in outcome.failures)


def test_shipped_pipelines_name_real_columns_sources_and_rows():
    import yaml
    from refresh_server import REPO

    raw = REPO / "data" / "raw"
    found = refresh.pipelines(REPO / "pipelines")
    assert {p.table for p in found} >= {
        "accelerators",
        "inference_benchmarks",
        "dram_market",
        "rental_prices",
        "llm_models",
    }
    for p in found:
        sidecar = yaml.safe_load((raw / f"{p.table}.yaml").read_text())
        columns = set(sidecar["columns"])
        assert set(p.columns) | set(p.match) | set(p.defaults or {}) <= columns, p.id
        assert p.source_id in {s["id"] for s in sidecar["sources"]}, p.id
    hf = next(p for p in found if p.id == "hf_model_configs")
    model_ids = {r["model_id"] for r in csv.DictReader((raw / "llm_models.csv").open(encoding="utf-8-sig"))}
    assert {
        i.key for i in hf.items
    } == model_ids  # every curated model, incl. deepseek-r1, kimi-k2, qwen3-235b, gpt-oss-120b
    assert not any("meta-llama/" in i.url for i in hf.items)  # gated: anonymous requests are refused
