"""The provenance header every report carries: when, from which commit, data and engine constants."""

from __future__ import annotations

import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from html import escape

from hbmcycle import paths


@dataclass(frozen=True)
class Provenance:
    rendered_at: str
    git_commit: str
    data_built_at: str
    data_vintage: str  # newest as_of among the database's rows
    engine_constants: str  # hbmcycle.inference.constants.current().label
    parameters: str

    def record(self) -> dict:
        return asdict(self)


def git_commit() -> str:
    """The checkout's commit (short hash, "+ local changes" when the tree is dirty), or "unknown"."""
    root = str(paths.repo_root())
    try:
        head = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if head.returncode != 0:
        return "unknown"
    return head.stdout.strip() + (" + local changes" if dirty.stdout.strip() else "")


AS_OF_TABLES = (
    "SELECT table_name FROM information_schema.columns WHERE column_name = 'as_of' AND table_schema = 'main' "
    "AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE')"
)


def data_facts() -> tuple[str, str]:
    """(build time of the database file, newest as_of date among its tables' rows)."""
    from hbmcycle.data import db

    built = datetime.fromtimestamp(paths.db_path().stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    con = db.connect()
    try:
        names = [r[0] for r in con.execute(AS_OF_TABLES).fetchall()]
        union = " UNION ALL ".join(f'SELECT max(as_of) AS v FROM "{n}"' for n in names)
        row = con.execute(f"SELECT CAST(max(v) AS VARCHAR) FROM ({union})").fetchone() if names else None
    finally:
        con.close()
    return built, (row[0] if row and row[0] else "unknown")


def collect(parameters: dict, constants_label: str, commit: str, data: tuple[str, str]) -> Provenance:
    rendered = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    params = ", ".join(f"{k}={v!r}" for k, v in parameters.items()) or "defaults"
    return Provenance(rendered, commit, data[0], data[1], constants_label, params)


LABELS = {
    "rendered_at": "Rendered",
    "git_commit": "Commit",
    "data_built_at": "Data built",
    "data_vintage": "Data as of (newest row)",
    "engine_constants": "Engine constants",
    "parameters": "Parameters",
}


def header_html(record: dict) -> str:
    items = "".join(
        f'<div class="hbm-fact"><dt>{LABELS[k]}</dt><dd>{escape(str(v))}</dd></div>'
        for k, v in record.items()
        if k in LABELS
    )
    return (
        '<header class="hbm-provenance" aria-label="Provenance">'
        '<a class="hbm-home" href="index.html">← All reports</a>'
        f"<dl>{items}</dl></header>"
    )
