"""The sidecar format (`data/raw/<table>.yaml`) as pydantic models, and a bounded YAML reader.

Unknown keys are errors (a typo such as ``maximum:`` must not switch a rule off), every value
has a type (``min: zero`` or ``title: {a: 1}`` is refused), and every error is located at the
file line of the offending key. YAML is read with a budget: at most MAX_BYTES of text and
MAX_NODES nodes after aliases are expanded, so an alias bomb is refused in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

MAX_BYTES = 2_000_000
MAX_NODES = 200_000
MAX_DEPTH = 32  # a sidecar nests four levels; deep nesting would exhaust the constructor's recursion
NAME = r"^[a-z][a-z0-9_]*$"
# libyaml's safe loader when PyYAML was built with it (ten times faster), else the Python one.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SidecarError(ValueError):
    """A sidecar problem at a line of the file (0 = the whole file)."""

    def __init__(self, message: str, line: int = 0):
        super().__init__(message)
        self.line = line


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ColumnSpec(_Strict):
    type: Literal["string", "integer", "float", "date", "boolean"]
    description: str = ""
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    allowed: list[str | int | float | bool] | None = Field(default=None, min_length=1)
    pattern: str | None = None
    required: bool = False

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"is not a valid regular expression ({exc})") from None
        return pattern


class SourceSpec(_Strict):
    id: str = Field(min_length=1)
    producer: str = Field(min_length=1)
    title: str = Field(min_length=1)
    accessed: dt.date | str
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    path: str | None = None  # the project's own measurements cite a committed file
    licence: str | None = None


class ForeignKeySpec(_Strict):
    column: str
    references: str = Field(pattern=r"^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$")


class PeriodCheck(_Strict):
    column: str
    year: str
    quarter: str


class ContiguousCheck(_Strict):
    column: str
    group_by: list[str] = []
    where: dict[str, str | int | float | bool] = {}
    where_null: str | None = None
    where_false: str | None = None


class ChecksSpec(_Strict):
    period: PeriodCheck | None = None
    contiguous: list[ContiguousCheck] = []


class Sidecar(_Strict):
    title: str = Field(min_length=1)
    description: str
    primary_key: str | list[str]
    columns: dict[str, ColumnSpec] = Field(min_length=1)
    sources: list[SourceSpec]
    foreign_keys: list[ForeignKeySpec] = []
    checks: ChecksSpec = ChecksSpec()


def read(path: Path) -> tuple[Sidecar, yaml.Node]:
    """Parse and validate one sidecar; raise SidecarError with the line of the first problem."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SidecarError(f"is larger than {MAX_BYTES:,} bytes; a sidecar is a short description")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SidecarError(f"cannot read: {exc}") from None
    loader = FAST_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SidecarError("is empty; expected a mapping with title, description, primary_key, columns, sources")
        _check_budget(node)
        doc = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SidecarError(f"is not valid YAML: {getattr(exc, 'problem', exc)}", mark.line + 1 if mark else 0) from None
    finally:
        loader.dispose()
    try:
        return Sidecar.model_validate(doc), node
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise SidecarError(f"{where}: {_message(first)}", line_of(node, first["loc"])) from None


def _message(error: ErrorDetails) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (a typo? see data/raw/README.md for the sidecar format)"
    if error["type"] == "missing":
        return "is required"
    return f"{error['msg']} (got {error.get('input')!r:.60})"


def _check_budget(root: yaml.Node) -> None:
    """Count nodes as if aliases were expanded; refuse early past MAX_NODES or MAX_DEPTH. Refuse duplicate keys."""
    seen, stack = 0, [(root, 0)]
    while stack:
        node, depth = stack.pop()
        seen += 1
        if depth > MAX_DEPTH:
            raise SidecarError(f"nests deeper than {MAX_DEPTH} levels; refused", node.start_mark.line + 1)
        if seen > MAX_NODES:
            raise SidecarError(
                f"expands to over {MAX_NODES:,} YAML nodes (alias bomb?); refused", node.start_mark.line + 1
            )
        if isinstance(node, yaml.MappingNode):
            keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
            duplicate = next((k for i, k in enumerate(keys) if k in keys[:i]), None)
            if duplicate is not None:
                line = next(
                    k.start_mark.line for k, _ in reversed(node.value) if getattr(k, "value", None) == duplicate
                )
                raise SidecarError(f"key {duplicate!r} appears twice in one mapping", line + 1)
            stack.extend((n, depth + 1) for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((n, depth + 1) for n in node.value)


def line_of(node: yaml.Node, loc) -> int:
    """The 1-based line of the deepest node along ``loc`` (keys and list indexes), for messages."""
    line = node.start_mark.line + 1
    for step in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if getattr(k, "value", None) == str(step)), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            break
    return line
