"""The memory_cycle report executes with small parameters and shows every section issue 13 asks for."""

from hbmcycle import report


def test_memory_cycle_renders_with_small_parameters(use_shipped_db, tmp_path):
    notebook = next(n for n in report.notebooks() if n.stem == "memory_cycle")
    small = {"paths": 300, "horizon_quarters": 20, "market_draws": 100, "backtest_paths": 20, "horizon_year": 2030}
    html = report.render(notebook, small, out_dir=tmp_path).read_text(encoding="utf-8")
    for heading in (
        "The HBM market, bottom-up",
        "Reconciliation with published figures",
        "Back-test out of sample",
        "Glut and shortage at other thresholds",
        "What would change this answer",
        "re-judged",
    ):
        assert heading in html, heading
    assert "p_glut_by_year" in html and "calibration target" in html and "not tested in scope" in html
