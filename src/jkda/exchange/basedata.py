"""Import of base data: institutions (with the divisions they serve) and population figures per institution and
year. Both are upserts: a row changes the object with its code (or institution and year) when it differs, creates
it when missing, and leaves it alone when identical, so importing the same file twice changes nothing.

These files are small (hundreds of rows), so each row goes through the model's full_clean() and save() in its own
transaction: the model's rules, the institution's materialised path, and the messages the admin would show.
"""

from __future__ import annotations

import os
import time

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from jkda.regions.models import Division, Institution, PopulationBase

from .columns import CellError, Columns, institution_columns, population_columns
from .report import REPORT_HEADERS, RejectReport, Summary, default_report_path
from .sources import ImportFileError, Table, map_headers, open_table


class _DryRunRollback(Exception):
    pass


class BaseDataImport:
    kind = ""

    def __init__(self, path: str, *, actor=None, dry_run: bool = False, report_path: str | None = None,
                 encoding: str | None = None, progress=None, chunk_size: int | None = None):
        self.path = path
        self.actor = actor
        self.dry_run = dry_run
        self.report_path = report_path or default_report_path(path)
        self.encoding = encoding
        self.progress_factory = progress
        self.summary = Summary(kind=self.kind, path=path, dry_run=dry_run)
        self.required_message = str(forms.Field().error_messages["required"])

    def columns(self) -> Columns:
        raise NotImplementedError

    # column of the file (as named there) for a model field or column name
    def label(self, name: str) -> str:
        if name in self.headers.labels:
            return self.headers.labels[name]
        if name in self.cols.by_name:
            return self.cols[name].label
        return ""

    def parse(self, cells: list) -> tuple[dict, list[tuple[str, str]]]:
        values, problems = {}, []
        n = len(cells)
        if n > self.width and any(c not in (None, "") for c in cells[self.width:]):
            problems.append(("", _("This row has %(n)d cells but the header has %(m)d: a value probably contains the "
                                   "delimiter; put such values in quotes.") % {"n": n, "m": self.width}))
        for name, pos in self.headers.positions.items():
            raw = cells[pos] if pos < n else ""
            try:
                values[name] = self.cols[name].parse("" if raw is None else raw)
            except CellError as exc:
                problems.extend((self.label(name), m) for m in exc.messages)
                continue
            if self.cols[name].required and values[name] in (None, ""):
                problems.append((self.label(name), self.required_message))
        return values, problems

    def validation_problems(self, exc: ValidationError, field_to_column: dict[str, str]) -> list[tuple[str, str]]:
        out = []
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                column = "" if name == NON_FIELD_ERRORS else self.label(field_to_column.get(name, name))
                for e in errors:
                    out.extend((column, m) for m in e.messages)
        else:
            out.extend(("", m) for m in exc.messages)
        return out

    def rows(self, table: Table):
        for number, cells in table.rows():
            self.summary.rows += 1
            yield number, cells

    def process(self, table: Table) -> None:
        raise NotImplementedError

    def run(self) -> Summary:
        started = time.perf_counter()
        table = None
        self.report = None
        try:
            try:
                table = open_table(self.path, self.encoding)
                self.summary.encoding = table.encoding
                self.cols = self.columns()
                self.headers = map_headers(table.header, self.cols.lookup, ignore=set(REPORT_HEADERS))
                self.width = len(table.header)
                missing = [c for c in self.cols if c.required and c.name not in self.headers.positions]
                if missing:
                    raise ImportFileError(
                        _("Required columns are missing: %(cols)s. The first row must name the columns; see "
                          "docs/import.md for the names accepted.") % {
                            "cols": "、".join(f"{c.label}（{c.name}）" for c in missing)})
                self.summary.ignored_columns = self.headers.ignored
                self.report = RejectReport(self.report_path, table.header)
                if self.dry_run:
                    try:
                        with transaction.atomic():
                            self.process(table)
                            raise _DryRunRollback
                    except _DryRunRollback:
                        pass
                else:
                    self.process(table)
            except ImportFileError as exc:
                self.summary.stopped = str(exc)
            except DatabaseError as exc:
                self.summary.stopped = _("The database refused the import (%(err)s). Whole chunks were kept; run "
                                         "the import again to continue.") % {"err": exc}
        finally:
            if table is not None:
                table.close()
            if self.report is not None:
                self.summary.report_path = self.report.close()
            self.summary.seconds = time.perf_counter() - started
        if self.summary.report_path is None and self.report_path == default_report_path(self.path) \
                and os.path.exists(self.report_path) and not self.summary.stopped:
            os.remove(self.report_path)
            self.summary.notes.append(_("No rows were rejected; the old report %(path)s was removed.") % {
                "path": self.report_path})
        return self.summary

    def reject(self, number, cells, problems) -> None:
        self.report.add(number, cells, problems)
        self.summary.rejected += 1


def _level_for(code: str) -> str:
    if len(code) == 12:
        return Division.Level.VILLAGE
    if len(code) == 9:
        return Division.Level.TOWNSHIP
    if code.endswith("0000"):
        return Division.Level.PROVINCE
    if code.endswith("00"):
        return Division.Level.CITY
    return Division.Level.COUNTY


def _parent_division_code(code: str, level: str) -> tuple[str | None, bool]:
    """(code of the parent division, whether the parent must exist)."""
    if level == Division.Level.VILLAGE:
        return code[:9], True
    if level == Division.Level.TOWNSHIP:
        return code[:6], True
    if level == Division.Level.COUNTY:
        return code[:4] + "00", False
    if level == Division.Level.CITY:
        return code[:2] + "0000", False
    return None, False


class InstitutionImport(BaseDataImport):
    """`jkda import institutions FILE`: upsert by institution code; missing divisions are created."""

    kind = "institutions"
    FIELDS = ("name", "kind", "phone", "address")
    FIELD_TO_COLUMN = {"parent": "parent_code", "division": "division_code", "code": "code"}

    def columns(self) -> Columns:
        return institution_columns()

    def process(self, table: Table) -> None:
        pending = []
        first_row: dict[str, int] = {}
        for number, cells in self.rows(table):
            values, problems = self.parse(cells)
            code = values.get("code") or ""
            if not problems and code in first_row:
                problems = [(self.label("code"), _("The institution code %(code)s is also on row %(row)d of this "
                                                   "file.") % {"code": code, "row": first_row[code]})]
            if problems:
                self.reject(number, cells, problems)
                continue
            first_row[code] = number
            pending.append((number, cells, values))
        # Parents may come after their children, divisions after the institutions that need them: go round until
        # nothing more can be done.
        in_file_codes = {v["code"] for _n, _c, v in pending}
        division_rows = {v["division_code"] for _n, _c, v in pending if v.get("division_name")}
        while pending:
            later = []
            for number, cells, values in pending:
                state = self.ready(values, in_file_codes, division_rows)
                if state is True:
                    self.upsert(number, cells, values)
                    in_file_codes.discard(values["code"])
                elif state is False:
                    later.append((number, cells, values))
                else:
                    self.reject(number, cells, state)
                    in_file_codes.discard(values["code"])
            if len(later) == len(pending):
                for number, cells, values in later:
                    self.reject(number, cells, [(self.label("parent_code"), _(
                        "The parent institution %(code)s cannot be imported first (the rows refer to each other "
                        "in a circle).") % {"code": values.get("parent_code")})])
                break
            pending = later

    def ready(self, values, in_file_codes, division_rows):
        """True when the row can be written now, False to wait for other rows, or the problems refusing it."""
        parent_code = values.get("parent_code") or ""
        if parent_code:
            if parent_code == values["code"]:
                return [(self.label("parent_code"), _("The hierarchy would contain a cycle."))]
            if not Institution.objects.filter(code=parent_code).exists():
                if parent_code in in_file_codes:
                    return False
                return [(self.label("parent_code"), _("No institution has the code %(code)s.") % {
                    "code": parent_code})]
        code = values["division_code"]
        if not Division.objects.filter(code=code).exists():
            if not code.isdigit() or len(code) not in (6, 9, 12):
                return [(self.label("division_code"), _("A division code has 6 (county), 9 (township) or 12 "
                                                        "(village) digits."))]
            if not values.get("division_name"):
                return [(self.label("division_code"), _(
                    "There is no division %(code)s: give its name in the column %(col)s to create it.") % {
                        "code": code, "col": self.cols["division_name"].label})]
            level = values.get("division_level") or _level_for(code)
            parent, must = _parent_division_code(code, level)
            if parent and must and not Division.objects.filter(code=parent).exists():
                if parent in division_rows:
                    return False
                return [(self.label("division_code"), _(
                    "The division %(code)s needs its parent division %(parent)s, which does not exist: import a row "
                    "for it first.") % {"code": code, "parent": parent})]
        return True

    def upsert(self, number, cells, values) -> None:
        present = self.headers.positions
        try:
            with transaction.atomic():
                division = Division.objects.filter(code=values["division_code"]).first()
                if division is None:
                    code = values["division_code"]
                    level = values.get("division_level") or _level_for(code)
                    parent_code, _must = _parent_division_code(code, level)
                    division = Division(code=code, name=values["division_name"], level=level,
                                        parent=Division.objects.filter(code=parent_code).first()
                                        if parent_code else None)
                    division.full_clean()
                    division.save()
                inst = Institution.objects.filter(code=values["code"]).first()
                created = inst is None
                if created:
                    inst = Institution(code=values["code"])
                before = {f: getattr(inst, f) for f in (*self.FIELDS, "parent_id", "division_id")}
                for f in self.FIELDS:
                    if f in present and (values.get(f) not in (None, "") or f in ("phone", "address")):
                        setattr(inst, f, values.get(f) or "")
                if "parent_code" in present:
                    parent_code = values.get("parent_code") or ""
                    inst.parent = Institution.objects.get(code=parent_code) if parent_code else None
                inst.division = division
                after = {f: getattr(inst, f) for f in (*self.FIELDS, "parent_id", "division_id")}
                if not created and before == after:
                    self.summary.present += 1
                    return
                inst.full_clean(validate_unique=created)
                inst.save()
                if created:
                    self.summary.imported += 1
                else:
                    self.summary.updated += 1
        except ValidationError as exc:
            self.reject(number, cells, self.validation_problems(exc, self.FIELD_TO_COLUMN))


class PopulationImport(BaseDataImport):
    """`jkda import population FILE`: upsert by (institution, year); the model's clean() rules apply."""

    kind = "population"

    def columns(self) -> Columns:
        return population_columns()

    def process(self, table: Table) -> None:
        institutions: dict[str, Institution | None] = {}
        first_row: dict[tuple[str, int], int] = {}
        present = self.headers.positions
        for number, cells in self.rows(table):
            values, problems = self.parse(cells)
            if problems:
                self.reject(number, cells, problems)
                continue
            code = values["institution_code"]
            if code not in institutions:
                institutions[code] = Institution.objects.filter(code=code).first()
            inst = institutions[code]
            if inst is None:
                self.reject(number, cells, [(self.label("institution_code"), _(
                    "No institution has the code %(code)s.") % {"code": code})])
                continue
            key = (code, values["year"])
            if key in first_row:
                self.reject(number, cells, [(self.label("year"), _(
                    "The figures of %(inst)s for %(year)d are also on row %(row)d of this file.") % {
                        "inst": inst.name, "year": values["year"], "row": first_row[key]})])
                continue
            first_row[key] = number
            try:
                with transaction.atomic():
                    obj = PopulationBase.objects.filter(institution=inst, year=values["year"]).first()
                    created = obj is None
                    if created:
                        obj = PopulationBase(institution=inst, year=values["year"])
                    before = {f: getattr(obj, f) for f in PopulationBase.FIGURES}
                    for f in PopulationBase.FIGURES:
                        if f in present and values.get(f) is not None:
                            setattr(obj, f, values[f])
                    if created and obj.resident_population is None:
                        raise ValidationError({"resident_population": [self.required_message]})
                    after = {f: getattr(obj, f) for f in PopulationBase.FIGURES}
                    if not created and before == after:
                        self.summary.present += 1
                        continue
                    obj.full_clean(validate_unique=False)
                    obj.save()
                    if created:
                        self.summary.imported += 1
                    else:
                        self.summary.updated += 1
            except ValidationError as exc:
                self.reject(number, cells, self.validation_problems(exc, {"institution": "institution_code"}))
