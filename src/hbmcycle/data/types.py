"""The types every part of the data layer shares: a located problem, a validated table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from hbmcycle.data.schema import TableMeta


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as precisely as we can."""

    file: str
    line: int  # 1-based physical line; 0 = the whole file
    column: str  # column name, or '' for a whole row / file
    message: str

    def __str__(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line else self.file
        col = f" column '{self.column}'" if self.column else ""
        return f"{loc}:{col} {self.message}"


@dataclass
class Table:
    """A validated table: metadata, typed frame, and the file line of each row (for cross-checks)."""

    meta: TableMeta
    frame: pl.DataFrame
    lines: list[int]


def display(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except (ValueError, OSError, RuntimeError):  # outside the cwd, or a symlink loop (RuntimeError on 3.11)
        return str(path)


class ValidationError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
