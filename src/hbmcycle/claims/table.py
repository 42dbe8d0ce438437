"""The claims table the reports lead with: verdict badge, claim, scope, evidence (measured / modelled marked), flip points.

Plain HTML with inline styles (reports are offline and self-contained). The reports engineer's
badge helper can replace :func:`badge`; the frame behind the table is what report summaries show.
"""

from __future__ import annotations

from html import escape

import polars as pl

from hbmcycle import verdicts as v

# Colour of each verdict's badge (background, text).
BADGE_COLOURS = {
    v.HOLDS: ("#1a7f37", "#ffffff"),
    v.PARTLY: ("#bf8700", "#ffffff"),
    v.FAILS: ("#cf222e", "#ffffff"),
    v.OUT_OF_SCOPE: ("#6e7781", "#ffffff"),
    v.UNCHECKABLE: ("#d0d7de", "#24292f"),
}
COLUMNS = ("verdict", "claim", "scope", "evidence", "would_change")


def badge(verdict: str) -> str:
    """An inline-styled badge for a verdict."""
    background, text = BADGE_COLOURS[verdict]
    return (
        f'<span style="background:{background};color:{text};border-radius:4px;padding:1px 6px;'
        f'white-space:nowrap;font-size:90%">{escape(verdict)}</span>'
    )


def counts(claims: pl.DataFrame) -> dict[str, int]:
    """How many claims got each verdict (every verdict listed, zeros included)."""
    found = {r["verdict"]: r["len"] for r in claims.group_by("verdict").len().iter_rows(named=True)}
    return {verdict: int(found.get(verdict, 0)) for verdict in v.VERDICTS}


def summary(claims: pl.DataFrame) -> str:
    """One line: the number of claims per verdict."""
    return ", ".join(f"{n} {verdict}" for verdict, n in counts(claims).items() if n)


def html(claims: pl.DataFrame, flips: pl.DataFrame | None = None) -> str:
    """The claims as an HTML table; each row's flip points (from ``flips``) listed under "would change"."""
    by_claim: dict[str, list[str]] = {}
    for f in (flips if flips is not None else pl.DataFrame()).iter_rows(named=True):
        if f["flips_at"]:
            by_claim.setdefault(f["claim_id"], []).append(
                f"{f['assumption']}: {f['verdict_at_base']} at {f['base']}, {f['verdict_after']} at {f['flips_at']} "
                f"{f['unit']}".rstrip()
            )
    # Text reads left-aligned; notebook CSS right-aligns table cells by default.
    head = "".join(f'<th style="text-align:left">{escape(c.replace("_", " "))}</th>' for c in COLUMNS)
    rows = []
    for r in claims.iter_rows(named=True):
        flip_text = "".join(f"<br><b>flips:</b> {escape(t)}" for t in by_claim.get(r["claim_id"], []))
        cells = [
            badge(r["verdict"]) + f"<br><small>{escape(r['evidence_kind'])}</small>",
            f"<b>{escape(r['claim_id'])}</b> ({escape(r['post'])}): {escape(r['claim'])}",
            escape(r["scope"]),
            escape(r["evidence"])
            + (f"<br><small>threshold: {escape(r['threshold'])}</small>" if r["threshold"] else ""),
            escape(r["would_change"]) + flip_text,
        ]
        rows.append(
            "<tr>" + "".join(f'<td style="vertical-align:top;text-align:left">{c}</td>' for c in cells) + "</tr>"
        )
    return f'<table class="claims"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def display(claims: pl.DataFrame, flips: pl.DataFrame | None = None):
    """The table as an IPython HTML object (for the notebooks)."""
    from IPython.display import HTML

    return HTML(html(claims, flips))
