"""Assumption files: every entry validated, with file and entry named on error."""

from __future__ import annotations

import pytest

from hbmcycle import assumptions


def write(tmp_path, text):
    path = tmp_path / "a.yaml"
    path.write_text(text)
    assumptions.load.cache_clear()
    return path


def test_values_and_table(tmp_path):
    path = write(
        tmp_path,
        "hop_us: {type: float, unit: us, min: 0, max: 100, default: 5.0, basis: NVLink small-message latency}\n"
        "sizes: {type: list, default: [1, 2, 4], basis: powers of two}\n",
    )
    assert assumptions.values(path) == {"hop_us": 5.0, "sizes": (1, 2, 4)}
    row = assumptions.table(path)[0]
    assert row["range"] == "[0, 100]" and row["unit"] == "us" and row["basis"].startswith("NVLink")


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("x: {type: float, default: 1.0}\n", "basis"),  # no basis
        ("x: {type: float, default: 1.0, basis: b, maximum: 3}\n", "maximum"),  # a typo'd key is not ignored
        ("x: {type: float, default: 5.0, max: 3, basis: b}\n", "above max"),
        ("x: {type: integer, default: 1.5, basis: b}\n", "not a integer"),
        ("x: {type: float, default: true, basis: b}\n", "not a float"),
        ("x: {type: string, default: c, allowed: [a, b], basis: b}\n", "not one of"),
        ("x: {type: float, default: 1.0, basis: '  '}\n", "basis is empty"),
        ("- just a list\n", "mapping"),
        ("x: [unclosed\n", "YAML"),
    ],
)
def test_malformed_files_name_the_entry(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(assumptions.AssumptionError, match=fragment) as info:
        assumptions.load(path)
    assert str(path) in str(info.value)
