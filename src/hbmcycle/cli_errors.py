"""The one convention every `hbmcycle` command follows when it cannot do what was asked.

Exit code 2 for bad input (an unknown name, a value out of range, invalid data in data/raw),
1 for a runtime failure (a corrupt database, a failed fetch, a disk error), 0 otherwise.
Every message is one line on stderr starting with ``error:``; no traceback reaches the user.
"""

from __future__ import annotations

import difflib
import re
from typing import NoReturn

import typer

BAD_INPUT = 2
RUNTIME_FAILURE = 1
INTERRUPTED = 130
# How many choices a message lists before it says "... and N more".
MAX_CHOICES_SHOWN = 8


def one_line(text: object) -> str:
    """Collapse a message to one line: the shell user greps it, the fuzz suite asserts it."""
    return re.sub(r"\s*\n\s*", "; ", str(text).strip()) or "(no detail)"


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code`` (2 bad input, 1 runtime failure)."""
    typer.echo(f"error: {one_line(message)}", err=True)
    raise typer.Exit(code)


def choices_hint(wanted: str, choices: list[str]) -> str:
    """'did you mean X?' (difflib) plus a short list of valid choices, not all of them on one line."""
    close = difflib.get_close_matches(wanted.lower(), [c.lower() for c in choices], n=3, cutoff=0.5)
    by_lower = {c.lower(): c for c in choices}
    parts = []
    if close:
        parts.append("did you mean " + " or ".join(repr(by_lower[c]) for c in close) + "?")
    shown = choices[:MAX_CHOICES_SHOWN]
    more = f" ... and {len(choices) - len(shown)} more" if len(choices) > len(shown) else ""
    parts.append(f"valid: {', '.join(shown)}{more}")
    return " ".join(parts)


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
