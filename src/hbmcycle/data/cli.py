"""`hbmcycle data ...`: validate, build, inspect and refresh the database.

Exit codes follow cli_errors: 2 when data/raw or an argument is wrong, 1 when the
database cannot be opened or built for another reason.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from hbmcycle import paths
from hbmcycle.cli_errors import BAD_INPUT, RUNTIME_FAILURE, choices_hint, fail, integer

app = typer.Typer(help="Validate, build and inspect the database.", no_args_is_help=True, rich_markup_mode=None)

out = Console()
err = Console(stderr=True, soft_wrap=True)  # problems stay one line each, so they can be grepped
# Widest a cell may be in `data show` before it wraps; the source list is the usual culprit.
MAX_CELL_WIDTH = 28


def _print_problems(problems, what: str) -> None:
    for p in problems:
        err.print(str(p), markup=False, highlight=False, soft_wrap=True)
    err.print(f"error: {len(problems)} problem(s) found; {what}", markup=False, highlight=False)


@app.command("check")
def data_check(
    table: Annotated[list[str] | None, typer.Option(help="Only these tables (repeatable).")] = None,
) -> None:
    """Validate data/raw without writing anything."""
    from hbmcycle.data.schema import discover
    from hbmcycle.data.validate import load_all

    known = [p.stem for p in discover(paths.raw_dir())]
    for name in table or []:
        if name not in known:
            fail(f"no table named {name!r} in {paths.raw_dir()}; {choices_hint(name, known)}")
    tables, problems = load_all(paths.raw_dir(), only=table)
    if problems:
        _print_problems(problems, "fix data/raw (see data/raw/README.md)")
        raise typer.Exit(BAD_INPUT)
    rows = sum(t.frame.height for t in tables.values())
    out.print(f"[green]ok[/green]: {len(tables)} table(s), {rows} rows, all checks pass")


@app.command("build")
def data_build() -> None:
    """Validate data/raw and build data/processed/hbmcycle.duckdb (+ Parquet)."""
    from hbmcycle.data.build import BuildBusy, ValidationError, build

    try:
        tables = build()
    except ValidationError as exc:
        _print_problems(exc.problems, f"database not rebuilt; {paths.db_path()} left as it was")
        raise typer.Exit(BAD_INPUT) from None
    except BuildBusy as exc:
        fail(f"{exc}; database not rebuilt", RUNTIME_FAILURE)
    except OSError as exc:
        fail(f"cannot write {paths.processed_dir()}: {exc.strerror or exc}; database left as it was", RUNTIME_FAILURE)
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
        fail(f"engine constants could not be fitted: {exc}", RUNTIME_FAILURE)
    out.print(f"engine constants: {fitted.label} ({constants.calibration_path()})")


def _open_table(table: str, where: str | None):
    """The rows of a table or view (filtered by ``where``), or a one-line error and the exit code."""
    from hbmcycle.data import db
    from hbmcycle.data.filter import FilterError, filtered

    try:
        with db.connect() as con:
            known = sorted(db.table_names(con))
        if table not in known:
            fail(f"no table or view {table!r}; {choices_hint(table, known)}")
        return filtered(table, where) if where is not None else db.read_table(table)
    except (db.DatabaseMissing, db.DatabaseUnreadable) as exc:
        fail(str(exc), RUNTIME_FAILURE)
    except FilterError as exc:
        fail(f"--where {where!r} is not a valid filter on {table}: {exc}")


@app.command("show")
def data_show(
    table: Annotated[str, typer.Argument(help="Table or view name (see `hbmcycle data tables`).")],
    columns: Annotated[str | None, typer.Option(help="Comma-separated columns to show.")] = None,
    where: Annotated[
        str | None, typer.Option(help="One boolean expression over the table's columns, e.g. \"vendor = 'AMD'\".")
    ] = None,
    limit: Annotated[int, typer.Option(parser=integer(0), help="Rows to print (0 or more).")] = 200,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    vertical: Annotated[
        bool, typer.Option("--vertical", help="One block per row: every column, one per line.")
    ] = False,
    as_of: Annotated[
        str | None, typer.Option(help="The table as it was at a quarter (2026Q3) or date, per refresh history.")
    ] = None,
) -> None:
    """Print a table readably in the terminal (the columns that fit; --columns, --vertical or --csv for all)."""
    frame = _as_of_frame(table, as_of, where) if as_of else _open_table(table, where)
    if columns:
        wanted = [c.strip() for c in columns.split(",") if c.strip()]
        unknown = [c for c in wanted if c not in frame.columns]
        if unknown or not wanted:
            what = ", ".join(unknown) or "(none given)"
            fail(f"unknown column(s) {what}; {choices_hint(unknown[0] if unknown else '', frame.columns)}")
        frame = frame.select(wanted)
    shown = frame.head(min(limit, frame.height))  # polars takes no limit beyond 64 bits
    if csv:
        sys.stdout.write(shown.write_csv())
        return
    title = (
        f"{table} ({frame.height} rows)"
        if shown.height == frame.height
        else f"{table} (first {shown.height} of {frame.height} rows)"
    )
    if vertical:
        _print_vertical(shown, title)
        return
    fitted = list(shown.columns) if columns else _columns_that_fit(shown, max(out.width, 120))
    out.print(title, markup=False, highlight=False)
    view = RichTable(show_lines=False, header_style="bold")
    for c in fitted:
        view.add_column(c, overflow="fold", max_width=MAX_CELL_WIDTH)
    for row in shown.select(fitted).iter_rows():
        view.add_row(*map(_cell, row))
    Console(width=max(out.width, 120)).print(view)
    hidden = [c for c in frame.columns if c not in fitted]
    if hidden:
        out.print(
            f"{len(hidden)} more column(s) not shown: {', '.join(hidden)} (use --columns, --vertical or --csv)",
            markup=False,
            highlight=False,
        )


def _cell(value) -> str:
    return "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def _columns_that_fit(frame, width: int) -> list[str]:
    """Columns in table order, skipping notes, while their widths (capped) fit the terminal."""
    chosen: list[str] = []
    used = 4
    for c in frame.columns:
        if c == "notes":
            continue
        cells = [len(_cell(v)) for v in frame[c].to_list()] or [0]
        need = min(max(len(c), max(cells)), MAX_CELL_WIDTH) + 3
        if chosen and used + need > width:
            break
        chosen.append(c)
        used += need
    return chosen


def _print_vertical(frame, title: str) -> None:
    out.print(title, markup=False, highlight=False)
    pad = max((len(c) for c in frame.columns), default=0)
    for i, row in enumerate(frame.iter_rows(named=True), start=1):
        out.print(f"-- row {i} --", markup=False, highlight=False)
        for name, value in row.items():
            out.print(f"{name:>{pad}}  {_cell(value)}", markup=False, highlight=False)


def _as_of_frame(table: str, as_of: str, where: str | None):
    """`data show --as-of`: the current table with later refresh edits undone (exit 2 on a bad date)."""
    from hbmcycle.data import db
    from hbmcycle.data.refresh import history, vintages

    if where:
        fail("--where cannot be combined with --as-of (filter with --columns or --csv | grep)")
    try:
        when = vintages.parse_when(as_of)
    except ValueError as exc:
        fail(f"--as-of {exc}")
    try:
        return history.table_as_of(table, when)
    except KeyError as exc:
        fail(str(exc.args[0]))
    except (db.DatabaseMissing, db.DatabaseUnreadable) as exc:
        fail(str(exc), RUNTIME_FAILURE)


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

    try:
        frame = db.tables()
    except (db.DatabaseMissing, db.DatabaseUnreadable) as exc:
        fail(str(exc), RUNTIME_FAILURE)
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
