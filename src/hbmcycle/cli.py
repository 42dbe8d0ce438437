"""The `hbmcycle` command line: mounts each area's commands (loaded on use) and holds `report`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hbmcycle.cli_areas import lazy_group
from hbmcycle.cli_errors import BAD_INPUT, INTERRUPTED, RUNTIME_FAILURE, one_line

app = typer.Typer(
    help="Data and models for the economics of AI memory.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: no `<bool>` type labels on flags
    add_completion=False,
)


# Each area's commands are imported only when used (see cli_areas): `data build` and `report`
# start without loading the engine, the cycle model or the claims.
app.info.cls = lazy_group(app)


@app.callback()
def _root() -> None:
    pass


err = Console(stderr=True, soft_wrap=True)


@app.command("report")
def report(
    name: Annotated[list[str] | None, typer.Argument(help="Notebook names (default: all).")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="key=value, checked against the notebook's parameters.")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Write one report to this file instead of reports/.")] = None,
    jobs: Annotated[int, typer.Option(help="Reports rendered at once (default: cores + 1).", min=0)] = 0,
    force: Annotated[bool, typer.Option("--force", help="Render even when nothing changed.")] = False,
    build_data: Annotated[
        bool, typer.Option("--build-data", help="Build the database first, as `data build` (make report does).")
    ] = False,
) -> None:
    """Render the notebooks into reports/*.html (only those whose inputs changed) and reports/index.html."""
    from rich.progress import Progress

    from hbmcycle import paths
    from hbmcycle.reports import index
    from hbmcycle.reports import run as runner

    try:
        if build_data:  # a new database makes every report stale: the renderer warms up during the build
            from hbmcycle.data.cli import data_build

            runner.prestart(name)
            data_build()
        plan = runner.plan(name, param or [], output=output, force=force)
    except runner.UsageError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(BAD_INPUT) from None
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task(f"rendering {len(plan)} report(s)", total=len(plan))

        def done(result, job) -> None:
            if isinstance(result, runner.ReportError):
                progress.console.print(f"[red]error:[/red] {result}", markup=True, highlight=False)
            else:
                verb = "current" if result.skipped else "wrote"
                progress.console.print(f"{verb} {result.path}", markup=False)
            progress.advance(task)

        failed = runner.run(plan, workers=jobs or None, done=done, force=force)
    if output is None and not param:
        err.print(f"wrote {index.write(paths.reports_dir())}", markup=False)
    if failed:
        raise typer.Exit(RUNTIME_FAILURE)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `hbmcycle`: runs a command and turns anything it raises into one `error:` line.

    Usage errors (an unknown option, a value that is not an integer) exit 2; an unexpected
    exception exits 1 with its type and message, never a traceback.
    """
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="hbmcycle", standalone_mode=False)
    except NoArgsIsHelpError as exc:  # `hbmcycle data` alone: the help is the answer
        typer.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        code = 0
    except ClickException as exc:
        ctx = getattr(exc, "ctx", None)  # usage errors carry the command they came from; others do not
        where = f" (see `{ctx.command_path} --help`)" if ctx else ""
        typer.echo(f"error: {one_line(exc.format_message())}{where}", err=True)
        code = BAD_INPUT if exc.exit_code == 2 else RUNTIME_FAILURE
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("error: interrupted", err=True)
        code = INTERRUPTED
    except MemoryError:
        typer.echo("error: out of memory; ask for a smaller run", err=True)
        code = RUNTIME_FAILURE
    except Exception as exc:  # the last line of defence: a bug must still read as one line
        typer.echo(f"error: unexpected {type(exc).__name__}: {one_line(exc)}", err=True)
        code = RUNTIME_FAILURE
    return code if isinstance(code, int) else 0


def run() -> None:
    sys.exit(main())
