"""Import columns, derived from the model declarations.

Each national form is declared once, as a model. The columns of an import file are that model's fields: a header
may be the field's name (`id_number`), its Chinese label (`身份证号`, the verbose_name under zh-hans), its English
label, or one of the few common synonyms in `ALIASES`. Values are parsed by the kind of model field (a code from
the field's value set, given as code or label; several codes; a date; text), and wrong values get the message the
web form would show for the same input, taken from the form field Django builds for that model field.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import override

from jkda.codes import valuesets as V
from jkda.codes.fields import CodeField, CodeListField

from .sources import cell_as_text, normalise_header


class CellError(Exception):
    """A cell's value is wrong; `messages` say why (already translated)."""

    def __init__(self, *messages: str):
        super().__init__(*messages)
        self.messages = list(messages)


@dataclass
class Column:
    name: str
    label: str  # Chinese label, for documentation and reports
    parse: Callable[[object], object]
    required: bool = False  # the column must be present in the file
    field: models.Field | None = None
    aliases: tuple[str, ...] = ()
    help: str = ""
    english: str = ""

    def headers(self) -> list[str]:
        return [self.name, self.label, self.english, *self.aliases]


@dataclass
class Columns:
    """The columns of one kind of import file."""

    columns: list[Column]
    by_name: dict[str, Column] = field(default_factory=dict)
    lookup: dict[str, str] = field(default_factory=dict)  # normalised header → column name

    def __post_init__(self):
        for col in self.columns:
            self.by_name[col.name] = col
        # Field names and labels first, synonyms last: a synonym never shadows another column's own label.
        for col in self.columns:
            for h in (col.name, col.label, col.english):
                if h:
                    self.lookup.setdefault(normalise_header(h), col.name)
        for col in self.columns:
            for h in col.aliases:
                self.lookup.setdefault(normalise_header(h), col.name)

    def __iter__(self):
        return iter(self.columns)

    def __getitem__(self, name) -> Column:
        return self.by_name[name]


def labels_of(model_field) -> tuple[str, str]:
    """(Chinese, English) label of a model field."""
    with override("zh-hans"):
        zh = str(model_field.verbose_name)
    with override("en"):
        en = str(model_field.verbose_name)
    return zh, en


# --- values ------------------------------------------------------------------------------------------------------

def as_text(value) -> str:
    return value if isinstance(value, str) else cell_as_text(value)


def text_parser(model_field: models.CharField) -> Callable[[object], str]:
    max_length = model_field.max_length
    formfield = model_field.formfield()

    def parse(value) -> str:
        text = value if isinstance(value, str) else cell_as_text(value)
        if max_length and len(text) > max_length:
            try:
                formfield.clean(text)
            except ValidationError as exc:
                raise CellError(*exc.messages) from None
        return text

    return parse


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


class CodeTable:
    """Fast mapping of what people write (code, Chinese or English label, full-width forms) to a value set's code."""

    def __init__(self, valueset: V.ValueSet):
        self.valueset = valueset
        self.map: dict[str, str] = {}
        for code, zh, en in valueset.entries:
            for text in (code, zh, en):
                self.map.setdefault(text, code)
                self.map.setdefault(_fold(text), code)

    def __call__(self, text: str) -> str | None:
        code = self.map.get(text)
        if code is None:
            code = self.valueset.lookup(text) or self.map.get(_fold(text))
            if code is None and text.endswith(".0") and text[:-2].isdigit():  # a number Excel stored as 1.0
                code = self.valueset.lookup(text[:-2])
        return code

    def allowed(self) -> str:
        if len(self.valueset.entries) > 12:
            return _("Allowed: the code or the Chinese name (see the value set %(name)s in docs/import.md).") % {
                "name": self.valueset.name}
        return _("Allowed: %(values)s.") % {
            "values": "、".join(f"{code} {zh}" for code, zh, _en in self.valueset.entries)}


def code_parser(model_field: CodeField) -> Callable[[object], str]:
    table = CodeTable(model_field.valueset)
    formfield = model_field.formfield()

    def parse(value) -> str:
        text = value if isinstance(value, str) else cell_as_text(value)
        if not text:
            return ""
        code = table(text)
        if code is None:
            raise CellError(formfield.error_messages["invalid_choice"] % {"value": text} + " " + table.allowed())
        return code

    return parse


LIST_SPLIT_RE = re.compile(r"\s*[;；,，、/|]\s*")


def code_list_parser(model_field: CodeListField) -> Callable[[object], list]:
    table = CodeTable(model_field.valueset)
    formfield = model_field.formfield()

    def parse(value) -> list:
        text = value if isinstance(value, str) else cell_as_text(value)
        if not text:
            return []
        whole = table(text)
        if whole is not None:
            return [whole]
        codes = []
        for part in LIST_SPLIT_RE.split(text):
            if not part:
                continue
            code = table(part)
            if code is None:
                raise CellError(formfield.error_messages["invalid_choice"] % {"value": part} + " " + table.allowed())
            codes.append(code)
        return codes

    return parse


DATE_RES = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]0{1,2}:00(?::00(?:\.0+)?)?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date_text(text: str) -> dt.date | None:
    for rx in DATE_RES:
        m = rx.match(text)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def excel_date(value) -> dt.date | None:
    """A date from an XLSX cell: a date, a datetime, YYYYMMDD as a number, or an Excel serial day number."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 18000101 <= value <= 29991231:
            return parse_date_text(str(int(value)))
        if 1 <= value < 2958466:
            from openpyxl.utils.datetime import from_excel

            try:
                return from_excel(value).date()
            except (ValueError, OverflowError):
                return None
    return None


def date_parser(model_field: models.DateField) -> Callable[[object], dt.date | None]:
    formfield = model_field.formfield()

    def parse(value) -> dt.date | None:
        if isinstance(value, str):
            if not value:
                return None
            d = parse_date_text(value)
        elif value is None:
            return None
        else:
            d = excel_date(value)
        if d is None:
            raise CellError(formfield.error_messages["invalid"] + " " + _("Write dates as YYYY-MM-DD."))
        return d

    return parse


def _integer_text(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = cell_as_text(value)
    return str(value or "").replace(",", "").replace("，", "").strip()


def formfield_parser(
    model_field: models.Field, prepare: Callable[[object], str] | None = None
) -> Callable[[object], object]:
    """Any other field: its own form field parses it (the web form's messages by construction)."""
    formfield = model_field.formfield()
    prepare = prepare or as_text

    def parse(value):
        text = prepare(value)
        if not text:
            return None
        try:
            return formfield.clean(text)
        except ValidationError as exc:
            raise CellError(*exc.messages) from None

    return parse


def int_parser(model_field: models.Field) -> Callable[[object], int | None]:
    """Counts: thousands separators (also the full-width comma) and Excel's floats are accepted."""
    return formfield_parser(model_field, _integer_text)


# --- repeatable items of the personal basic information form (stored as JSON) -------------------------------------

ITEM_SPLIT_RE = re.compile(r"\s*[;；|]\s*|\s*[、,，]\s*(?=\D)")
ITEM_DATE_RE = re.compile(r"^(.*?)[\s:：]*(\d{4})(?:[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?|(\d{2})(\d{2})?)?\s*$")


def _json_cell(text: str, kind: type):
    try:
        value = json.loads(text)
    except ValueError:
        raise CellError(_("Not valid JSON: write the items as described in docs/import.md.")) from None
    if not isinstance(value, kind):
        raise CellError(_("Not valid JSON: write the items as described in docs/import.md."))
    return value


def _split_item(part: str) -> tuple[str, str]:
    """'高血压 2015-03' → ('高血压', '2015-03'); '阑尾切除 2010-05-01' → ('阑尾切除', '2010-05-01')."""
    m = ITEM_DATE_RE.match(part)
    if not m or not m.group(2) or not m.group(1).strip():
        return part.strip(), ""
    year = m.group(2)
    month = m.group(3) or m.group(5)
    day = m.group(4) or m.group(6)
    date = year
    if month:
        date += f"-{int(month):02d}"
        if day:
            date += f"-{int(day):02d}"
    return m.group(1).strip(), date


def _items(text: str):
    """(name, date) of each item of a repeatable cell such as “高血压 2015-03；糖尿病 2018-11”."""
    for part in ITEM_SPLIT_RE.split(text):
        if part:
            yield _split_item(part)


def past_diseases_parser(_field) -> Callable[[object], list]:
    table = CodeTable(V.PAST_DISEASE)

    def parse(value) -> list:
        text = as_text(value)
        if not text:
            return []
        if text[0] == "[":
            return _json_cell(text, list)
        items = []
        for name, date in _items(text):
            code = table(name) or name
            item = {"code": code}
            if date:
                item["date"] = date[:7]
            items.append(item)
        return items

    return parse


def named_items_parser(_field) -> Callable[[object], list]:
    def parse(value) -> list:
        text = as_text(value)
        if not text or text in ("无", "none", "None"):
            return []
        if text[0] == "[":
            return _json_cell(text, list)
        items = []
        for name, date in _items(text):
            item = {"name": name}
            if date:
                item["date"] = date
            items.append(item)
        return items

    return parse


MEMBER_SPLIT_RE = re.compile(r"\s*[;；|]\s*")
MEMBER_RE = re.compile(r"^(.+?)\s*[:：]\s*(.*)$")


def family_history_parser(_field) -> Callable[[object], dict]:
    members = CodeTable(V.FAMILY_MEMBER)
    diseases = CodeTable(V.FAMILY_DISEASE)

    def parse(value) -> dict:
        text = as_text(value)
        if not text:
            return {}
        if text[0] == "{":
            return _json_cell(text, dict)
        out: dict[str, list] = {}
        for part in MEMBER_SPLIT_RE.split(text):
            if not part:
                continue
            m = MEMBER_RE.match(part)
            if not m:
                raise CellError(_("Write the family history as 父亲:高血压、糖尿病；母亲:无 (member: diseases)."))
            member = members(m.group(1)) or m.group(1)
            out[member] = [diseases(p) or p for p in LIST_SPLIT_RE.split(m.group(2)) if p]
        return out

    return parse


def json_parser(_field) -> Callable[[object], object]:
    def parse(value):
        text = as_text(value)
        if not text:
            return None
        return _json_cell(text, (list, dict))

    return parse


ITEM_PARSERS = {
    "past_diseases": past_diseases_parser,
    "operations": named_items_parser,
    "injuries": named_items_parser,
    "transfusions": named_items_parser,
    "family_history": family_history_parser,
}


def parser_for(model_field: models.Field) -> Callable[[object], object]:
    if model_field.name in ITEM_PARSERS:
        return ITEM_PARSERS[model_field.name](model_field)
    if isinstance(model_field, CodeListField):
        return code_list_parser(model_field)
    if isinstance(model_field, CodeField):
        return code_parser(model_field)
    if isinstance(model_field, models.JSONField):
        return json_parser(model_field)
    if isinstance(model_field, models.DateField):
        return date_parser(model_field)
    if isinstance(model_field, models.IntegerField):
        return int_parser(model_field)
    if isinstance(model_field, models.CharField):
        return text_parser(model_field)
    return formfield_parser(model_field)


def model_column(model_field: models.Field, *, required: bool | None = None, aliases=(), help="") -> Column:
    zh, en = labels_of(model_field)
    if required is None:
        required = not model_field.blank and not model_field.has_default()
    return Column(name=model_field.name, label=zh, english=en, field=model_field, parse=parser_for(model_field),
                  required=required, aliases=tuple(aliases), help=help)


def code_column(name: str, label_field: models.Field, *, required: bool, aliases=(), help="",
                max_length: int = 32) -> Column:
    """A column holding the code of a related object (institution, division): '<label of the FK> + 编码'."""
    with override("zh-hans"):
        zh = f"{label_field.verbose_name}{_('code')}"
    with override("en"):
        en = f"{label_field.verbose_name} {_('code')}"

    def parse(value) -> str:
        text = as_text(value).replace(" ", "")
        if len(text) > max_length:
            raise CellError(_("A code has at most %(n)d characters.") % {"n": max_length})
        return text

    return Column(name=name, label=zh, english=en, field=None, parse=parse, required=required,
                  aliases=tuple(aliases), help=help)


def plain_column(name: str, zh: str, en: str, parse: Callable, *, required=False, aliases=(), help="") -> Column:
    return Column(name=name, label=zh, english=en, parse=parse, required=required, aliases=tuple(aliases),
                  help=help)


# --- the three kinds of file -------------------------------------------------------------------------------------

# Common synonyms seen in exported spreadsheets. Field names and labels derived from the models come first; these
# only add what people also write.
RESIDENT_ALIASES = {
    "name": ("姓名", "居民姓名"),
    "sex": ("性别",),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码"),
    "birth_date": ("出生日期", "出生年月日", "生日"),
    "current_address": ("现住址", "现住地址", "居住地址", "现居住地址", "家庭住址", "住址"),
    "registered_address": ("户籍地址", "户籍地", "户口所在地", "户籍所在地"),
    "phone": ("本人电话", "联系电话", "电话", "手机", "手机号", "手机号码"),
    "contact_name": ("联系人", "联系人姓名"),
    "contact_phone": ("联系人电话",),
    "work_unit": ("工作单位",),
    "residence_type": ("常住类型", "户籍类型", "居住类型"),
    "ethnicity": ("民族",),
    "abo": ("血型", "ABO血型", "血型ABO"),
    "rh": ("Rh血型", "RH血型", "血型Rh"),
    "education": ("文化程度", "学历"),
    "occupation": ("职业",),
    "marital_status": ("婚姻状况", "婚姻"),
    "payment": ("医疗费用支付方式", "支付方式", "医保类型", "医疗保险"),
    "drug_allergy": ("药物过敏史", "过敏史", "药物过敏"),
    "exposure": ("暴露史",),
    "past_diseases": ("既往史", "既往疾病", "疾病史"),
    "operations": ("手术史", "手术"),
    "injuries": ("外伤史", "外伤"),
    "transfusions": ("输血史", "输血"),
    "family_history": ("家族史",),
    "genetic_disease": ("遗传病史",),
    "disability": ("残疾情况", "残疾"),
}
RECORD_ALIASES = {
    "number": ("档案编号", "档案号", "健康档案编号", "档案编码", "record_number"),
    "institution_code": ("管理机构编码", "机构编码", "管理机构代码", "机构代码"),
    "village_code": ("村居编码", "村（居）委会编码", "村委会编码", "居委会编码", "村居委会编码", "村编码", "社区编码"),
    "established_on": ("建档日期", "建档时间"),
    "responsible_doctor": ("责任医生", "责任医师", "签约医生"),
}
INSTITUTION_ALIASES = {
    "code": ("机构编码", "机构代码", "编码"),
    "name": ("机构名称", "名称"),
    "kind": ("机构类别", "类别", "机构类型", "类型"),
    "parent_code": ("上级机构编码", "上级机构代码", "上级编码"),
    "division_code": ("区划编码", "行政区划编码", "行政区划代码", "区划代码", "服务区域编码"),
    "division_name": ("区划名称", "行政区划名称", "服务区域名称"),
    "division_level": ("区划级别", "行政区划级别"),
    "phone": ("电话", "联系电话"),
    "address": ("地址", "机构地址"),
}
POPULATION_ALIASES = {
    "institution_code": ("机构编码", "机构代码", "管理机构编码"),
    "year": ("年度", "年份", "年"),
    "resident_population": ("常住人口", "常住人口数", "服务人口"),
    "aged_65_plus": ("65岁及以上人口", "65岁以上人口", "65岁及以上人口数", "老年人口"),
    "aged_0_6": ("0-6岁儿童数", "0～6岁儿童数", "0-6岁儿童"),
    "aged_0_36_months": ("0-36个月儿童数", "0～36个月儿童数", "0-3岁儿童数"),
    "live_births": ("活产数", "出生数"),
    "est_hypertension": ("高血压估算患者数", "高血压估算人数"),
    "est_diabetes": ("糖尿病估算患者数", "糖尿病估算人数"),
    "registered_smi": ("严重精神障碍登记患者数", "严重精神障碍患者数"),
}


SCIENTIFIC_RE = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


def long_number_parser(model_field: models.CharField) -> Callable[[object], str]:
    """ID and record numbers: Excel keeps 15 significant digits, so a longer number stored as a number has lost
    its last digits. Say so instead of letting the checksum rule give a puzzling message."""
    inner = text_parser(model_field)

    def parse(value) -> str:
        lost = (isinstance(value, float) and abs(value) >= 1e15) or \
            (isinstance(value, int) and not isinstance(value, bool) and value >= 10**16) or \
            (isinstance(value, str) and SCIENTIFIC_RE.match(value.strip()))
        if lost:
            raise CellError(_("Excel has turned this number into %(value)s and lost its last digits: format the "
                              "column as text and type the number again.") % {"value": cell_as_text(value)})
        return inner(value).replace(" ", "")

    return parse


def resident_columns() -> Columns:
    """The resident form's editable fields, then the record's cover columns."""
    from jkda.records.actions import EDITABLE_FIELDS
    from jkda.records.models import Record, Resident

    cols = []
    for name in EDITABLE_FIELDS:
        model_field = Resident._meta.get_field(name)
        # As on the web form, sex and birth date may be left out when the ID number gives them.
        required = False if name in ("sex", "birth_date") else None
        cols.append(model_column(model_field, required=required, aliases=RESIDENT_ALIASES.get(name, ())))
        if name == "id_number":
            cols[-1].parse = long_number_parser(model_field)
    number = Record._meta.get_field("number")
    cols.append(Column(name="number", label=labels_of(number)[0], english=labels_of(number)[1], field=number,
                       parse=long_number_parser(number), aliases=RECORD_ALIASES["number"],
                       help=_("optional: a 17-digit (or 16-digit) number from an older system, kept as given")))
    cols.append(code_column("institution_code", Record._meta.get_field("institution"), required=True,
                            aliases=RECORD_ALIASES["institution_code"]))
    cols.append(code_column("village_code", Record._meta.get_field("village"), required=True,
                            aliases=RECORD_ALIASES["village_code"], max_length=12))
    established_on = Record._meta.get_field("established_on")
    cols.append(model_column(established_on, required=False, aliases=RECORD_ALIASES["established_on"],
                             help=_("optional: today when empty")))
    doctor = Record._meta.get_field("responsible_doctor_name")
    zh, en = labels_of(doctor)
    cols.append(Column(name="responsible_doctor", label=zh, english=en, field=doctor, parse=text_parser(doctor),
                       aliases=RECORD_ALIASES["responsible_doctor"],
                       help=_("optional: a staff user name or full name of the institution; other names are kept "
                              "as text")))
    return Columns(cols)


def institution_columns() -> Columns:
    from jkda.regions.models import Division, Institution

    f = Institution._meta.get_field
    cols = [
        model_column(f("code"), aliases=INSTITUTION_ALIASES["code"]),
        model_column(f("name"), aliases=INSTITUTION_ALIASES["name"]),
        model_column(f("kind"), aliases=INSTITUTION_ALIASES["kind"]),
        code_column("parent_code", f("parent"), required=False, aliases=INSTITUTION_ALIASES["parent_code"]),
        code_column("division_code", f("division"), required=True, aliases=INSTITUTION_ALIASES["division_code"],
                    max_length=12),
    ]
    dname = Division._meta.get_field("name")
    with override("zh-hans"):
        zh_name = f"{f('division').verbose_name}{dname.verbose_name}"
    with override("en"):
        en_name = f"{f('division').verbose_name} {dname.verbose_name}"
    cols.append(plain_column("division_name", zh_name, en_name, text_parser(dname),
                             aliases=INSTITUTION_ALIASES["division_name"],
                             help=_("needed only when the division does not exist yet")))
    level = Division._meta.get_field("level")
    with override("zh-hans"):
        zh_level = f"{f('division').verbose_name}{level.verbose_name}"
    with override("en"):
        en_level = f"{f('division').verbose_name} {level.verbose_name}"
    level_table = {}
    for value, _label in Division.Level.choices:
        level_table[value] = value
        for lang in ("zh-hans", "en"):
            with override(lang):
                level_table[_fold(str(Division.Level(value).label))] = value
    level_table.update({"省": "province", "市": "city", "区": "county", "县": "county", "区县": "county",
                        "乡镇": "township", "街道": "township", "乡": "township", "镇": "township",
                        "村": "village", "社区": "village", "居委会": "village", "村居": "village"})
    level_formfield = level.formfield()

    def parse_level(value):
        text = as_text(value)
        if not text:
            return ""
        code = level_table.get(text) or level_table.get(_fold(text))
        if code is None:
            raise CellError(level_formfield.error_messages["invalid_choice"] % {"value": text})
        return code

    cols.append(plain_column("division_level", zh_level, en_level, parse_level,
                             aliases=INSTITUTION_ALIASES["division_level"],
                             help=_("optional: inferred from the length of the code")))
    cols.append(model_column(f("phone"), aliases=INSTITUTION_ALIASES["phone"]))
    cols.append(model_column(f("address"), aliases=INSTITUTION_ALIASES["address"]))
    kind_col = cols[2]
    kind_table = {}
    for value, _label in Institution.Kind.choices:
        kind_table[value] = value
        for lang in ("zh-hans", "en"):
            with override(lang):
                kind_table[_fold(str(Institution.Kind(value).label))] = value
    kind_table.update({"中心": "chc", "服务站": "chs", "卫生院": "thc", "卫生室": "vc", "卫健局": "bureau",
                       "卫生局": "bureau", "疾控中心": "cdc"})
    kind_formfield = f("kind").formfield()

    def parse_kind(value):
        text = as_text(value)
        if not text:
            return ""
        code = kind_table.get(text) or kind_table.get(_fold(text))
        if code is None:
            allowed = "、".join(f"{k} {label}" for k, label in Institution.Kind.choices)
            raise CellError(kind_formfield.error_messages["invalid_choice"] % {"value": text} + " "
                            + _("Allowed: %(values)s.") % {"values": allowed})
        return code

    kind_col.parse = parse_kind
    return Columns(cols)


def population_columns() -> Columns:
    from jkda.regions.models import PopulationBase

    f = PopulationBase._meta.get_field
    cols = [code_column("institution_code", f("institution"), required=True,
                        aliases=POPULATION_ALIASES["institution_code"]),
            model_column(f("year"), aliases=POPULATION_ALIASES["year"])]
    for name in PopulationBase.FIGURES:
        cols.append(model_column(f(name), aliases=POPULATION_ALIASES.get(name, ())))
    return Columns(cols)
