"""`hbmcycle data ...`: validate, build, inspect and refresh the database."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from hbmcycle import paths

app = typer.Typer(help="Validate, build and inspect the database.", no_args_is_help=True)

out = Console()
err = Console(stderr=True, soft_wrap=True)  # problems stay one line each, so they can be grepped


def _print_problems(problems) -> None:
    for p in problems:
        err.print(str(p), markup=False, highlight=False, soft_wrap=True)
    err.print(f"[red]{len(problems)} problem(s) found[/red]")


@app.command("check")
def data_check(
    table: Annotated[list[str] | None, typer.Option(help="Only these tables (repeatable).")] = None,
) -> None:
    """Validate data/raw without writing anything."""
    from hbmcycle.data.validate import load_all

    tables, problems = load_all(paths.raw_dir(), only=table)
    if problems:
        _print_problems(problems)
        raise typer.Exit(1)
    rows = sum(t.frame.height for t in tables.values())
    out.print(f"[green]ok[/green]: {len(tables)} table(s), {rows} rows, all checks pass")


@app.command("build")
def data_build() -> None:
    """Validate data/raw and build data/processed/hbmcycle.duckdb (+ Parquet)."""
    from hbmcycle.data.build import ValidationError, build

    try:
        tables = build()
    except ValidationError as exc:
        _print_problems(exc.problems)
        err.print(f"database not rebuilt; {paths.db_path()} left as it was")
        raise typer.Exit(1) from None
    rows = sum(t.frame.height for t in tables.values())
    out.print(f"[green]built[/green] {paths.db_path()} : {len(tables)} table(s), {rows} rows")
    # The engine constants are a build product: refitted here whenever their inputs changed.
    from hbmcycle.inference import constants

    try:
        fitted = constants.current()
    except KeyError as exc:  # a partial database (e.g. a project with only some tables): nothing to fit
        out.print(f"engine constants not fitted: {exc.args[0].split(';')[0]}")
        return
    except ValueError as exc:
        err.print(f"error: engine constants could not be fitted: {exc}", markup=False)
        raise typer.Exit(1) from None
    out.print(f"engine constants: {fitted.label} ({constants.calibration_path()})")


@app.command("show")
def data_show(
    table: Annotated[str, typer.Argument(help="Table or view name (see `hbmcycle data tables`).")],
    columns: Annotated[str | None, typer.Option(help="Comma-separated columns to show.")] = None,
    where: Annotated[str | None, typer.Option(help="SQL filter, e.g. \"vendor = 'AMD'\".")] = None,
    limit: Annotated[int, typer.Option(help="Rows to print.")] = 200,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    as_of: Annotated[
        str | None, typer.Option(help="The table as it was at a quarter (2026Q3) or date, per refresh history.")
    ] = None,
) -> None:
    """Print a table readably in the terminal."""
    from hbmcycle.data import db

    try:
        frame = _as_of_frame(table, as_of, where) if as_of else db.read_table(table)
    except (KeyError, db.DatabaseMissing) as exc:
        err.print(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc), markup=False)
        raise typer.Exit(1) from None
    if where:
        import duckdb

        try:
            frame = db.query(f'SELECT * FROM "{table}" WHERE {where}')
        except duckdb.Error as exc:
            err.print(f"--where {where!r} is not a valid filter on {table}: {str(exc).splitlines()[0]}", markup=False)
            raise typer.Exit(1) from None
    if columns:
        wanted = [c.strip() for c in columns.split(",")]
        unknown = [c for c in wanted if c not in frame.columns]
        if unknown:
            err.print(f"unknown column(s) {', '.join(unknown)}; columns: {', '.join(frame.columns)}", markup=False)
            raise typer.Exit(1)
        frame = frame.select(wanted)
    if csv:
        sys.stdout.write(frame.head(limit).write_csv())
        return
    view = RichTable(title=f"{table} ({frame.height} rows)", show_lines=False, header_style="bold")
    # Provenance columns are long; they live in the CSV and in `--csv` output.
    shown = [c for c in frame.columns if c not in ("notes",)] if not columns else frame.columns
    for c in shown:
        view.add_column(c, overflow="fold", max_width=28 if c == "source" else None)
    for row in frame.head(limit).select(shown).iter_rows():
        view.add_row(*("" if v is None else (f"{v:g}" if isinstance(v, float) else str(v)) for v in row))
    Console(width=max(out.width, 240)).print(view)


def _as_of_frame(table: str, as_of: str, where: str | None):
    """`data show --as-of`: the current table with later refresh edits undone (exit 2 on a bad date)."""
    from hbmcycle.data.refresh import history, vintages

    if where:
        err.print("error: --where cannot be combined with --as-of (filter with --columns or --csv | grep)")
        raise typer.Exit(2)

    try:
        when = vintages.parse_when(as_of)
    except ValueError as exc:
        err.print(f"error: --as-of {exc}", markup=False)
        raise typer.Exit(2) from None
    return history.table_as_of(table, when)


@app.command("catalog")
def data_catalog(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a Markdown table (for the README).")] = False,
) -> None:
    """Coverage of every table: rows, years, entities, sources, confidence mix."""
    from hbmcycle.data.coverage import load_coverage, markdown_catalog

    cover, titles = load_coverage(paths.raw_dir())
    if markdown:
        sys.stdout.write(markdown_catalog(cover, titles) + "\n")
        return
    view = RichTable(title="hbmcycle data coverage")
    for c in cover.columns:
        view.add_column(c)
    for row in cover.iter_rows():
        view.add_row(*("" if v is None else (f"{v:.0%}" if isinstance(v, float) else str(v)) for v in row))
    Console(width=max(out.width, 200)).print(view)


@app.command("tables")
def data_tables() -> None:
    """List the tables in the database with rows and sources."""
    from hbmcycle.data import db

    frame = db.tables()
    view = RichTable(title="hbmcycle tables")
    for c in ("table_name", "title", "rows", "sources"):
        view.add_column(c)
    for row in frame.select("table_name", "title", "rows", "sources").iter_rows():
        view.add_row(*map(str, row))
    out.print(view)


@app.command("refresh")
def data_refresh(
    pipeline: Annotated[
        list[str] | None, typer.Option(help="Only these pipelines (ids from pipelines/*.yaml).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Fetch, snapshot and diff; change no CSV.")] = False,
    accept: Annotated[
        list[str] | None, typer.Option(help="Apply held items: ROW_KEY, 'ROW_KEY:COLUMN', a pipeline id or all.")
    ] = None,
    time_limit_s: Annotated[float, typer.Option(min=1, help="Deadline for the whole run, all pipelines.")] = 900.0,
) -> None:
    """Pull machine-readable sources, keep a dated vintage, show what changed, validate, apply."""
    from functools import partial

    from rich.progress import Progress

    from hbmcycle.data import refresh
    from hbmcycle.data.refresh.console import report

    try:
        known = refresh.pipelines()
    except refresh.PipelineError as exc:
        err.print(f"error: pipeline file {exc}", markup=False)
        raise typer.Exit(2) from None
    unknown = [p for p in pipeline or () if p not in {k.id for k in known}]
    if unknown:
        err.print(
            f"error: unknown pipeline {', '.join(unknown)}; known: {', '.join(k.id for k in known)}", markup=False
        )
        raise typer.Exit(2)
    deadline = refresh.Deadline(time_limit_s)
    failed = False
    for pipe in (p for p in known if not pipeline or p.id in pipeline):
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task(f"fetching {pipe.id}", total=len(pipe.items))
            outcome = refresh.run(
                pipe,
                apply_changes=not dry_run,
                accept=frozenset(accept or ()),
                deadline=deadline,
                progress=partial(progress.advance, task),
            )
        failed |= report(out, err, pipe, outcome)
    if failed:
        err.print("error: refresh incomplete (see the errors above); nothing was changed where they occurred")
        raise typer.Exit(1)


@app.command("diff")
def data_diff(
    since: Annotated[str, typer.Option(help="A quarter (2026Q3) or a date (2026-09-30).")],
    table: Annotated[str | None, typer.Option(help="Only this table.")] = None,
) -> None:
    """List every refresh edit made after a quarter or date (from the database's refresh history)."""
    from hbmcycle.data import db
    from hbmcycle.data.refresh import history, vintages
    from hbmcycle.data.refresh.console import changes_table

    try:
        when = vintages.parse_when(since)
    except ValueError as exc:
        err.print(f"error: --since {exc}", markup=False)
        raise typer.Exit(2) from None
    try:
        frame = history.changes_since(when, table)
    except db.DatabaseMissing as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None
    if frame.is_empty():
        out.print(f"no refresh changes after {when.isoformat()}" + (f" in {table}" if table else ""))
        return
    Console(width=max(out.width, 200)).print(changes_table(frame, f"{frame.height} change(s) after {when.isoformat()}"))
