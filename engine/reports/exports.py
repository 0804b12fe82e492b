"""Tables written as CSV (streamed in chunks) or XLSX (openpyxl's write-only mode, spooled to a temp file)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook

CHUNK_ROWS = 500
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


@dataclass
class Table:
    title: str
    columns: Sequence[str]
    rows: Iterable[Sequence[Any]]


def _cell(value: Any, tz: ZoneInfo, for_csv: bool) -> Any:
    if isinstance(value, dt.datetime):
        local = value.astimezone(tz)
        return local.strftime("%d.%m.%Y %H:%M") if for_csv else local.replace(tzinfo=None)
    if isinstance(value, dt.date) and for_csv:
        return value.strftime("%d.%m.%Y")
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float) and for_csv:
        return f"{value:g}".replace(".", ",")
    return value


def csv_chunks(tables: list[Table], tz: ZoneInfo) -> Iterator[bytes]:
    """UTF-8 with a BOM and `;` between fields: what Excel in a Russian locale opens as columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    yield "\ufeff".encode()
    for index, table in enumerate(tables):
        if len(tables) > 1:
            writer.writerows([[]] if index else [])
            writer.writerow([table.title])
        writer.writerow(table.columns)
        for count, row in enumerate(table.rows, start=1):
            writer.writerow([_cell(v, tz, True) for v in row])
            if count % CHUNK_ROWS == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()


def write_xlsx(tables: list[Table], tz: ZoneInfo, target: IO[bytes]) -> None:
    """One sheet per table; write-only sheets keep rows on disk, not in memory."""
    book = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        title = _sheet_title(table.title, used)
        sheet = book.create_sheet(title)
        sheet.append(list(table.columns))
        for row in table.rows:
            sheet.append([_cell(v, tz, False) for v in row])
    if not tables:
        book.create_sheet("—")
    book.save(target)


def xlsx_file(tables: list[Table], tz: ZoneInfo) -> IO[bytes]:
    """The workbook in a temporary file, rewound, for streaming; the caller closes it (which deletes it)."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 — returned open; closing it deletes it
    write_xlsx(tables, tz, target)
    target.seek(0)
    return target


def xlsx_bytes(tables: list[Table], tz: ZoneInfo) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(tables, tz, buffer)
    return buffer.getvalue()


def _sheet_title(title: str, used: set[str]) -> str:
    # Excel limits sheet names to 31 characters without []:*?/\ and wants them unique.
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "—"
    name, n = clean, 2
    while name in used:
        name = f"{clean[:28]} {n}"
        n += 1
    used.add(name)
    return name
