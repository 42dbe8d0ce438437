"""The memory_cycle report executes with small parameters and shows every section issue 13 asks for."""

from report_renders import render_all

from hbmcycle.reports.tables import header


def test_memory_cycle_renders_with_small_parameters(shipped_db):
    # The session's shared render of all five reports (small parameters in report_renders.SMALL).
    result = render_all(shipped_db)
    assert not result["failures"], result["failures"]
    html = result["reports"]["memory_cycle"].read_text(encoding="utf-8")
    for heading in (
        "The HBM market, bottom-up",
        "Reconciliation with published figures",
        "Back-test out of sample",
        "Glut and shortage at other thresholds",
        "What would change this answer",
        "re-judged",
    ):
        assert heading in html, heading
    assert header("p_glut_by_year") in html and "calibration target" in html and "not tested in scope" in html
