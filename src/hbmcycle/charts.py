"""Altair set-up shared by every notebook: interactive offline charts and a house style.

In a report (the renderer sets ``HBMCYCLE_REPORT=1`` for the kernel) each chart is emitted as a
placeholder holding its Vega-Lite spec; the report template inlines vl-convert's Vega/Vega-Lite/
vega-embed bundle once per page and turns every placeholder into a live view (tooltips, zoom
and pan where the chart declares them, SVG text a reader can search), with no network access.
Elsewhere (JupyterLab, a plain kernel) Altair's default renderer is kept: Lab draws Vega-Lite
itself, offline. :func:`save` writes a static SVG or PNG of any chart.
"""

from __future__ import annotations

import json
import os
from html import escape
from pathlib import Path

import altair as alt

from hbmcycle.reports.tables import table as html_table  # noqa: F401  (one table formatter, re-exported)

REPORT_ENV = "HBMCYCLE_REPORT"
RENDERER = "hbmcycle_report"
SPEC_MIMETYPE = "application/vnd.hbmcycle.vegalite+json"
# Distinct hues per vendor (AMD, Huawei, Groq used to be three near-identical reds).
VENDOR_COLOURS = {
    "NVIDIA": "#76b900",
    "AMD": "#d62728",
    "Google": "#4285f4",
    "AWS": "#ff9900",
    "Intel": "#0071c5",
    "Groq": "#f0027f",
    "Cerebras": "#7b3fb3",
    "Huawei": "#8c564b",
    "NVIDIA (Groq technology)": "#2f6b00",
    "Microsoft": "#00a4ef",
    "Meta": "#888888",
    "SambaNova": "#bcbd22",
    "Tenstorrent": "#17becf",
    "MatX": "#e377c2",
    "d-Matrix": "#393b79",
}


def chart_title(spec: dict) -> str:
    """The chart's title text (first line; nested in layers/concats), for its alt text."""
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(title)
    if title:
        return str(title)
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for part in spec.get(key, []):
            if found := chart_title(part):
                return found
    return "Chart"


def report_renderer(spec: dict, **_) -> dict:
    """A placeholder the report page turns into a live Vega view; the spec travels as JSON."""
    title = chart_title(spec)
    spec = {**spec, "description": spec.get("description", title)}
    payload = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
    html = (
        f'<div class="hbm-chart" role="figure" aria-label="{escape(title)}">'
        f'<script type="application/json" class="hbm-spec">{payload}</script></div>'
    )
    return {"text/html": html, "text/plain": f"<chart: {title}>"}


def setup(renderer: str | None = None) -> None:
    """Apply the house theme; in a report render charts as live offline views, else keep Altair's default."""
    alt.data_transformers.disable_max_rows()
    if RENDERER not in alt.renderers.names():
        alt.renderers.register(RENDERER, report_renderer)
    alt.renderers.enable(renderer or (RENDERER if os.environ.get(REPORT_ENV) else "default"))

    @alt.theme.register("hbmcycle", enable=True)
    def _theme() -> alt.theme.ThemeConfig:
        return {
            "config": {
                "view": {"continuousWidth": 560, "continuousHeight": 340, "stroke": None},
                "axis": {"labelFontSize": 11, "titleFontSize": 12, "gridColor": "#e6e6e6", "labelLimit": 260},
                "legend": {"labelFontSize": 11, "titleFontSize": 12, "labelLimit": 320},
                "title": {"fontSize": 14, "anchor": "start", "subtitleColor": "#666", "limit": 900},
            }
        }


def save(chart: alt.TopLevelMixin, path: str | Path) -> Path:
    """A static export of a chart (``.svg`` or ``.png``, by the path's suffix), rendered offline by vl-convert."""
    path = Path(path)
    if path.suffix not in {".svg", ".png"}:
        raise ValueError(f"static export writes .svg or .png, not {path.suffix!r}")
    chart.save(str(path))
    return path


def vendor_scale(vendors) -> alt.Scale:
    """A colour scale that keeps each vendor's colour stable across charts."""
    domain = sorted(set(vendors))
    palette = ["#888", "#17becf", "#bcbd22", "#e377c2", "#9467bd", "#2ca02c", "#1f77b4"]
    colours = [VENDOR_COLOURS.get(v, palette[i % len(palette)]) for i, v in enumerate(domain)]
    return alt.Scale(domain=domain, range=colours)


def titled(chart: alt.Chart, title: str, source: str) -> alt.Chart:
    """Give a chart its title and a 'Source:' subtitle, so every figure carries provenance."""
    return chart.properties(title=alt.Title(title, subtitle=f"Source: {source}"))


# Label placements tried in order: (align, dx, dy) in pixels from the point.
PLACEMENTS = (("left", 6, -6), ("left", 6, 8), ("right", -6, -6), ("right", -6, 8), ("left", 6, -18), ("left", 6, 20))


def place_labels(
    points, x: str, y: str, label: str, width: int, height: int, font_size: int = 10, avoid=None, domain=None
):
    """Greedy non-overlapping label positions on a log-log chart: the frame with `align`, `dx`, `dy` added.

    Each label is tried at the placements above (right of the point first) and takes the first
    whose box (text width ~0.6 em per character) stays inside the plot and overlaps no label
    placed before it nor the fixed labels in ``avoid`` (same columns, drawn left-aligned at
    dx=3, dy=-5); labels that fit nowhere are flagged `crowded` and left out (tooltips name them).
    ``domain`` = (x_min, x_max, y_min, y_max) of the plotted data (default: the points'); like
    Vega's log scales, it is widened to whole decades.
    """
    import numpy as np
    import polars as pl

    if domain is None:
        domain = (points[x].min(), points[x].max(), points[y].min(), points[y].max())
    x0, x1, y0, y1 = (f(np.log10(v)) for f, v in zip((np.floor, np.ceil, np.floor, np.ceil), domain))
    span_x, span_y = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)

    def pixels(frame):
        fx, fy = np.log10(frame[x].to_numpy()), np.log10(frame[y].to_numpy())
        return (fx - x0) / span_x * width, height - (fy - y0) / span_y * height

    def box(px, py, text, align, dx, dy, size):
        w, h = 0.6 * size * len(text), size + 2
        left = px + dx - (w if align == "right" else 0)
        return (left, py + dy - h / 2, left + w, py + dy + h / 2)

    boxes = []
    if avoid is not None and avoid.height:
        ax, ay = pixels(avoid)
        boxes = [box(ax[i], ay[i], avoid[label][i], "left", 3, -5, 9) for i in range(avoid.height)]
    px, py = pixels(points)
    rows = []
    for i in np.argsort(-py):  # bottom to top
        chosen, crowded = PLACEMENTS[0], True
        for align, dx, dy in PLACEMENTS:
            b = box(px[i], py[i], points[label][int(i)], align, dx, dy, font_size)
            inside = b[0] >= 0 and b[2] <= width
            if inside and not any(b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3] for o in boxes):
                chosen, crowded = (align, dx, dy), False
                boxes.append(b)
                break
        rows.append((int(i), *chosen, crowded))
    placed = pl.DataFrame(rows, schema=["_row", "align", "dx", "dy", "crowded"], orient="row")
    indexed = points.with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))
    return indexed.join(placed, on="_row").drop("_row")


def label_layers(placed, x: alt.X | str, y: alt.Y | str, text: str, color=alt.Undefined, font_size: int = 10) -> list:
    """One text layer per placement chosen by :func:`place_labels` (Vega-Lite has no per-datum dx)."""
    layers = []
    for (align, dx, dy), group in placed.filter(~placed["crowded"]).group_by(["align", "dx", "dy"]):
        layers.append(
            alt.Chart(group.drop("crowded"))
            .mark_text(align=align, dx=dx, dy=dy, fontSize=font_size)
            .encode(x=x, y=y, text=f"{text}:N", color=color)
        )
    return layers
