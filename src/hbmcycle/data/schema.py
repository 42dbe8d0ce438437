"""Table metadata: the YAML sidecar beside each raw CSV (see data/raw/README.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from hbmcycle.data import sidecar

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


MetadataError = sidecar.SidecarError  # a sidecar is malformed; carries the line of the offending key


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
    yaml_path: Path
    csv_path: Path
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: dict = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


# Names a table may not take: the build's own tables, DuckDB's replacement-scan variable,
# and the documented views (read from sql/views.sql at check time).
RESERVED_TABLE_NAMES = (
    "frame",
    "_tables",
    "_columns",
    "_sources",
    "_views",
    "current",
    "parquet",
    "vintages",
    "refresh_changes",
)


def load_meta(yaml_path: Path) -> TableMeta:
    """Parse and check one sidecar (format: sidecar.Sidecar); raise MetadataError with the line."""
    doc, node = sidecar.read(yaml_path)

    def error(message: str, *loc) -> MetadataError:
        return MetadataError(message, sidecar.line_of(node, loc))

    name = yaml_path.stem
    if not re.fullmatch(sidecar.NAME, name) or name in reserved_table_names():
        raise error(
            f"table name {name!r} is reserved or unusable; use lower-case letters, digits and _, "
            f"starting with a letter, and none of {', '.join(reserved_table_names())}"
        )
    columns = tuple(_column(error, column, spec) for column, spec in doc.columns.items())
    names = [c.name for c in columns]
    if tuple(names[-4:]) != PROVENANCE_COLUMNS:
        raise error(f"columns must end with {', '.join(PROVENANCE_COLUMNS)} (got {names[-4:]})", "columns")
    primary_key = tuple(doc.primary_key) if isinstance(doc.primary_key, list) else (doc.primary_key,)
    for key in primary_key:
        if key not in names:
            raise error(f"primary_key column '{key}' is not among the columns", "primary_key")
    sources = _sources(error, doc.sources, yaml_path.parents[2])
    foreign_keys = []
    for i, fk in enumerate(doc.foreign_keys):
        if fk.column not in names:
            raise error(f"foreign key column '{fk.column}' is not among the columns", "foreign_keys", i)
        table, target = fk.references.split(".")
        foreign_keys.append(ForeignKey(fk.column, table, target))
    _check_columns_named(error, doc.checks, names)
    return TableMeta(
        name=name,
        title=doc.title,
        description=doc.description.strip(),
        primary_key=primary_key,
        columns=columns,
        sources=sources,
        foreign_keys=tuple(foreign_keys),
        yaml_path=yaml_path,
        csv_path=yaml_path.with_suffix(".csv"),
        checks=doc.checks.model_dump(exclude_defaults=True),
    )


def reserved_table_names() -> tuple[str, ...]:
    from hbmcycle.data.build import views  # build imports this module; the view list is its

    return RESERVED_TABLE_NAMES + tuple(v.name for v in views())


def _sources(error, specs, repo: Path) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for i, src in enumerate(specs):
        if not src.url and not src.path:
            raise error(
                f"sources[{i}] ({src.id}) needs url (or path, for the project's own measurements)", "sources", i
            )
        if src.path and not (repo / src.path).exists():
            raise error(f"sources[{i}] ({src.id}) path {src.path} does not exist in the repository", "sources", i)
        if src.id in sources:
            raise error(f"source id '{src.id}' is defined twice", "sources", i)
        sources[src.id] = Source(src.id, src.producer, src.title, src.url or src.path, str(src.accessed), src.licence)
    return sources


def _check_columns_named(error, checks, names: list[str]) -> None:
    """Every column a cross-row check names must exist (a typo would silently skip the check)."""
    named: list[tuple] = []
    if checks.period:
        named += [("period", c) for c in (checks.period.column, checks.period.year, checks.period.quarter)]
    for i, spec in enumerate(checks.contiguous):
        cols = [spec.column, *spec.group_by, *spec.where, spec.where_null, spec.where_false]
        named += [("contiguous", i, c) for c in cols if c is not None]
    for *loc, column in named:
        if column not in names:
            raise error(f"checks.{loc[0]} names column '{column}', which is not among the columns", "checks", *loc)


def _column(error, name: str, spec) -> Column:
    if not re.fullmatch(sidecar.NAME, name):
        raise error(
            f"column name {name!r} must be lower-case letters, digits and _, starting with a letter", "columns", name
        )
    unit = spec.unit
    # Longest suffix first, so `price_usd_per_gb` is judged as USD/GB, not GB.
    suffix = max((s for s in SUFFIX_UNITS if name.endswith(s)), key=len, default=None)
    if suffix and unit and unit != SUFFIX_UNITS[suffix]:
        raise error(
            f"column '{name}' ends in '{suffix}' so its unit must be {SUFFIX_UNITS[suffix]}, not {unit}",
            "columns",
            name,
        )
    if spec.min is not None and spec.max is not None and spec.min > spec.max:
        raise error(f"column '{name}' has min {spec.min:g} above max {spec.max:g}", "columns", name)
    if (spec.min is not None or spec.max is not None) and spec.type not in ("integer", "float"):
        raise error(f"column '{name}' is {spec.type}; min and max apply to integer and float columns", "columns", name)
    return Column(
        name=name,
        type=spec.type,
        description=spec.description,
        unit=unit,
        min=spec.min,
        max=spec.max,
        allowed=tuple(str(a) for a in spec.allowed) if spec.allowed else None,
        pattern=spec.pattern,
        required=spec.required or name in ("source", "as_of", "confidence"),
    )


def discover(raw: Path) -> list[Path]:
    """The sidecars of every table in `raw`, sorted by name (vintages and parts excluded)."""
    return sorted(p for p in raw.glob("*.yaml") if "." not in p.stem)
