"""Every report and the index opened in headless Chromium as a reader would.

Asserts: no network request, no console error, every chart a live Vega view, the summary and
provenance blocks present, summary links that land on a section, no raw LaTeX in the visible
text, a real <title>. Saves a screenshot of each page's first screen (reports/screenshots/).
Chromium is Debian's `chromium` (`make test` installs it when missing); without it this test
fails, it does not skip.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from report_renders import SMALL, render_all

# LaTeX left as typed: a command (\frac, \eta ...) or a $...$ span holding a command or a braced script.
RAW_MATH = re.compile(
    r"\\(frac|left|right|min|max|eta|sum|cdot|times|mathrm|text)\b|\$[^$\s][^$\n]*(\\[a-zA-Z]|[\^_]\{)[^$\n]*\$"
)
ALLOWED_SCHEMES = ("file:", "data:", "blob:", "about:")


def chromium() -> str:
    found = os.environ.get("HBMCYCLE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium not found: `apt-get install chromium` (make test does it) or set HBMCYCLE_CHROMIUM")
    return found


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def rendered(shipped_db):
    result = render_all(shipped_db)
    assert not result["failures"], result["failures"]
    return result


def open_page(browser, path: Path):
    """Load a page with every non-local request recorded and refused; returns (page, requests, errors)."""
    page = browser.new_page(viewport={"width": 1340, "height": 900})
    requests, errors = [], []

    def guard(route):
        if not route.request.url.startswith(ALLOWED_SCHEMES):
            requests.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.route("**/*", guard)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    return page, requests, errors


def check_page(page, requests, errors, screenshot: Path) -> None:
    assert requests == [], f"network requests: {requests}"
    title = page.title()
    assert title and title != "Notebook", f"title {title!r}"
    assert page.locator(".hbm-summary").count() >= 1, "no summary block"
    assert page.locator(".hbm-provenance").count() == 1, "no provenance header"
    text = page.inner_text("body")
    assert not RAW_MATH.search(text), f"raw LaTeX in visible text: {RAW_MATH.search(text).group(0)!r}"
    page.screenshot(path=str(screenshot))
    assert errors == [], f"console errors: {errors}"


@pytest.mark.parametrize("name", list(SMALL))
def test_report_reads_in_a_browser(browser, rendered, name, shipped_db):
    page, requests, errors = open_page(browser, rendered["reports"][name])
    charts = page.locator("div.hbm-chart").count()
    live = page.evaluate("() => window.hbmcycleChartsReady")
    assert charts > 0 and live == charts, f"{live} live Vega views for {charts} charts"
    assert page.evaluate("() => window.hbmcycleChartErrors") == []
    drawn = page.evaluate("() => document.querySelectorAll('div.hbm-chart svg.marks').length")
    assert drawn == charts, f"{drawn} of {charts} charts drew an SVG"
    labels = page.evaluate("() => [...document.querySelectorAll('div.hbm-chart svg.marks')].map(s => s.ariaLabel)")
    assert all(label and label != "Chart" for label in labels), labels
    for href in page.evaluate("() => [...document.querySelectorAll('.hbm-summary a')].map(a => a.hash)"):
        target = page.evaluate("(h) => document.getElementById(decodeURIComponent(h.slice(1))) !== null", href)
        assert target, f"summary link {href} lands nowhere"
    shots = shipped_db / "reports" / "screenshots"
    shots.mkdir(exist_ok=True)
    check_page(page, requests, errors, shots / f"{name}.png")


def test_index_reads_in_a_browser(browser, rendered, shipped_db):
    page, requests, errors = open_page(browser, rendered["index"])
    links = page.evaluate("() => [...document.querySelectorAll('article h2 a')].map(a => a.getAttribute('href'))")
    assert sorted(links) == sorted(f"{n}.html" for n in SMALL)
    assert page.locator(".hbm-badge").count() >= 1
    shots = shipped_db / "reports" / "screenshots"
    shots.mkdir(exist_ok=True)
    check_page(page, requests, errors, shots / "index.png")
