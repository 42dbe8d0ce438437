"""A curated CSV read so that it can be written back byte for byte except the rows that change.

Each record keeps its raw text (quoting, embedded newlines and line ending as written);
`render` re-serialises only the records that were edited or added, and keeps the
byte-order mark and the line-ending convention of the file.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

BOM = "\ufeff"


@dataclass
class Record:
    cells: list[str]
    raw: str | None  # None once edited: rendered afresh


@dataclass
class CsvFile:
    path: Path
    header: list[str]
    header_raw: str
    records: list[Record]
    bom: bool = False
    newline: str = "\n"
    trailing_newline: bool = True
    index: dict[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> CsvFile:
        text = path.read_bytes().decode("utf-8")
        bom = text.startswith(BOM)
        text = text.removeprefix(BOM)
        newline = "\r\n" if "\r\n" in text.split("\n", 1)[0] + "\n" else "\n"
        raws: list[str] = []

        def lines():
            for line in io.StringIO(text, newline="").readlines():
                raws.append(line)
                yield line

        reader = csv.reader(lines())
        parsed: list[tuple[list[str], str]] = []
        for cells in reader:
            parsed.append((cells, "".join(raws)))
            raws.clear()
        header, header_raw = parsed[0]
        records = [Record(cells, raw) for cells, raw in parsed[1:]]  # blank lines kept verbatim
        out = cls(path, header, header_raw, records, bom, newline, text.endswith(("\n", "\r")))
        out.index = {name: i for i, name in enumerate(header)}
        return out

    def get(self, record: Record, column: str) -> str:
        i = self.index[column]
        return record.cells[i] if i < len(record.cells) else ""

    def set(self, record: Record, column: str, value: str) -> None:
        record.cells[self.index[column]] = value
        record.raw = None

    def append(self, values: dict[str, str]) -> Record:
        record = Record([values.get(name, "") for name in self.header], None)
        self.records.append(record)
        return record

    def render(self) -> str:
        parts = [BOM if self.bom else "", self.header_raw]
        for record in self.records:
            if parts[-1] and not parts[-1].endswith(("\n", "\r")):
                parts.append(self.newline)  # the last line had no terminator and a row follows it
            parts.append(record.raw if record.raw is not None else _line(record.cells, self.newline))
        return "".join(parts)


def _line(cells: list[str], newline: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerow(cells)
    return out.getvalue()
