"""The monthly tables as an XLSX workbook: one sheet per table, a title row, the header row, then the rows exactly
as the page shows them (numbers stay numbers)."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from .stats import Month, Table

SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str, taken: set[str]) -> str:
    base = SHEET_NAME_BAD.sub("_", title)[:31] or "Sheet"
    name, n = base, 2
    while name in taken:
        suffix = f"({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def cell_value(value):
    return float(value) if isinstance(value, Decimal) else value


def workbook(month: Month, tables: list[Table]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for table in tables:
        ws = wb.create_sheet(sheet_name(table.title, taken))
        ws.append([f"{month.label} {table.title}"])
        ws["A1"].font = Font(bold=True, size=12)
        ws.append(table.headers)
        for cell in ws[2]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for row in table.rows:
            ws.append([cell_value(v) for v in row])
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 16
        for i in range(2, len(table.headers) + 1):
            ws.column_dimensions[ws.cell(row=2, column=i).column_letter].width = 14
        for row in ws.iter_rows(min_row=3, min_col=2):
            for cell in row:
                if isinstance(cell.value, float):
                    cell.number_format = "0.0"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
