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
) -> None:
    """Print a table readably in the terminal."""
    from hbmcycle.data import db

    try:
        frame = db.read_table(table)
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
) -> None:
    """Pull machine-readable sources, keep a dated vintage, show what changed, validate, apply."""
    from rich.progress import Progress

    from hbmcycle.data import refresh

    chosen = [p for p in refresh.pipelines() if not pipeline or p.id in pipeline]
    if pipeline and len(chosen) != len(pipeline):
        known = ", ".join(p.id for p in refresh.pipelines())
        err.print(f"unknown pipeline in {', '.join(pipeline)}; known: {known}", markup=False)
        raise typer.Exit(1)
    failed = False
    for pipe in chosen:
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task(f"fetching {pipe.id}", total=len(pipe.items))
            outcome = refresh.run(pipe, apply=not dry_run, progress=lambda task=task: progress.advance(task))
        out.print(f"[bold]{pipe.id}[/bold] → {pipe.table}: vintage {outcome.vintage or 'none (nothing fetched)'}")
        for failure in outcome.failures:
            err.print(f"  could not fetch {failure}", markup=False, highlight=False)
        if outcome.changes:
            view = RichTable(title=f"{len(outcome.changes)} change(s) in {pipe.table}")
            for c in ("key", "column", "old", "new"):
                view.add_column(c)
            for c in outcome.changes:
                view.add_row(c.key, c.column, c.old, c.new)
            out.print(view)
        else:
            out.print("  no changes")
        if outcome.problems:
            _print_problems(outcome.problems)
            err.print(f"  changes NOT applied: {pipe.table}.csv left as it was")
            failed = True
        elif outcome.applied:
            out.print(f"  [green]applied[/green] to data/raw/{pipe.table}.csv; run `make data` to rebuild")
        if len(outcome.failures) == len(pipe.items):
            err.print(f"  every fetch failed for {pipe.id} (offline?); nothing refreshed")
            failed = True
    if failed:
        raise typer.Exit(1)
