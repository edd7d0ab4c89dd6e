"""`jkda import usage FILE` and `jkda import uploads FILE`: the platform's own logs, from CSV or XLSX.

The machinery is the base-data importer's (jkda.exchange.basedata): headers in Chinese or English, each row checked
and either written or sent to FILE.rejected.csv with the reason, a dry run, a summary. Every row goes through
actions.record_usage / actions.record_upload, so an imported use or upload is the same thing as one the system
recorded. Both imports are idempotent: a usage line is known by (function, institution, doctor, time), an upload by
(institution, kind, day), and importing the same file again reports every row as already present.
"""

from __future__ import annotations

import datetime as dt
import os
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from jkda.access import audit
from jkda.exchange.basedata import BaseDataImport
from jkda.exchange.columns import (
    LIST_SPLIT_RE,
    CellError,
    Columns,
    _fold,
    as_text,
    code_column,
    date_parser,
    excel_date,
    int_parser,
    labels_of,
    plain_column,
    text_parser,
)
from jkda.regions.models import Institution, Staff

from . import actions
from .models import (
    BusinessFunction,
    DocumentSubset,
    PlatformDoctor,
    Source,
    UploadBatch,
    UploadKind,
    UsageEvent,
)

DATETIME_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(\d{1,2})[:：时](\d{1,2})"
                         r"(?:[:：分](\d{1,2})(?:\.\d+)?秒?)?)?$")


def parse_datetime_cell(value) -> dt.datetime | None:
    """A time of use: an Excel date or datetime, 'YYYY-MM-DD HH:MM[:SS]' (also with / or 年月日), or a date alone
    (midnight). Local time (Asia/Shanghai)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        naive = value.replace(tzinfo=None)
    elif isinstance(value, (dt.date, int, float)) and not isinstance(value, bool):
        day = excel_date(value)
        if isinstance(value, float) and day is not None and not float(value).is_integer():
            from openpyxl.utils.datetime import from_excel

            naive = from_excel(value).replace(microsecond=0)
        elif day is None:
            raise CellError(_("Not a date and time: write YYYY-MM-DD HH:MM."))
        else:
            naive = dt.datetime.combine(day, dt.time.min)
    else:
        m = DATETIME_RE.match(as_text(value))
        if not m:
            raise CellError(_("Not a date and time: write YYYY-MM-DD HH:MM."))
        parts = [int(g) if g else 0 for g in m.groups()]
        try:
            naive = dt.datetime(*parts)
        except ValueError:
            raise CellError(_("Not a date and time: write YYYY-MM-DD HH:MM.")) from None
    return timezone.make_aware(naive)


def usage_columns() -> Columns:
    f = UsageEvent._meta.get_field
    table = {}
    for pk, code, name in BusinessFunction.objects.values_list("pk", "code", "name"):
        for text in (code, name):
            table[_fold(text)] = pk

    def parse_function(value):
        text = as_text(value)
        if not text:
            return None
        pk = table.get(_fold(text))
        if pk is None:
            names = "、".join(BusinessFunction.objects.filter(active=True).values_list("name", flat=True))
            raise CellError(_("There is no business function %(value)s. Allowed: %(names)s.") % {
                "value": text, "names": names})
        return pk

    def parse_at(value):
        return parse_datetime_cell(value)

    count_parse = int_parser(f("count"))

    def parse_count(value):
        n = count_parse(value)
        if n is not None and n < 1:
            raise CellError(_("The number of uses is at least 1."))
        return n

    fn_zh, fn_en = labels_of(f("function"))
    doc_zh, doc_en = labels_of(f("doctor_name"))
    at_zh, at_en = labels_of(f("at"))
    n_zh, n_en = labels_of(f("count"))
    return Columns([
        plain_column("function", fn_zh, fn_en, parse_function, required=True,
                     aliases=("功能", "功能名称", "业务功能名称", "功能模块", "模块", "业务模块", "function_code")),
        code_column("institution_code", f("institution"), required=True, aliases=("机构编码", "机构代码")),
        plain_column("doctor_name", doc_zh, doc_en, text_parser(f("doctor_name")),
                     aliases=("医生", "医生姓名", "医师", "使用人", "用户", "用户名", "操作人", "使用医生")),
        plain_column("at", at_zh, at_en, parse_at, required=True,
                     aliases=("时间", "使用时间", "访问时间", "点击时间", "操作时间", "日期", "使用日期")),
        plain_column("count", n_zh, n_en, parse_count, aliases=("次数", "使用次数", "点击次数", "访问次数")),
    ])


KIND_ALIASES = {
    "health_reform": ("医改监测", "医改监测项目", "医改监测数据", "医改"),
    "health_record": ("健康档案", "健康档案文档", "健康档案共享文档", "居民健康档案"),
    "emr": ("电子病历", "电子病历文档", "电子病历共享文档", "病历", "EMR"),
}


def upload_columns() -> Columns:
    f = UploadBatch._meta.get_field
    kinds = {}
    for value, _label in UploadKind.choices:
        kinds[_fold(value)] = value
        for lang in ("zh-hans", "en"):
            with override(lang):
                kinds[_fold(str(UploadKind(value).label))] = value
        for alias in KIND_ALIASES.get(value, ()):
            kinds[_fold(alias)] = value

    def parse_kind(value):
        text = as_text(value)
        if not text:
            return None
        kind = kinds.get(_fold(text))
        if kind is None:
            raise CellError(_("Unknown upload kind %(value)s.") % {"value": text} + " " + _("Allowed: %(values)s.") % {
                "values": "、".join(str(label) for _v, label in UploadKind.choices)})
        return kind

    def parse_subsets(value):
        text = as_text(value)
        return [p for p in LIST_SPLIT_RE.split(text) if p] if text else []

    kind_zh, kind_en = labels_of(f("kind"))
    sub_zh, sub_en = labels_of(f("subsets"))
    day = date_parser(f("day"))
    day_zh, day_en = labels_of(f("day"))
    rec_zh, rec_en = labels_of(f("records"))
    return Columns([
        plain_column("kind", kind_zh, kind_en, parse_kind, required=True,
                     aliases=("上传类型", "类型", "数据类型", "上传类别", "类别")),
        code_column("institution_code", f("institution"), required=True, aliases=("机构编码", "机构代码")),
        plain_column("day", day_zh, day_en, day, required=True, aliases=("日期", "上传日期", "上传时间")),
        plain_column("records", rec_zh, rec_en, int_parser(f("records")), required=True,
                     aliases=("记录数", "上传记录数", "上传数", "上传数量", "数量", "条数")),
        plain_column("subsets", sub_zh, sub_en, parse_subsets,
                     aliases=("文档子集", "子集", "上传子集", "共享文档", "文档类型", "数据子集")),
    ])


def registration_columns() -> Columns:
    f = PlatformDoctor._meta.get_field
    doc_zh, doc_en = labels_of(f("name"))
    on_zh, on_en = labels_of(f("registered_on"))
    left_zh, left_en = labels_of(f("left_on"))
    return Columns([
        code_column("institution_code", f("institution"), required=True, aliases=("机构编码", "机构代码")),
        plain_column("doctor_name", doc_zh, doc_en, text_parser(f("name")),
                     aliases=("医生", "医生姓名", "医师", "用户名", "注册医生"),
                     help=_("empty: the row registers the institution itself")),
        plain_column("registered_on", on_zh, on_en, date_parser(f("registered_on")), required=True,
                     aliases=("注册日期", "注册时间", "开通日期")),
        plain_column("left_on", left_zh, left_en, date_parser(f("left_on")),
                     aliases=("注销日期", "注销时间", "停用日期")),
    ])


class _PlatformImport(BaseDataImport):
    FIELD_TO_COLUMN = {"institution": "institution_code"}

    def __init__(self, path: str, *, chunk_size: int | None = None, **kw):
        super().__init__(path, **kw)
        self.chunk_size = chunk_size or 2000
        self.institutions: dict[str, Institution | None] = {}

    def institution(self, code: str) -> Institution | None:
        if code not in self.institutions:
            self.institutions[code] = Institution.objects.filter(code=code).first()
        return self.institutions[code]

    def row_institution(self, number, cells, values) -> Institution | None:
        """The institution a row names, or None once the row is rejected for naming an unknown one."""
        inst = self.institution(values["institution_code"])
        if inst is None:
            self.reject(number, cells, [(self.label("institution_code"), _("No institution has the code %(code)s.")
                                         % {"code": values["institution_code"]})])
        return inst

    def count(self, status: str) -> None:
        if status == actions.CREATED:
            self.summary.imported += 1
        elif status == actions.UPDATED:
            self.summary.updated += 1
        else:
            self.summary.present += 1

    def process(self, table) -> None:
        rows = self.rows(table)
        while True:
            with transaction.atomic():
                n = 0
                for number, cells in rows:
                    self.row(number, cells)
                    n += 1
                    if n >= self.chunk_size:
                        break
                if n < self.chunk_size:
                    break
        s = self.summary
        audit.log("create", user=self.actor, object_type=f"platform_usage.{self.kind}_import",
                  object_id=os.path.basename(self.path)[:64], detail={
                      "rows": s.rows, "imported": s.imported, "updated": s.updated, "present": s.present,
                      "rejected": s.rejected})

    def write(self, number, cells, call) -> None:
        try:
            status = call()
        except ValidationError as exc:
            self.reject(number, cells, self.validation_problems(exc, self.FIELD_TO_COLUMN))
            return
        except PermissionDenied as exc:
            self.reject(number, cells, [(self.label("institution_code"), str(exc))])
            return
        self.count(status)


class UsageImport(_PlatformImport):
    kind = "usage"

    def columns(self) -> Columns:
        self.functions = {f.pk: f for f in BusinessFunction.objects.all()}
        self.first_row: dict[tuple, int] = {}
        self.doctors: dict[tuple[int, str], Staff | None] = {}
        return usage_columns()

    def doctor(self, inst: Institution, name: str) -> Staff | None:
        key = (inst.pk, name)
        if key not in self.doctors:
            staff = list(Staff.objects.filter(institution=inst, username=name)[:1]) or \
                list(Staff.objects.filter(institution=inst, full_name=name)[:2])
            self.doctors[key] = staff[0] if len(staff) == 1 else None
        return self.doctors[key]

    def row(self, number, cells) -> None:
        values, problems = self.parse(cells)
        if problems:
            self.reject(number, cells, problems)
            return
        inst = self.row_institution(number, cells, values)
        if inst is None:
            return
        name = values.get("doctor_name") or ""
        key = (values["function"], inst.pk, name, values["at"])
        if key in self.first_row:
            self.reject(number, cells, [("", _("The same use (function, institution, doctor and time) is also on "
                                               "row %(row)d of this file.") % {"row": self.first_row[key]})])
            return
        self.first_row[key] = number
        function = self.functions[values["function"]]
        doctor = self.doctor(inst, name) if name else None
        self.write(number, cells, lambda: actions.record_usage(
            self.actor, function, institution=inst, doctor=doctor, doctor_name=name, at=values["at"],
            count=values.get("count") or 1, source=Source.IMPORT)[1])


class UploadImport(_PlatformImport):
    kind = "uploads"
    FIELD_TO_COLUMN = {"institution": "institution_code", "subsets": "subsets"}

    def columns(self) -> Columns:
        self.catalogue: dict[str, list[DocumentSubset]] = {}
        for s in DocumentSubset.objects.all():
            self.catalogue.setdefault(s.kind, []).append(s)
        self.first_row: dict[tuple, int] = {}
        return upload_columns()

    def subsets(self, kind: str, texts: list[str]) -> list[DocumentSubset]:
        found, unknown = [], []
        catalogue = self.catalogue.get(kind, [])
        for text in texts:
            if _fold(text) in ("全部", "all"):
                found.extend(s for s in catalogue if s.required and s not in found)
                continue
            subset = next((s for s in catalogue if _fold(s.code) == _fold(text) or s.name == text), None)
            if subset is None:
                unknown.append(text)
            elif subset not in found:
                found.append(subset)
        if unknown:
            raise CellError(_("Not a document subset of %(kind)s: %(values)s.") % {
                "kind": UploadKind(kind).label, "values": "、".join(unknown)})
        return found

    def row(self, number, cells) -> None:
        values, problems = self.parse(cells)
        if not problems:
            try:
                values["subsets"] = self.subsets(values["kind"], values.get("subsets") or [])
            except CellError as exc:
                problems = [(self.label("subsets"), m) for m in exc.messages]
        if problems:
            self.reject(number, cells, problems)
            return
        inst = self.row_institution(number, cells, values)
        if inst is None:
            return
        key = (inst.pk, values["kind"], values["day"])
        if key in self.first_row:
            self.reject(number, cells, [("", _("The uploads of %(inst)s of this kind on %(day)s are also on row "
                                               "%(row)d of this file.") % {
                "inst": inst.name, "day": values["day"].isoformat(), "row": self.first_row[key]})])
            return
        self.first_row[key] = number
        self.write(number, cells, lambda: actions.record_upload(
            self.actor, values["kind"], institution=inst, day=values["day"], records=values["records"],
            subsets=values["subsets"], source=Source.IMPORT, replace=True, write_audit=False)[1])


class RegistrationImport(_PlatformImport):
    """`jkda import registrations FILE`: institutions (rows without a doctor) and doctors registered on the
    platform, with the date registered and, when they left, the date they left. Upsert by institution (and name)."""

    kind = "registrations"
    FIELD_TO_COLUMN = {"institution": "institution_code", "name": "doctor_name", "left_on": "left_on"}

    def columns(self) -> Columns:
        self.first_row: dict[tuple, int] = {}
        self.doctors: dict[tuple[int, str], Staff | None] = {}
        return registration_columns()

    doctor = UsageImport.doctor

    def row(self, number, cells) -> None:
        values, problems = self.parse(cells)
        if problems:
            self.reject(number, cells, problems)
            return
        inst = self.row_institution(number, cells, values)
        if inst is None:
            return
        name = values.get("doctor_name") or ""
        key = (inst.pk, name)
        if key in self.first_row:
            self.reject(number, cells, [("", _("The registration of %(who)s is also on row %(row)d of this file.") % {
                "who": f"{inst.name} {name}".strip(), "row": self.first_row[key]})])
            return
        self.first_row[key] = number
        if not name:
            self.write(number, cells, lambda: actions.register_institution(
                self.actor, inst, values["registered_on"], values.get("left_on"))[1])
            return
        self.write(number, cells, lambda: actions.register_doctor(
            self.actor, inst, name, values["registered_on"], staff=self.doctor(inst, name),
            left_on=values.get("left_on"))[1])
