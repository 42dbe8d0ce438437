"""From a fetched body to table rows: parse, check the upstream schema, filter, map fields.

An upstream schema change (a renamed column or field) is an error naming the pipeline
and the field, never a silent "no changes": a refresh that reads nothing must say so.
"""

from __future__ import annotations

import csv
import io
import json
import re

from hbmcycle.data.refresh.pipeline import Pipeline

OPS = {
    "eq": lambda v, x: v == str(x),
    "ne": lambda v, x: v != str(x),
    "in": lambda v, x: v in {str(i) for i in x},
    "ge": lambda v, x: v >= str(x),
    "le": lambda v, x: v <= str(x),
    "contains": lambda v, x: str(x).lower() in v.lower(),
    "excludes": lambda v, x: all(str(i).lower() not in v.lower() for i in (x if isinstance(x, list) else [x])),
}


SKIP = object()  # a value the pipeline's map does not know: the whole record is left out


class UpstreamError(ValueError):
    """A response that cannot be read as the pipeline expects; the message names pipeline, item and field."""


def records(pipeline: Pipeline, key: str, body: bytes) -> list[dict]:
    """The records of one response (one dict per CSV row or JSON record), each tagged with `_item`."""
    where = f"pipeline {pipeline.id}, item {key}"
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UpstreamError(f"{where}: response is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if pipeline.format == "csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        found = [dict(r) for r in reader]
        _check_fields(pipeline, where, set(reader.fieldnames or ()), every=True)
    else:
        try:
            document = json.loads(text)
        except RecursionError:
            raise UpstreamError(f"{where}: JSON nested too deeply to read") from None
        except ValueError as exc:
            raise UpstreamError(f"{where}: not JSON ({exc})") from None
        found = _json_records(pipeline, where, document)
        _check_fields(pipeline, where, _present(found, pipeline), every=False)
    for record in found:
        record["_item"] = key
    return found


def _json_records(pipeline: Pipeline, where: str, document) -> list[dict]:
    node = document
    if pipeline.records not in (None, "."):  # "." = the document itself is the list of records
        node = lookup(document, pipeline.records) if isinstance(document, dict) else None
    if pipeline.records is None:  # one record per response
        if not isinstance(node, dict):
            raise UpstreamError(f"{where}: expected a JSON object, got {type(node).__name__}")
        node = [node]
    if not isinstance(node, list) or not all(isinstance(r, dict) for r in node):
        at = f" at '{pipeline.records}'" if pipeline.records else ""
        raise UpstreamError(f"{where}: expected a list of JSON objects{at}, got {type(node).__name__}")
    return node


def _present(found: list[dict], pipeline: Pipeline) -> set[str]:
    """Top-level keys of the records plus every dotted field the pipeline names that resolves in one."""
    names = {f for spec in pipeline.columns.values() for f in spec.get("from", ())}
    names |= {f for alts in pipeline.required_fields for f in (alts if isinstance(alts, list) else [alts])}
    keys = set().union(*(r.keys() for r in found)) if found else set()
    return keys | {n for n in names if "." in n and any(lookup(r, n) is not None for r in found)}


def lookup(record: dict, field: str):
    """record[field], else the dotted path (a.b.c) into nested objects, else None."""
    if field in record:
        return record[field]
    node: object = record
    for part in field.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _check_fields(pipeline: Pipeline, where: str, present: set[str], every: bool) -> None:
    """Required fields must be present; for CSV every mapped field too (a rename is an error)."""
    wanted = list(pipeline.required_fields)
    if every:
        wanted += [alts for spec in pipeline.columns.values() if (alts := spec.get("from"))]
    mapped = [f for spec in pipeline.columns.values() for f in spec.get("from", ()) if f != "_item"]
    for field in wanted:
        alternatives = field if isinstance(field, list) else [field]
        if "_item" not in alternatives and not set(alternatives) & present:
            shown = ", ".join(sorted(present)[:12]) or "none"
            raise UpstreamError(
                f"{where}: field {' or '.join(repr(a) for a in alternatives)} is missing from the response "
                f"(renamed upstream?); fields present: {shown}"
            )
    if mapped and not set(mapped) & present:
        raise UpstreamError(f"{where}: the response has none of the mapped fields ({', '.join(sorted(set(mapped)))})")


def rows(pipeline: Pipeline, found: list[dict]) -> list[dict[str, str]]:
    """Filter the records and map each to {column: cell text}; records whose key maps to nothing are skipped."""
    out: list[dict[str, str]] = []
    best: dict[tuple, tuple[str, int]] = {}
    for record in found:
        if not all(_keep(record, rule) for rule in pipeline.where):
            continue
        mapped = {column: _value(record, spec) for column, spec in pipeline.columns.items()}
        if SKIP in mapped.values() or any(mapped.get(c) in (None, "") for c in pipeline.match):
            continue
        row = {c: str(v) for c, v in mapped.items() if v is not None}
        if pipeline.dedupe:  # keep one record per `by`, the one with the largest `keep_max`
            ident = tuple(row.get(c) for c in pipeline.dedupe["by"])
            rank = str(record.get(pipeline.dedupe["keep_max"], ""))
            if ident in best and best[ident][0] >= rank:
                continue
            best[ident] = (rank, len(out))
        out.append(row)
    if pipeline.dedupe:
        keep = {i for _, i in best.values()}
        out = [r for i, r in enumerate(out) if i in keep]
    return out


def _keep(record: dict, rule: dict) -> bool:
    value = "" if record.get(rule["field"]) is None else str(record.get(rule["field"]))
    return all(OPS[op](value, arg) for op, arg in rule.items() if op != "field")


def _value(record: dict, spec: dict) -> str | object | None:
    if "const" in spec:
        return str(spec["const"])
    if "template" in spec:
        try:
            value = spec["template"].format(**{k: v for k, v in record.items() if isinstance(k, str)})
        except (KeyError, IndexError, ValueError):
            return None
    else:
        value = next((v for f in spec["from"] if (v := lookup(record, f)) not in (None, "")), None)
    if value is None:
        return None
    if "map" in spec:  # an upstream name onto ours; "*": "*" keeps unmapped names, otherwise they are skipped
        mapped = spec["map"].get(str(value), spec["map"].get("*"))
        if mapped is None:
            return SKIP
        value = value if mapped == "*" else mapped
    try:
        return _convert(value, spec, record)
    except (TypeError, ValueError, ZeroDivisionError):
        return None  # a non-numeric upstream cell is left empty rather than guessed


def _convert(value, spec: dict, record: dict) -> str:
    if spec.get("year"):
        return str(value)[:4]
    if spec.get("date"):
        return str(value)[:10]
    if "divide_by" in spec:
        value = float(value) / float(record[spec["divide_by"]])
    if "scale" in spec or "divide_by" in spec:
        value = float(value) * float(spec.get("scale", 1))
        if "round" in spec:
            value = round(value, int(spec["round"]))
    if spec.get("lower"):
        value = re.sub(r"[^a-z0-9.]+", "_", str(value).lower()).strip("_")
    return cell(value)


def cell(value) -> str:
    """The CSV text of a value: booleans lower case, whole floats without '.0'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)
