"""Declarative refresh pipelines: pipelines/<id>.yaml read into a checked `Pipeline`.

A pipeline names its target table, the items to fetch (each a safe key and a URL),
where the records sit in a response, which records to keep (`where`), how each table
column is computed from a record (`columns`), which columns identify a curated row
(`match`), and what it may do unattended (`rules`, `new_rows`, `removed_rows`).
The file format is described field by field in pipelines/README.md.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hbmcycle import paths
from hbmcycle.data.refresh.fetch import Limits, safe_key

RULES = ("fill", "update", "review", "new")  # pipelines/README.md: when an upstream value may replace a curated one
NEW_ROWS = ("add", "review", "ignore")
REMOVED_ROWS = ("report", "drop")
SPEC_KEYS = {"from", "scale", "divide_by", "round", "year", "date", "map", "template", "const", "lower"}
TOP_KEYS = {
    "id", "title", "table", "source_id", "format", "records", "items", "url_template", "where", "columns",
    "match", "rules", "default_rule", "new_rows", "removed_rows", "defaults", "required_fields", "limits",
    "dedupe", "owns_sources", "curated_by_hand", "notes",
}  # fmt: skip


class PipelineError(ValueError):
    """A pipeline file that cannot be run; the message names the file and the field."""


@dataclass(frozen=True)
class Item:
    key: str
    url: str


@dataclass(frozen=True)
class Pipeline:
    id: str
    title: str
    table: str
    source_id: str
    format: str
    items: tuple[Item, ...]
    columns: dict[str, dict]
    match: tuple[str, ...]
    records: str | None = None
    where: tuple[dict, ...] = ()
    rules: dict[str, str] | None = None
    default_rule: str = "review"
    new_rows: str = "review"
    removed_rows: str = "report"
    defaults: dict[str, str] | None = None
    required_fields: tuple[str, ...] = ()
    dedupe: dict | None = None
    limits: Limits = field(default_factory=Limits)
    owns_sources: tuple[str, ...] = ()

    def owns(self, source_cell: str) -> bool:
        """Whether a row's `source` cites this pipeline (its source_id, or an id matching owns_sources globs)."""
        patterns = (self.source_id, *self.owns_sources)
        return any(fnmatch.fnmatchcase(s.strip(), p) for s in source_cell.split(";") for p in patterns)

    def rule(self, column: str) -> str:
        return (self.rules or {}).get(column, self.default_rule)

    @classmethod
    def load(cls, path: Path) -> Pipeline:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise PipelineError(f"{path.name}: not valid YAML: {exc}") from None
        if not isinstance(doc, dict):
            raise PipelineError(f"{path.name}: expected a mapping at the top")
        try:
            return cls.from_dict(doc)
        except (PipelineError, ValueError, TypeError, KeyError) as exc:
            raise PipelineError(f"{path.name}: {exc}") from None

    @classmethod
    def from_dict(cls, doc: dict) -> Pipeline:
        unknown = sorted(set(doc) - TOP_KEYS)
        if unknown:
            raise PipelineError(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(TOP_KEYS))}")
        missing = [k for k in ("id", "title", "table", "source_id", "items", "columns", "match") if k not in doc]
        if missing:
            raise PipelineError(f"missing {', '.join(missing)}")
        fmt = doc.get("format", "json")
        _choose("format", fmt, ("json", "csv"))
        columns = {name: _spec(name, spec) for name, spec in doc["columns"].items()}
        rules = dict(doc.get("rules") or {})
        for column, rule in rules.items():
            _choose(f"rules.{column}", rule, RULES)
        return cls(
            id=safe_key(doc["id"]),
            title=str(doc["title"]),
            table=safe_key(doc["table"]),
            source_id=str(doc["source_id"]),
            format=fmt,
            items=_items(doc),
            columns=columns,
            match=tuple(doc["match"]),
            records=doc.get("records"),
            where=tuple(doc.get("where") or ()),
            rules=rules,
            default_rule=_choose("default_rule", doc.get("default_rule", "review"), RULES),
            new_rows=_choose("new_rows", doc.get("new_rows", "review"), NEW_ROWS),
            removed_rows=_choose("removed_rows", doc.get("removed_rows", "report"), REMOVED_ROWS),
            defaults={k: str(v) for k, v in (doc.get("defaults") or {}).items()},
            required_fields=tuple(doc.get("required_fields") or ()),
            dedupe=doc.get("dedupe"),
            limits=Limits(**(doc.get("limits") or {})),
            owns_sources=tuple(doc.get("owns_sources") or ()),
        )


def _choose(name: str, value, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise PipelineError(f"{name}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _spec(column: str, spec) -> dict:
    """A column spec as a dict: a field name or a list of alternatives becomes {from: [...]}."""
    if isinstance(spec, str):
        return {"from": [spec]}
    if isinstance(spec, list):
        return {"from": [str(s) for s in spec]}
    if not isinstance(spec, dict):
        raise PipelineError(f"columns.{column}: expected a field name, a list of names or a mapping")
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise PipelineError(
            f"columns.{column}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(SPEC_KEYS))}"
        )
    if not {"from", "template", "const"} & set(spec):
        raise PipelineError(f"columns.{column}: needs one of from, template, const")
    out = dict(spec)
    if isinstance(out.get("from"), str):
        out["from"] = [out["from"]]
    return out


def _items(doc: dict) -> tuple[Item, ...]:
    template = doc.get("url_template")
    items = []
    for raw in doc["items"]:
        if not isinstance(raw, dict) or "key" not in raw:
            raise PipelineError(f"items: each item needs a key (got {raw!r})")
        url = raw.get("url") or (template.format(**raw) if template else None)
        if not url:
            raise PipelineError(f"items: {raw['key']!r} has no url and there is no url_template")
        items.append(Item(safe_key(str(raw["key"])), url))
    if len({i.key for i in items}) != len(items):
        raise PipelineError("items: keys must be unique")
    return tuple(items)


def pipelines(directory: Path | None = None) -> list[Pipeline]:
    """Every pipelines/*.yaml, loaded and checked (PipelineError names the first bad file)."""
    directory = directory or paths.repo_root() / "pipelines"
    return [Pipeline.load(p) for p in sorted(directory.glob("*.yaml"))]
