"""Altair set-up shared by every notebook: offline rendering and a house style.

Reports must render with the network off, so charts are rendered to inline SVG
by vl-convert (bundled with its own Vega engine) instead of the default
renderer, which loads Vega from a CDN.
"""

from __future__ import annotations

import altair as alt

VENDOR_COLOURS = {
    "NVIDIA": "#76b900",
    "AMD": "#ed1c24",
    "Google": "#4285f4",
    "AWS": "#ff9900",
    "Intel": "#0071c5",
    "Groq": "#f55036",
    "Cerebras": "#7b3fb3",
    "Huawei": "#c7000b",
}


def setup(renderer: str = "svg") -> None:
    """Render charts as inline SVG (offline) and apply the house theme."""
    alt.data_transformers.disable_max_rows()
    alt.renderers.enable(renderer)

    @alt.theme.register("hbmcycle", enable=True)
    def _theme() -> alt.theme.ThemeConfig:
        return {
            "config": {
                "view": {"continuousWidth": 560, "continuousHeight": 340, "stroke": None},
                "axis": {"labelFontSize": 11, "titleFontSize": 12, "gridColor": "#e6e6e6"},
                "legend": {"labelFontSize": 11, "titleFontSize": 12},
                "title": {"fontSize": 14, "anchor": "start", "subtitleColor": "#666"},
            }
        }


def vendor_scale(vendors) -> alt.Scale:
    """A colour scale that keeps each vendor's colour stable across charts."""
    domain = sorted(set(vendors))
    palette = ["#888", "#8c564b", "#17becf", "#bcbd22", "#e377c2", "#9467bd", "#2ca02c"]
    colours = [VENDOR_COLOURS.get(v, palette[i % len(palette)]) for i, v in enumerate(domain)]
    return alt.Scale(domain=domain, range=colours)


def titled(chart: alt.Chart, title: str, source: str) -> alt.Chart:
    """Give a chart its title and a 'Source:' subtitle, so every figure carries provenance."""
    return chart.properties(title=alt.Title(title, subtitle=f"Source: {source}"))


def html_table(frame, link: tuple[str, str] | None = None, max_rows: int = 500):
    """A polars frame as a plain HTML table for reports (no pandas needed).

    `link=(text_column, url_column)` turns text_column into a hyperlink to url_column
    and drops url_column. Nulls show as empty cells.
    """
    from html import escape

    from IPython.display import HTML

    columns = [c for c in frame.columns if not link or c != link[1]]
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for row in frame.head(max_rows).iter_rows(named=True):
        cells = []
        for c in columns:
            value = row[c]
            text = "" if value is None else (f"{value:g}" if isinstance(value, float) else escape(str(value)))
            if link and c == link[0] and row.get(link[1]):
                text = f'<a href="{escape(row[link[1]])}">{text}</a>'
            cells.append(f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return HTML(f'<table class="dataframe"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')
