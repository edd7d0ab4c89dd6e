"""Targets from an XLSX sheet (the task-breakdown table a bureau already keeps), and its template.

The first sheet's first row holds the headers (any order; extra columns are ignored):
指标 (an indicator code or its Chinese name), 层级 (institution / township / county / city or 机构 / 乡镇（街道）/
区县 / 市), 地区编码 (an institution code or a division code of that level), 年度, 年度目标(%), 半年占比(%) (blank:
50), 责任单位, 责任人. A cell formatted as a percentage in the spreadsheet (80 % stored as 0.8) is read as 80.

All or nothing: every row is checked first (the same checks as the form, the user's reach, the same target twice
in the file); with any error nothing is written and every error is reported with its row number, column and
reason. A row for a target that exists updates it: importing the same file again changes nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import openpyxl
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jkda.indicators import engine

from . import actions
from .models import LEVEL_CHOICES

# header → field (the headers are the file format the bureaus use, so they are fixed Chinese strings)
HEADERS = {
    "指标": "indicator",
    "层级": "level",
    "地区编码": "area_code",
    "年度": "year",
    "年度目标(%)": "annual",
    "半年占比(%)": "half_year_share",
    "责任单位": "responsible_unit",
    "责任人": "responsible_person",
}
COLUMN = {v: k for k, v in HEADERS.items()}
REQUIRED = ("指标", "层级", "地区编码", "年度", "年度目标(%)")
PERCENT_FIELDS = {"annual", "half_year_share"}
MAX_ROWS = 20_000


@dataclass
class RowError:
    row: int
    column: str
    reason: str

    def __str__(self):
        return _("row %(row)d, column %(col)s: %(reason)s") % {"row": self.row, "col": self.column or "—",
                                                              "reason": self.reason}


@dataclass
class Result:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _normal_header(value) -> str:
    return str(value or "").strip().replace("（", "(").replace("）", ")").replace(" ", "")


def _value(cell, name: str):
    v = cell.value if cell is not None else None
    if v is None:
        return ""
    if name in PERCENT_FIELDS and isinstance(v, int | float) and "%" in (getattr(cell, "number_format", "") or ""):
        v = round(v * 100, 6)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def read(data: bytes) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """(row number, {field: text}) for every non-empty row, and the errors of the file as a whole."""
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable file gets the same answer
        return [], [RowError(0, "", _("The file is not a readable XLSX workbook."))]
    ws = wb.worksheets[0]
    rows = ws.iter_rows()
    try:
        header = next(rows)
    except StopIteration:
        return [], [RowError(1, "", _("The sheet is empty."))]
    columns: dict[int, str] = {}
    for i, cell in enumerate(header):
        name = HEADERS.get(_normal_header(cell.value))
        if name:
            columns[i] = name
    missing = [h for h in REQUIRED if HEADERS[h] not in columns.values()]
    if missing:
        return [], [RowError(1, h, _("This column is missing from the header row.")) for h in missing]
    out = []
    for number, cells in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            return [], [RowError(number, "", _("At most %(n)d rows per file.") % {"n": MAX_ROWS})]
        values = {name: _value(cells[i] if i < len(cells) else None, name) for i, name in columns.items()}
        if any(values.values()):
            out.append((number, values))
    wb.close()
    return out, []


def check(actor, rows: list[tuple[int, dict]]) -> list[RowError]:
    errors: list[RowError] = []
    seen: dict[tuple, int] = {}
    for number, values in rows:
        try:
            c = actions.clean(values)
        except ValidationError as e:
            for name, messages in e.message_dict.items():
                errors.extend(RowError(number, COLUMN.get(name, ""), m) for m in messages)
            continue
        try:
            actions.require_set(actor, c.data["level"], c.area)
        except PermissionDenied as e:
            errors.append(RowError(number, COLUMN["area_code"], str(e)))
            continue
        key = tuple(c.data[k] for k in ("indicator", "level", "area_code", "year"))
        if key in seen:
            errors.append(RowError(number, COLUMN["indicator"], _("The same target as row %(row)d.")
                                   % {"row": seen[key]}))
        else:
            seen[key] = number
    return errors


def import_xlsx(actor, data: bytes) -> Result:
    rows, errors = read(data)
    if errors:
        return Result(errors=errors)
    if not rows:
        return Result(errors=[RowError(2, "", _("The sheet has no target rows."))])
    errors = check(actor, rows)
    if errors:
        return Result(errors=errors)
    result = Result()
    with transaction.atomic():
        for _number, values in rows:
            _target, status = actions.save_target(actor, values)
            setattr(result, status, getattr(result, status) + 1)
    return result


def template_bytes() -> bytes:
    """An empty sheet with the headers and one example row, and a second sheet listing indicators and levels."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = str(_("Targets"))
    ws.append(list(HEADERS))
    ws.append(["electronic_record_rate", "county", "320506", 2026, 80, 50, str(_("Public health section")),
               str(_("Zhang San"))])
    for col, width in zip("ABCDEFGH", (34, 12, 14, 8, 12, 12, 20, 10), strict=True):
        ws.column_dimensions[col].width = width
    ref = wb.create_sheet(str(_("Indicators")))
    ref.append([str(_("code")), str(_("name")), str(_("denominator"))])
    for ind in engine.all_indicators():
        ref.append([ind.code, str(ind.name), str(ind.denominator_text)])
    ref.append([])
    ref.append([str(_("level")), str(_("name"))])
    for code, label in LEVEL_CHOICES:
        ref.append([code, str(label)])
    ref.column_dimensions["A"].width = 36
    ref.column_dimensions["B"].width = 30
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
