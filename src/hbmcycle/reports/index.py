"""reports/index.html: each report's question, headline answer with verdict badges, data vintage, link."""

from __future__ import annotations

from html import escape
from pathlib import Path

from hbmcycle.reports import files
from hbmcycle.reports.render import notebooks, read_record
from hbmcycle.reports.summary import badge

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1f2328;line-height:1.5}
h1{font-size:1.8rem;margin-bottom:.2rem} .lede{color:#57606a;margin-top:0}
article{border:1px solid #d0d7de;border-radius:8px;padding:1rem 1.2rem;margin:1rem 0}
article h2{font-size:1.25rem;margin:0 0 .3rem} .meta{color:#57606a;font-size:.85rem}
.hbm-badge{display:inline-block;color:#fff;border-radius:1em;padding:0 .6em;font-size:.8rem;font-weight:600;
white-space:nowrap}
ul{padding-left:1.2rem} li{margin:.2rem 0}
"""


def _article(record: dict) -> str:
    summary = record.get("summary") or {}
    findings = "".join(
        f"<li>{badge(f['verdict']) + ' ' if f.get('verdict') else ''}{escape(f['text'])}</li>"
        for f in summary.get("findings", [])
    )
    facts = record["provenance"]
    return (
        f'<article><h2><a href="{escape(record["file"])}">{escape(record["title"])}</a></h2>'
        f"<p><strong>Question.</strong> {escape(summary.get('question', ''))}</p>"
        f"<p><strong>Answer.</strong> {escape(summary.get('answer', '(no summary)'))}</p><ul>{findings}</ul>"
        f'<p class="meta">Data as of {escape(facts["data_vintage"])} · data built {escape(facts["data_built_at"])}'
        f" · rendered {escape(facts['rendered_at'])} · commit {escape(facts['git_commit'])}</p></article>"
    )


def write(out_dir: Path) -> Path:
    """Write out_dir/index.html from the render records of the default reports that exist there."""
    articles = []
    for nb in notebooks():
        target = out_dir / f"{nb.stem}.html"
        record = read_record(target)
        if record and target.exists():
            articles.append(_article(record))
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>hbmcycle reports</title><style>{STYLE}</style></head><body>"
        '<header class="hbm-provenance" aria-label="Provenance"><h1>hbmcycle reports</h1>'
        '<p class="lede">The economics of AI memory from sourced data and explicit models. '
        "Each report opens with its summary; every chart names its source table.</p></header>"
        f'<main class="hbm-summary" aria-label="Summary">{"".join(articles) or "<p>No reports rendered yet.</p>"}</main>'
        "</body></html>"
    )
    return files.write_atomic(out_dir / "index.html", page)
