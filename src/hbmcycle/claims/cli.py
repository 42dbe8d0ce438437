"""`hbmcycle claims`: every seed claim with its verdict, scope, evidence and what would change it.

Mounted by :mod:`hbmcycle.cli`. On a fresh clone the database does not exist yet; the command
builds it first (validate + atomic build, as ``hbmcycle data build``) and says so on stderr.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hbmcycle.claims import POSTS
from hbmcycle.cli_errors import fail

err = Console(stderr=True, soft_wrap=True)
SHOWN = ("claim_id", "post", "verdict", "scope", "evidence", "would_change")


def _ensure_database() -> None:
    """Build the database if it is missing (a fresh clone)."""
    from hbmcycle import paths

    if paths.db_path().exists():
        return
    from hbmcycle.data.build import ValidationError, build

    err.print(f"no database at {paths.db_path()}: building it from data/raw first", markup=False)
    try:
        build()
    except ValidationError as exc:
        fail(f"data/raw does not validate, so the database cannot be built: {exc}", 1)


def claims_command(
    post: Annotated[str | None, typer.Option("--post", help=f"Only the claims of one post: {', '.join(POSTS)}")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON: a list of claim records")] = False,
) -> None:
    """Every seed claim (table seed_claims) with its verdict, the scope it was tested at, evidence and flip points."""
    if post is not None and post not in POSTS:
        fail(f"unknown post {post!r}; valid choices: {', '.join(POSTS)}", 2)
    _ensure_database()
    from hbmcycle.claims.registry import judge

    try:
        with err.status("judging the seed claims (thesis, heterogeneous inference, tables)"):
            result = judge(post)
    except (OSError, KeyError, ValueError) as exc:
        fail(f"could not judge the claims: {exc}", 1)
    if json_output:
        records = [{"id": r["claim_id"], **r} for r in result.claims.iter_rows(named=True)]
        flips = result.flips.to_dicts()
        for record in records:
            record["sensitivity"] = [f for f in flips if f["claim_id"] == record["id"]]
            record["engine_constants"] = result.constants
        typer.echo(json.dumps(records, indent=2))
        return
    table = Table(title=f"Seed claims ({post or 'all posts'}); engine constants: {result.constants}", show_lines=True)
    for column in SHOWN:
        table.add_column(column, overflow="fold")
    for row in result.claims.iter_rows(named=True):
        table.add_row(*(row[c] for c in SHOWN))
    Console().print(table)
