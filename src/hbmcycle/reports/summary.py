"""The executive summary a report opens with: 3-6 findings, each a sentence, a verdict badge, a link.

A notebook builds ``summary(question, answer, findings)`` from numbers it computed and shows it
in a cell tagged ``summary``; the renderer moves that cell to the top of the report, and reads
the record it carries (mimetype :data:`MIMETYPE`) to write ``reports/index.html``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from html import escape
from urllib.parse import quote

from hbmcycle.verdicts import VERDICTS

MIMETYPE = "application/vnd.hbmcycle.summary+json"
# Badge colours: green, amber, red, blue-grey (scope), grey (no data); text contrast >= 4.5.
BADGE_COLOURS = dict(zip(VERDICTS, ("#1a7f37", "#9a6700", "#cf222e", "#4a5a7a", "#6e7781")))


def anchor(heading: str) -> str:
    """The id nbconvert gives a Markdown heading (its text, spaces as dashes, URL-quoted)."""
    return quote(heading.strip().lstrip("#").strip().replace(" ", "-"), safe="?/:@!$&'()*+,;=")


def badge(verdict: str) -> str:
    """A coloured verdict badge (HTML); the verdict must be one of hbmcycle.verdicts.VERDICTS."""
    if verdict not in BADGE_COLOURS:
        raise ValueError(f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
    return (
        f'<span class="hbm-badge" data-verdict="{escape(verdict)}" '
        f'style="background:{BADGE_COLOURS[verdict]}">{escape(verdict)}</span>'
    )


@dataclass(frozen=True)
class Finding:
    """One sentence with its number, the verdict it supports (or None for a plain fact), and its section."""

    text: str
    section: str  # heading text of the section with the evidence
    verdict: str | None = None

    def __post_init__(self) -> None:
        if self.verdict is not None and self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {', '.join(VERDICTS)}")


@dataclass(frozen=True)
class Summary:
    question: str
    answer: str
    findings: tuple[Finding, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.findings) <= 6:
            raise ValueError(f"a summary has 1 to 6 findings, got {len(self.findings)}")

    def record(self) -> dict:
        return {"question": self.question, "answer": self.answer, "findings": [asdict(f) for f in self.findings]}

    def html(self) -> str:
        return summary_html(self.record())

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html(), MIMETYPE: self.record()}


def finding_html(finding: dict, href_prefix: str = "") -> str:
    verdict = badge(finding["verdict"]) + " " if finding.get("verdict") else ""
    link = f'<a href="{escape(href_prefix)}#{escape(anchor(finding["section"]))}">evidence</a>'
    return f"<li>{verdict}{escape(finding['text'])} ({link})</li>"


def summary_html(record: dict) -> str:
    items = "".join(finding_html(f) for f in record["findings"])
    return (
        '<section class="hbm-summary" aria-label="Summary"><h2 id="Summary">Summary</h2>'
        f'<p class="hbm-question"><strong>Question.</strong> {escape(record["question"])}</p>'
        f'<p class="hbm-answer"><strong>Answer.</strong> {escape(record["answer"])}</p>'
        f"<ul>{items}</ul></section>"
    )


def summary(question: str, answer: str, findings: list[Finding]) -> Summary:
    """The summary block of a report (display it as a cell's last expression, in a cell tagged `summary`)."""
    return Summary(question, answer, tuple(findings))


# Older analyses wrote "partly"; one vocabulary is shown.
ALIASES = {"partly": "partly holds"}
SEVERITY = {
    v: i for i, v in enumerate(("does not hold", "partly holds", "holds", "not tested in scope", "cannot be checked"))
}


def normalise(verdict: str) -> str:
    verdict = ALIASES.get(verdict.strip(), verdict.strip())
    if verdict not in VERDICTS:
        raise ValueError(f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
    return verdict


def tally(verdicts) -> str:
    """'2 hold, 3 partly hold, 1 does not hold' over a column of verdicts (in VERDICTS order)."""
    words = {"holds": "hold", "partly holds": "partly hold", "does not hold": "do not hold"}
    counts = {v: 0 for v in VERDICTS}
    for v in verdicts:
        counts[normalise(v)] += 1
    return ", ".join(f"{n} {words.get(v, v) if n > 1 else v}" for v, n in counts.items() if n)


def from_verdicts(
    frame, section: str, claim: str = "claim", evidence: str = "evidence", limit: int = 6
) -> list[Finding]:
    """Findings from a verdict table: the contradicted claims first, each with the first clause of its evidence."""
    rows = sorted(frame.iter_rows(named=True), key=lambda r: SEVERITY[normalise(r["verdict"])])
    out = []
    for row in rows[:limit]:
        first = str(row[evidence]).split(";")[0].strip().rstrip(".")
        out.append(Finding(f"{row[claim].rstrip('.')}: {first}.", section, normalise(row["verdict"])))
    return out


def overall(verdicts) -> str:
    """One verdict over several sub-claims: all hold -> holds, none holds even partly -> does not hold, else partly."""
    found = [normalise(v) for v in verdicts]
    if not found:
        return "cannot be checked"
    if all(v == "holds" for v in found):
        return "holds"
    return "partly holds" if any(v in ("holds", "partly holds") for v in found) else "does not hold"
