"""Quarterly refresh: pull machine-readable sources, keep every vintage, show and apply changes.

A pipeline is a YAML file in pipelines/ naming a target table, its key column, a URL
template, the items to fetch and a field map (table column -> keys in the fetched
JSON). A refresh run, per pipeline:

1. fetches every item; each raw response is written once under
   data/raw/vintages/<pipeline>/<YYYY-MM-DD>/ with a manifest (URL, time, sha256);
   earlier vintages are never modified;
2. maps the fields and diffs them against the curated CSV (cell by cell);
3. applies the changes to a copy of data/raw, validates the whole copy, and only then
   replaces the CSV (atomic rename). A fetch failure is reported, not fatal.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hbmcycle import paths
from hbmcycle.data.types import Problem
from hbmcycle.data.validate import load_all

USER_AGENT = "hbmcycle-refresh (+https://github.com/hbmcycle)"


@dataclass(frozen=True)
class Pipeline:
    id: str
    title: str
    table: str
    key: str
    url_template: str
    items: tuple[dict, ...]
    fields: dict[str, list[str]]

    @classmethod
    def load(cls, path: Path) -> Pipeline:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        missing = [k for k in ("id", "title", "table", "key", "url_template", "items", "fields") if k not in doc]
        if missing:
            raise ValueError(f"{path}: missing {', '.join(missing)}")
        return cls(
            doc["id"],
            doc["title"],
            doc["table"],
            doc["key"],
            doc["url_template"],
            tuple(doc["items"]),
            dict(doc["fields"]),
        )


@dataclass(frozen=True)
class Change:
    key: str
    column: str
    old: str
    new: str
    url: str


@dataclass
class Outcome:
    pipeline: str
    vintage: Path | None
    changes: list[Change] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    applied: bool = False


def pipelines(directory: Path | None = None) -> list[Pipeline]:
    directory = directory or paths.repo_root() / "pipelines"
    return [Pipeline.load(p) for p in sorted(directory.glob("*.yaml"))]


def fetch(url: str, timeout_s: float = 20.0) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        return response.read()


def lookup(document: dict, keys: list[str]):
    """First present value among dotted `keys` in a JSON document, else None."""
    for dotted in keys:
        node = document
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            return node
    return None


def _cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _same(old: str, new: str) -> bool:
    try:
        return float(old) == float(new)
    except ValueError:
        return old.strip() == new.strip()


def new_vintage_dir(pipeline_id: str, today: dt.date, raw: Path) -> Path:
    """A fresh folder for today's snapshot; a second run on the same day gets a suffix."""
    base = raw / "vintages" / pipeline_id / today.isoformat()
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{today.isoformat()}.{n}")
    candidate.mkdir(parents=True)
    return candidate


def run(pipeline: Pipeline, apply: bool = True, today: dt.date | None = None, progress=None) -> Outcome:
    """Fetch, snapshot, diff, validate and (if `apply`) write one pipeline's table."""
    today = today or dt.date.today()
    raw = paths.raw_dir()
    csv_path = raw / f"{pipeline.table}.csv"
    header, rows = _read_csv(csv_path)
    by_key = {row[header.index(pipeline.key)]: row for row in rows}

    vintage = new_vintage_dir(pipeline.id, today, raw)
    outcome = Outcome(pipeline.id, vintage)
    manifest = []
    for item in pipeline.items:
        url = pipeline.url_template.format(**item)
        key = item[pipeline.key]
        try:
            body = fetch(url)
            document = json.loads(body)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            outcome.failures.append(f"{key}: {url}: {getattr(exc, 'reason', exc)}")
            if progress:
                progress()
            continue
        name = f"{key}.json"
        (vintage / name).write_bytes(body)
        manifest.append(
            {
                "key": key,
                "url": url,
                "file": name,
                "sha256": hashlib.sha256(body).hexdigest(),
                "fetched_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
        )
        row = by_key.get(key)
        if row is None:
            outcome.failures.append(f"{key}: not in {csv_path.name}; add the row by hand first")
        else:
            for column, keys in pipeline.fields.items():
                value = lookup(document, keys)
                if value is None:
                    continue
                old, new = row[header.index(column)], _cell(value)
                if not _same(old, new):
                    outcome.changes.append(Change(key, column, old, new, url))
        if progress:
            progress()
    if not manifest:  # nothing fetched: leave no empty vintage behind
        shutil.rmtree(vintage)
        outcome.vintage = None
        return outcome
    (vintage / "manifest.json").write_text(
        json.dumps({"pipeline": pipeline.id, "items": manifest, "failures": outcome.failures}, indent=2)
    )
    if outcome.changes and apply:
        outcome.problems = _apply(pipeline, csv_path, header, rows, outcome.changes, today)
        outcome.applied = not outcome.problems
    return outcome


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, [row for row in reader if row]


def _apply(pipeline: Pipeline, csv_path: Path, header, rows, changes: list[Change], today: dt.date) -> list[Problem]:
    """Write the changed cells with their provenance; validate a copy of data/raw first."""
    index = {name: i for i, name in enumerate(header)}
    by_key = {row[index[pipeline.key]]: row for row in rows}
    for change in changes:
        row = by_key[change.key]
        row[index[change.column]] = change.new
        sources = [s for s in row[index["source"]].split(";") if s]
        if change.url not in sources:
            row[index["source"]] = ";".join(sources + [change.url])
        row[index["as_of"]] = today.isoformat()
        note = (
            f"refreshed {today.isoformat()}: {change.column} {change.old or 'empty'} -> {change.new} from {pipeline.id}"
        )
        row[index["notes"]] = "; ".join(n for n in (row[index["notes"]], note) if n)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)

    raw = csv_path.parent
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "raw"
        shutil.copytree(raw, staged, ignore=shutil.ignore_patterns("vintages"))
        (staged / csv_path.name).write_text(out.getvalue(), encoding="utf-8")
        _, problems = load_all(staged)
        if problems:
            return problems
    fd, tmp_path = tempfile.mkstemp(prefix=f".{csv_path.stem}-", suffix=".csv", dir=raw)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(out.getvalue())
    os.replace(tmp_path, csv_path)
    return []
