"""Web forms for the personal basic information form (个人基本信息表), derived from the Resident model.

Nothing here repeats the field list: the editable fields come from `actions.EDITABLE_FIELDS` (itself read from the
model's _meta), labels and value sets from the model fields. What this module adds is only

- the *layout* of the paper form: `SECTIONS`, groupings of field names (a tuple of names shares one line, like
  "payment ... other: ____" on paper); a field that no section names lands in a trailing section, so a field
  added to the model shows up without touching this file;
- widgets for the repeatable items (past diseases, operations, injuries, transfusions: rows) and the family
  history grid (member × disease check boxes), which the model stores as JSON;
- `display_sections` / `format_value`: the same layout with value-set labels, for the record page and history.

Validation stays in the model (`Resident.clean` → `rules.check_resident`) and the actions.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jkda.access.scope import WRITE_ROLES, assignable_institutions
from jkda.codes import valuesets as V
from jkda.codes.fields import CodeField, CodeListField
from jkda.records.layout import Column, Section  # noqa: F401 - re-exported for the forms of other apps
from jkda.regions.models import Division, Institution, Staff

from . import actions
from .models import Record, Resident

# --- layout of the paper form -------------------------------------------------------------------------------

# Cover fields that belong to the record rather than the resident (only the establish form edits them).
RECORD_COVER_FIELDS = ("number", "institution", "village", "responsible_doctor", "established_on")


SECTIONS: tuple[Section, ...] = (
    Section("cover", _("Cover"), (
        "number", "name", "current_address", "registered_address", "phone", "institution", "village",
        "responsible_doctor", "established_on",
    )),
    Section("basic", _("Basic information"), (
        "sex", "birth_date", "id_number", "work_unit", ("contact_name", "contact_phone"), "residence_type",
        "ethnicity", ("abo", "rh"), "education", "occupation", "marital_status", ("payment", "payment_other"),
    )),
    Section("history", _("Allergies, exposures and medical history"), (
        ("drug_allergy", "drug_allergy_other"), ("exposure", "exposure_detail"), "past_diseases", "operations",
        "injuries", "transfusions", "family_history", "genetic_disease", ("disability", "disability_other"),
    )),
    Section("environment", _("Living environment"), (
        "kitchen_exhaust", "fuel", "drinking_water", "toilet", "livestock_pen",
    )),
)
OTHER_SECTION_TITLE = _("Other")


def _names(lines) -> list[str]:
    out = []
    for line in lines:
        out.extend(line if isinstance(line, tuple) else (line,))
    return out


def laid_out_sections(available, sections=SECTIONS) -> list[tuple[Section, list[tuple[str, ...]]]]:
    """`sections` restricted to the names in `available` (order kept); unplaced names go to a last section."""
    available = list(available)
    placed: set[str] = set()
    out = []
    for section in sections:
        lines = []
        for line in section.lines:
            names = tuple(n for n in (line if isinstance(line, tuple) else (line,)) if n in available)
            if names:
                lines.append(names)
                placed.update(names)
        if lines:
            out.append((section, lines))
    rest = [(n,) for n in available if n not in placed]
    if rest:
        out.append((Section("other", OTHER_SECTION_TITLE, ()), rest))
    return out


# --- widgets and fields for the JSON items ------------------------------------------------------------------


class RowsWidget(forms.Widget):
    """Repeatable rows (one line per disease / operation ...): inputs named <field>-<i>-<column>."""

    def __init__(self, columns: tuple[Column, ...], min_rows: int = 2, attrs=None):
        super().__init__(attrs)
        self.columns = columns
        self.min_rows = min_rows

    def value_from_datadict(self, data, files, name):
        rows = []
        for i in range(100):
            keys = [f"{name}-{i}-{c.key}" for c in self.columns]
            if not any(k in data for k in keys):
                break
            rows.append({c.key: str(data.get(k, "")) for c, k in zip(self.columns, keys, strict=True)})
        return rows

    def value_omitted_from_data(self, data, files, name):
        return f"{name}-0-{self.columns[0].key}" not in data

    def id_for_label(self, id_):
        return f"{id_}-0-{self.columns[0].key}" if id_ else id_

    def _input(self, name, i, col, value):
        input_name = f"{name}-{i}-{col.key}"
        input_id = f"id_{input_name}"
        label = f"{col.label} {i + 1}"
        if col.valueset is not None:
            options = [format_html('<option value=""{}>—</option>', mark_safe(" selected") if not value else "")]
            for code, text in col.valueset.choices():
                options.append(format_html('<option value="{}"{}>{}</option>', code,
                                           mark_safe(" selected") if code == value else "", text))
            return format_html('<select name="{}" id="{}" aria-label="{}">{}</select>', input_name, input_id,
                               label, mark_safe("".join(options)))
        return format_html(
            '<input type="{}" name="{}" id="{}" value="{}" size="{}" placeholder="{}" aria-label="{}">',
            col.input_type, input_name, input_id, value or "", col.size, col.placeholder, label,
        )

    def render(self, name, value, attrs=None, renderer=None):
        rows = [r for r in (value or []) if isinstance(r, dict) and any(str(v or "").strip() for v in r.values())]
        count = max(self.min_rows, len(rows) + 1)
        head = format_html_join("", "<th>{}</th>", ((c.label,) for c in self.columns))
        body = []
        for i in range(count):
            row = rows[i] if i < len(rows) else {}
            cells = format_html_join("", "<td>{}</td>", (
                (self._input(name, i, c, str(row.get(c.key, "") or "")),) for c in self.columns))
            body.append(format_html("<tr>{}</tr>", cells))
        return format_html('<table class="rows" id="id_{}"><tr>{}</tr>{}</table>', name, head,
                           mark_safe("".join(body)))


class RowsField(forms.Field):
    widget = RowsWidget

    def __init__(self, columns: tuple[Column, ...], min_rows: int = 2, **kwargs):
        self.columns = columns
        kwargs.setdefault("required", False)
        kwargs["widget"] = RowsWidget(columns, min_rows)
        super().__init__(**kwargs)

    def normalise(self, value) -> list[dict]:
        rows = []
        for row in value or []:
            if not isinstance(row, dict):
                continue
            clean = {c.key: str(row.get(c.key, "") or "").strip() for c in self.columns}
            if any(clean.values()):
                rows.append(clean)
        return rows

    def to_python(self, value):
        return self.normalise(value)

    def has_changed(self, initial, data):
        return self.normalise(initial) != self.normalise(data)


class FamilyHistoryWidget(forms.Widget):
    """The family history grid: one check box per disease and family member, named <field>-<member>."""

    def value_from_datadict(self, data, files, name):
        getlist = getattr(data, "getlist", None)
        out = {}
        for member in V.FAMILY_MEMBER.codes:
            key = f"{name}-{member}"
            out[member] = list(getlist(key)) if getlist else list(data.get(key) or [])
        return out

    def value_omitted_from_data(self, data, files, name):
        return False  # unticked boxes send nothing

    def id_for_label(self, id_):
        return ""  # a grid of boxes: each has its own aria-label

    def render(self, name, value, attrs=None, renderer=None):
        value = value if isinstance(value, dict) else {}
        head = format_html_join("", "<th>{}</th>", ((text,) for _code, text in V.FAMILY_MEMBER.choices()))
        body = []
        for code, text in V.FAMILY_DISEASE.choices():
            cells = []
            for member in V.FAMILY_MEMBER.codes:
                ticked = code in [str(c) for c in (value.get(member) or [])]
                cells.append(format_html(
                    '<td><input type="checkbox" name="{}-{}" value="{}" id="id_{}-{}-{}" aria-label="{} {}"{}></td>',
                    name, member, code, name, member, code, V.FAMILY_MEMBER.label(member), text,
                    mark_safe(" checked") if ticked else ""))
            body.append(format_html("<tr><th>{}</th>{}</tr>", text, mark_safe("".join(cells))))
        return format_html('<table class="grid" id="id_{}"><tr><th></th>{}</tr>{}</table>', name, head,
                           mark_safe("".join(body)))


class FamilyHistoryField(forms.Field):
    widget = FamilyHistoryWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    @staticmethod
    def normalise(value) -> dict:
        if not isinstance(value, dict):
            return {}
        out = {}
        for member, codes in value.items():
            codes = [str(c) for c in (codes or [])]
            if codes:
                out[member] = sorted(codes, key=lambda c: (len(c), c))
        return out

    def to_python(self, value):
        return self.normalise(value)

    def has_changed(self, initial, data):
        return self.normalise(initial) != self.normalise(data)


_YM = _("YYYY-MM")
_YMD = _("YYYY-MM-DD")
# Columns of the repeatable items (keys are the JSON keys the model documents) and the number of empty lines the
# paper form has for them (one more than the filled ones is always offered).
REPEATABLE: dict[str, tuple[tuple[Column, ...], int]] = {
    "past_diseases": ((
        Column("code", _("disease"), valueset=V.PAST_DISEASE),
        Column("date", _("diagnosed (year-month)"), placeholder=_YM, size=8),
        Column("note", _("note"), size=16),
    ), 6),
    "operations": ((Column("name", _("name"), size=20), Column("date", _("date"), placeholder=_YMD, size=10)), 2),
    "injuries": ((Column("name", _("name"), size=20), Column("date", _("date"), placeholder=_YMD, size=10)), 2),
    "transfusions": ((Column("name", _("reason"), size=20), Column("date", _("date"), placeholder=_YMD, size=10)), 2),
}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def resident_formfield(model_field: models.Field, **kwargs) -> forms.Field | None:
    """formfield_callback: the model field's own form field, with widgets for the paper form's JSON items."""
    name = model_field.name
    label = kwargs.pop("label", None) or model_field.verbose_name
    if name in REPEATABLE:
        columns, min_rows = REPEATABLE[name]
        return RowsField(columns, min_rows, label=label)
    if name == "family_history":
        return FamilyHistoryField(label=label)
    field = model_field.formfield(label=label, **kwargs)
    if isinstance(model_field, models.DateField):
        field.widget = DateInput()
    if name in ("sex", "birth_date"):
        # May be left empty when a valid ID number is given: the model derives them (and says so if it can't).
        field.required = False
    if isinstance(field, forms.CharField) and not isinstance(model_field, CodeField) and model_field.max_length:
        field.widget.attrs.setdefault("size", min(model_field.max_length, 40))
    return field


class ResidentForm(forms.ModelForm):
    """The personal basic information form; fields, labels and choices all come from the Resident model."""

    class Meta:
        model = Resident
        fields = actions.EDITABLE_FIELDS
        formfield_callback = resident_formfield

    def validate_unique(self):
        """Duplicate ID numbers are the action's business (it names and links the existing record)."""

    def sections(self):
        """[(section, [[bound field, ...] per line])] in the paper form's order, for the template."""
        visible = [n for n, f in self.fields.items() if not f.widget.is_hidden]
        return [(section, [[self[n] for n in line] for line in lines])
                for section, lines in laid_out_sections(visible)]


def area_prefix(institution: Institution) -> str:
    """The division code under which an institution's villages lie: its township (or county for a bureau)."""
    division = institution.division
    return area_prefix_of(division.code, division.level, division.parent.code if division.parent_id else None)


def area_prefix_of(code: str, level: str, parent_code: str | None) -> str:
    """area_prefix() from the institution's division's code and level and its parent's code (a station or village
    clinic serves a village: its villages are those of the village's township)."""
    return parent_code if level == Division.Level.VILLAGE and parent_code else code


def villages_for(institution: Institution | None):
    if institution is None:
        return Division.objects.none()
    return Division.objects.filter(level=Division.Level.VILLAGE, code__startswith=area_prefix(institution))


def doctors_for(institution: Institution | None):
    """Staff who can be a record's responsible doctor: of the institution or the one it reports to."""
    if institution is None:
        return Staff.objects.none()
    ids = [institution.pk] + ([institution.parent_id] if institution.parent_id else [])
    return (Staff.objects.filter(institution_id__in=ids, is_active=True, role__in=WRITE_ROLES)
            .select_related("institution").order_by("institution__code", "full_name", "username"))


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({obj.institution.name})" if obj.institution_id else str(obj)


class EstablishForm(ResidentForm):
    """The establish form: the resident's form plus the cover fields that belong to the record."""

    institution = forms.ModelChoiceField(Institution.objects.none(), label=Record._meta.get_field(
        "institution").verbose_name)
    village = forms.ModelChoiceField(Division.objects.none(), label=Record._meta.get_field("village").verbose_name)
    responsible_doctor = StaffChoiceField(Staff.objects.none(), required=False,
                                          label=Record._meta.get_field("responsible_doctor").verbose_name)
    established_on = forms.DateField(label=Record._meta.get_field("established_on").verbose_name, widget=DateInput())

    def __init__(self, *args, user, **kwargs):
        from .rules import today

        super().__init__(*args, **kwargs)
        self.user = user
        institutions = assignable_institutions(user).select_related("division__parent").order_by("path", "code")
        self.fields["institution"].queryset = institutions
        chosen = self.chosen_institution(institutions)
        self.fields["village"].queryset = villages_for(chosen)
        self.fields["responsible_doctor"].queryset = doctors_for(chosen)
        if not self.is_bound:
            self.initial.setdefault("institution", chosen.pk if chosen else None)
            self.initial.setdefault("established_on", today())
            if getattr(user, "role", None) in WRITE_ROLES and doctors_for(chosen).filter(pk=user.pk).exists():
                self.initial.setdefault("responsible_doctor", user.pk)
            if chosen is not None and chosen.division.level == Division.Level.VILLAGE:
                self.initial.setdefault("village", chosen.division_id)

    def chosen_institution(self, institutions) -> Institution | None:
        """The institution the village and doctor choices depend on: the posted one, else the user's own."""
        raw = self.data.get(self.add_prefix("institution")) if self.is_bound else self.initial.get("institution")
        if raw:
            try:
                return institutions.filter(pk=int(getattr(raw, "pk", raw))).first()
            except (TypeError, ValueError):
                return None
        if self.is_bound:
            return None
        own = institutions.filter(pk=getattr(self.user, "institution_id", None)).first()
        return own or institutions.first()


class EditForm(ResidentForm):
    """The edit form: the resident's form and the version it was read at (a stale save is refused)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def changes(self) -> dict:
        """The changed fields with their cleaned (model-normalised) values, for actions.update_resident."""
        return {n: getattr(self.instance, n) for n in self.changed_data if n in actions.EDITABLE_FIELDS}


# --- display ------------------------------------------------------------------------------------------------

def _join(items) -> str:
    sep = ", " if (get_language() or "").startswith("en") else "、"
    return sep.join(str(i) for i in items if i not in (None, ""))


def _model_field(name: str, model=Resident):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def field_label(name: str) -> str:
    for model in (Resident, Record):
        field = _model_field(name, model)
        if field is not None and hasattr(field, "verbose_name"):
            return capfirst(str(field.verbose_name))
    return name


def format_value(name: str, value, model=Resident) -> str:
    """A stored value (or a JSON before/after of the history) as the form shows it: labels, not codes."""
    if value in (None, "", [], {}):
        return ""
    field = _model_field(name, model)
    if name == "past_diseases" and isinstance(value, list):
        return _join(" ".join(x for x in (V.PAST_DISEASE.label(str(i.get("code", ""))), str(i.get("date") or ""),
                                          str(i.get("note") or "")) if x)
                     for i in value if isinstance(i, dict))
    if name in REPEATABLE and isinstance(value, list):
        return _join(" ".join(x for x in (str(i.get("name") or ""), str(i.get("date") or "")) if x)
                     for i in value if isinstance(i, dict))
    if name == "family_history" and isinstance(value, dict):
        en = (get_language() or "").startswith("en")
        sep, colon = ("; ", ": ") if en else ("；", "：")
        return sep.join(f"{V.FAMILY_MEMBER.label(m)}{colon}{_join(V.FAMILY_DISEASE.label(str(c)) for c in codes)}"
                        for m, codes in value.items() if codes)
    if isinstance(field, CodeListField) and isinstance(value, list):
        return _join(field.valueset.label(str(c)) for c in value)
    if isinstance(field, CodeField) and field.valueset is not None:
        return field.valueset.label(str(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return _join(value)
    return str(value)


def record_value(record: Record, name: str) -> str:
    """A cover or form value of a record for display."""
    if name == "number":
        return record.number
    if name == "institution":
        return record.institution.name
    if name == "village":
        return record.village.name
    if name == "responsible_doctor":
        return record.responsible_doctor_name
    if name == "established_on":
        return record.established_on.isoformat()
    return format_value(name, getattr(record.resident, name))


def display_sections(record: Record) -> list[tuple[Section, list[list[tuple[str, str, str]]]]]:
    """The paper layout filled with the record's values: [(section, [[(name, label, text), ...] per line])]."""
    names = [*RECORD_COVER_FIELDS, *actions.EDITABLE_FIELDS]
    return [(section, [[(n, field_label(n), record_value(record, n)) for n in line] for line in lines])
            for section, lines in laid_out_sections(names)]


def all_section_names() -> list[str]:
    return _names(line for section in SECTIONS for line in section.lines)
