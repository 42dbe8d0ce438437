"""The one convention every `hbmcycle` command follows when it cannot do what was asked.

Exit code 2 for bad input (an unknown name, a value out of range, invalid data in data/raw),
1 for a runtime failure (a corrupt database, a failed fetch, a disk error), 0 otherwise.
Every message is one line on stderr starting with ``error:``; no traceback reaches the user.
"""

from __future__ import annotations

import re
from typing import NoReturn

import typer

from hbmcycle.suggest import choices_hint

BAD_INPUT = 2
RUNTIME_FAILURE = 1
INTERRUPTED = 130
__all__ = ["BAD_INPUT", "INTERRUPTED", "RUNTIME_FAILURE", "choices_hint", "fail", "integer", "one_line"]


def one_line(text: object) -> str:
    """Collapse a message to one line: the shell user greps it, the fuzz suite asserts it."""
    return re.sub(r"\s*\n\s*", "; ", str(text).strip()) or "(no detail)"


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code`` (2 bad input, 1 runtime failure)."""
    typer.echo(f"error: {one_line(message)}", err=True)
    raise typer.Exit(code)


def integer(low: int | None = None, high: int | None = None):
    """A typer ``parser=`` for integer options: ASCII digits only (int() would take '１２'), inside [low, high]."""

    def parse(text: str | int) -> int:
        raw = str(text).strip()
        if not re.fullmatch(r"[+-]?[0-9]+", raw):
            raise typer.BadParameter(f"{text!r} is not an integer (ASCII digits only)")
        value = int(raw)
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"at most {high}" if low is None else f"{low} to {high}"
            raise typer.BadParameter(f"{value} is out of range; valid: {bounds}")
        return value

    return parse
