"""`data show --where`: one boolean expression over a table's columns, checked before it runs.

DuckDB parses ``SELECT * FROM "table" WHERE (expr)`` for us (``json_serialize_sql``); the
parse tree must be that one statement and nothing else (no second statement, set operation,
ORDER BY, CTE), and the expression may reference only the table's columns: no subquery,
no table function, no function that reads the environment. The query then runs on a
sandboxed read-only connection (see ``db.READ_ONLY_CONFIG``) as a second line of defence.
"""

from __future__ import annotations

import json

import polars as pl

from hbmcycle.data import db

# Scalar functions that read state outside the table (settings, environment, the catalog).
FORBIDDEN_FUNCTIONS = ("getenv", "current_setting", "query", "query_table", "sql_auto_complete", "which_secret")
FORBIDDEN_PREFIXES = ("read_", "glob", "duckdb_", "pragma_", "current_")


class FilterError(ValueError):
    """The filter is not one boolean expression over the table's columns; the message says why."""


def filtered(table: str, where: str) -> pl.DataFrame:
    """Rows of ``table`` for which ``where`` holds. Raises FilterError for anything but such an expression."""
    sql = f'SELECT * FROM "{table}" WHERE ({where})'
    with db.connect() as con:
        columns = [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall()]
        tree, baseline = (_parse(con, text) for text in (sql, f'SELECT * FROM "{table}"'))
        if tree.get("error"):
            raise FilterError(f"does not parse: {tree.get('error_message', 'syntax error').splitlines()[0]}")
        _check_shape(tree, baseline)
        _check_expression(tree["statements"][0]["node"]["where_clause"], columns)
        try:
            return con.sql(sql).pl()
        except Exception as exc:  # duckdb raises many error classes; any of them is a bad filter here
            raise FilterError(str(exc).strip().splitlines()[0]) from None


def _parse(con, sql: str) -> dict:
    return json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0])


def _strip_locations(node):
    if isinstance(node, dict):
        return {k: _strip_locations(v) for k, v in node.items() if not k.startswith("query_location")}
    if isinstance(node, list):
        return [_strip_locations(v) for v in node]
    return node


def _check_shape(tree: dict, baseline: dict) -> None:
    """The statement must be exactly SELECT * FROM "table" WHERE <expr>: the parse of
    ``SELECT * FROM "table"`` plus a WHERE clause, nothing around it."""
    statements = tree.get("statements") or []
    if len(statements) != 1:
        raise FilterError("must be one expression, not several statements")
    node = statements[0].get("node") or {}
    if node.get("type") != "SELECT_NODE":
        raise FilterError("must be one expression (no UNION, EXCEPT or INTERSECT)")
    around = _strip_locations({k: v for k, v in node.items() if k != "where_clause"})
    plain = {k: v for k, v in baseline["statements"][0]["node"].items() if k != "where_clause"}
    if around != _strip_locations(plain):
        raise FilterError("must be one expression (no ORDER BY, LIMIT, GROUP BY, WITH or other relations)")


def _check_expression(node, columns: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _check_expression(item, columns)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("class")
    if kind == "SUBQUERY":
        raise FilterError("may not contain a subquery")
    if kind == "COLUMN_REF":
        name = ".".join(node.get("column_names") or [])
        if name not in columns:
            raise FilterError(f"names no column {name!r}; columns: {', '.join(columns)}")
    if kind == "FUNCTION":
        function = str(node.get("function_name", "")).lower()
        if function in FORBIDDEN_FUNCTIONS or function.startswith(FORBIDDEN_PREFIXES):
            raise FilterError(f"may not call {function}(); only expressions over the table's columns are allowed")
    for value in node.values():
        _check_expression(value, columns)
