"""Report parameters: `-p key=value` checked against the notebook's own `parameters` cell.

Keys must name a variable of that cell (papermill's inspection reads it), values are parsed as
YAML data (never as code) and must have the type of the default: `-p min_year=2024` is an int,
`-p 'vendors=[NVIDIA, AMD]'` a list of strings. An unknown key is an error with a did-you-mean.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml


class ParameterError(ValueError):
    """A `-p` pair that does not fit the notebook's parameters (bad input: exit code 2)."""


@dataclass(frozen=True)
class Declared:
    """One variable of a notebook's parameters cell: its name, default value and help comment."""

    name: str
    default: object
    help: str


def declared(notebook: Path) -> dict[str, Declared]:
    """The notebook's parameters (name -> Declared), read by papermill's inspection of the `parameters` cell."""
    import tempfile

    import jupytext
    import papermill

    with tempfile.TemporaryDirectory(prefix="hbmcycle-params-") as tmp:
        path = Path(tmp) / f"{notebook.stem}.ipynb"
        jupytext.write(jupytext.read(notebook), path)
        inspected = papermill.inspect_notebook(str(path))
    out = {}
    for name, p in inspected.items():
        try:
            default = ast.literal_eval(p["default"])
        except (ValueError, SyntaxError):
            default = p["default"]
        out[name] = Declared(name, default, p["help"])
    return out


def _type_name(value: object) -> str:
    return {
        bool: "true/false",
        int: "an integer",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def _fits(value: object, default: object) -> bool:
    """Whether a parsed value has the default's type (ints pass for floats; list items like the default's)."""
    if default is None:  # an optional setting: any value the notebook documents (checked there)
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, int | float)
    if isinstance(default, list):
        if not isinstance(value, list):
            return False
        kinds = {type(x) for x in default} or {str, int, float}
        return all(any(_fits(x, k()) for k in kinds) for x in value)
    return isinstance(value, type(default))


def parse(pairs: list[str], parameters: dict[str, Declared]) -> dict:
    """`key=value` strings to a dict of checked values; raises ParameterError naming the problem."""
    out = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ParameterError(f"parameter {pair!r} is not key=value")
        if key not in parameters:
            close = difflib.get_close_matches(key, parameters, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ParameterError(f"unknown parameter {key!r}; {hint}valid: {', '.join(parameters)}")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            reason = str(exc).splitlines()[0]
            raise ParameterError(f"parameter {key}: {text!r} is not a value ({reason})") from None
        default = parameters[key].default
        if not _fits(value, default):
            raise ParameterError(
                f"parameter {key}: {text!r} is {_type_name(value)}, expected {_type_name(default)} "
                f"like the default {json.dumps(default)}"
            )
        out[key] = float(value) if isinstance(default, float) else value
    return out


def suffix(parameters: dict) -> str:
    """A short stable tag for a parameterised render's file name: `thesis.p-3fa2c1d0.html`."""
    if not parameters:
        return ""
    digest = hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()[:8]
    return f".p-{digest}"
