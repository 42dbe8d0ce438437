"""Table metadata: the YAML sidecar beside each raw CSV (see data/raw/README.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

TYPES = ("string", "integer", "float", "date", "boolean")
CONFIDENCE_LEVELS = ("high", "medium", "low")
# Every table ends with these provenance columns, in this order.
PROVENANCE_COLUMNS = ("source", "as_of", "confidence", "notes")

# Column-name suffix -> the unit its metadata must declare. Catches a column
# named `_gb` whose sidecar says TB, the commonest unit slip.
SUFFIX_UNITS = {
    "_usd_per_gb": "USD/GB",
    "_gb": "GB",
    "_gib": "GiB",
    "_mb": "MB",
    "_tb_s": "TB/s",
    "_gb_s": "GB/s",
    "_w": "W",
    "_kw": "kW",
    "_usd": "USD",
    "_usd_b": "USD billion",
    "_tflops": "TFLOP/s",
    "_tops": "TOP/s",
    "_gbps": "Gb/s",
    "_pct": "%",
    "_mt_s": "MT/s",
}


class MetadataError(ValueError):
    """A sidecar is missing or malformed; the message names the file and key."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str = ""
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None
    required: bool = False

    def expectation(self) -> str:
        """What a valid cell looks like, for error messages."""
        parts = [self.type]
        if self.unit:
            parts.append(f"in {self.unit}")
        if self.min is not None or self.max is not None:
            parts.append(f"range [{_fmt(self.min)}, {_fmt(self.max)}]")
        if self.allowed:
            parts.append("one of " + ", ".join(self.allowed))
        if self.pattern:
            parts.append(f"matching {self.pattern}")
        if self.type == "date":
            parts.append("as YYYY-MM-DD")
        return " ".join(parts)


@dataclass(frozen=True)
class Source:
    id: str
    producer: str
    title: str
    url: str  # http(s) URL, or a repository-relative path for project-made data
    accessed: str
    licence: str | None = None


@dataclass(frozen=True)
class ForeignKey:
    column: str
    table: str
    target_column: str


@dataclass(frozen=True)
class TableMeta:
    name: str
    title: str
    description: str
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]
    sources: dict[str, Source]
    foreign_keys: tuple[ForeignKey, ...] = ()
    yaml_path: Path | None = None
    csv_path: Path | None = None
    checks: dict = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def load_meta(yaml_path: Path) -> TableMeta:
    """Parse and sanity-check one sidecar; raise MetadataError naming the file and key."""
    where = str(yaml_path)
    try:
        doc = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MetadataError(f"{where}: cannot read YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise MetadataError(f"{where}: expected a mapping at top level")
    for key in ("title", "description", "primary_key", "columns", "sources"):
        if key not in doc:
            raise MetadataError(f"{where}: missing key '{key}'")

    columns = tuple(_parse_column(where, name, spec) for name, spec in (doc["columns"] or {}).items())
    names = [c.name for c in columns]
    if tuple(names[-4:]) != PROVENANCE_COLUMNS:
        raise MetadataError(f"{where}: columns must end with {', '.join(PROVENANCE_COLUMNS)} (got {names[-4:]})")

    primary_key = tuple(doc["primary_key"]) if isinstance(doc["primary_key"], list) else (doc["primary_key"],)
    for key in primary_key:
        if key not in names:
            raise MetadataError(f"{where}: primary_key column '{key}' is not among the columns")

    sources: dict[str, Source] = {}
    for i, src in enumerate(doc["sources"] or []):
        missing = [k for k in ("id", "producer", "title", "accessed") if not src.get(k)]
        if not src.get("url") and not src.get("path"):
            missing.append("url (or path, for the project's own measurements)")
        if missing:
            raise MetadataError(f"{where}: sources[{i}] lacks {', '.join(missing)}")
        if src.get("url") and not re.match(r"^https?://", str(src["url"])):
            raise MetadataError(f"{where}: sources[{i}] ({src['id']}) url is not http(s): {src['url']}")
        if src.get("path") and not (yaml_path.parents[2] / src["path"]).exists():
            # Project-made data (e.g. GPU harness logs) cite the committed raw file instead of a URL.
            raise MetadataError(
                f"{where}: sources[{i}] ({src['id']}) path {src['path']} does not exist in the repository"
            )
        if src["id"] in sources:
            raise MetadataError(f"{where}: source id '{src['id']}' is defined twice")
        sources[src["id"]] = Source(
            id=str(src["id"]),
            producer=str(src["producer"]),
            title=str(src["title"]),
            url=str(src.get("url") or src["path"]),
            accessed=str(src["accessed"]),
            licence=src.get("licence"),
        )

    foreign_keys = []
    for fk in doc.get("foreign_keys") or []:
        table, _, target = str(fk.get("references", "")).partition(".")
        if fk.get("column") not in names or not target:
            raise MetadataError(f"{where}: bad foreign key {fk} (need column and references: table.column)")
        foreign_keys.append(ForeignKey(fk["column"], table, target))

    return TableMeta(
        name=yaml_path.stem,
        title=str(doc["title"]),
        description=str(doc["description"]).strip(),
        primary_key=primary_key,
        columns=columns,
        sources=sources,
        foreign_keys=tuple(foreign_keys),
        yaml_path=yaml_path,
        csv_path=yaml_path.with_suffix(".csv"),
        checks=doc.get("checks") or {},
    )


def _parse_column(where: str, name: str, spec: dict) -> Column:
    if not isinstance(spec, dict) or spec.get("type") not in TYPES:
        raise MetadataError(f"{where}: column '{name}' needs a type, one of {', '.join(TYPES)}")
    unit = spec.get("unit")
    # Longest suffix first, so `price_usd_per_gb` is judged as USD/GB, not GB.
    suffix = max((s for s in SUFFIX_UNITS if name.endswith(s)), key=len, default=None)
    if suffix and unit:
        expected = SUFFIX_UNITS[suffix]
        if unit != expected:
            raise MetadataError(
                f"{where}: column '{name}' ends in '{suffix}' so its unit must be {expected}, not {unit}"
            )
    allowed = spec.get("allowed")
    return Column(
        name=name,
        type=spec["type"],
        description=str(spec.get("description", "")),
        unit=unit,
        min=spec.get("min"),
        max=spec.get("max"),
        allowed=tuple(str(a) for a in allowed) if allowed else None,
        pattern=spec.get("pattern"),
        required=bool(spec.get("required", False)) or name in ("source", "as_of", "confidence"),
    )


def discover(raw: Path) -> list[Path]:
    """The sidecars of every table in `raw`, sorted by name (vintages and parts excluded)."""
    return sorted(p for p in raw.glob("*.yaml") if "." not in p.stem)
