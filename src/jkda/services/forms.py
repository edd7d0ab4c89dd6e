"""Web forms for every service form, derived from the model declaration (see services.base).

`form_class(model)` builds a ModelForm whose fields, labels, choices and validation come from the model; the
layout comes from the model's SECTIONS (records.forms.Section), repeatable rows from its REPEATABLE columns.
`display_sections(obj)` is the same layout filled with the stored values for the read-only page.
"""

from __future__ import annotations

import functools

from django import forms
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext

from jkda.codes.fields import CodeField
from jkda.records.forms import DateInput, RowsField, format_value, laid_out_sections

from .base import BASE_FIELDS, ServiceForm


def editable_fields(model: type[ServiceForm]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields
            if f.editable and not f.primary_key and f.name not in BASE_FIELDS]


def _formfield(model: type[ServiceForm]):
    def callback(model_field: models.Field, **kwargs):
        name = model_field.name
        label = kwargs.pop("label", None) or model_field.verbose_name
        if name in model.REPEATABLE:
            spec = model.REPEATABLE[name]
            columns, min_rows = spec if isinstance(spec[-1], int) else (spec, 2)
            return RowsField(columns, min_rows, label=capfirst(label), help_text=model_field.help_text)
        field = model_field.formfield(label=capfirst(label), **kwargs)
        if field is None:
            return None
        if isinstance(model_field, models.DateField):
            field.widget = DateInput()
        elif isinstance(model_field, (models.DecimalField, models.FloatField, models.IntegerField)):
            field.widget.attrs.setdefault("size", 6)
            field.widget.attrs.setdefault("class", "num")
        elif isinstance(field, forms.CharField) and not isinstance(model_field, CodeField) \
                and model_field.max_length:
            field.widget.attrs.setdefault("size", min(model_field.max_length, 40))
        return field

    return callback


class ServiceModelForm(forms.ModelForm):
    """Base of the derived forms: the paper layout for the template and the version for stale-edit checks."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["version"] = self.instance.version

    def sections(self):
        model = self._meta.model
        visible = [n for n, f in self.fields.items() if not f.widget.is_hidden]
        return [(section, [[self[n] for n in line] for line in lines])
                for section, lines in laid_out_sections(visible, model.SECTIONS)]

    def values(self) -> dict:
        """Cleaned values of the model's fields, for services.actions (never the bookkeeping fields)."""
        names = editable_fields(self._meta.model)
        return {n: getattr(self.instance, n) for n in names if n in self.fields}

    def changes(self) -> dict:
        names = set(editable_fields(self._meta.model))
        return {n: getattr(self.instance, n) for n in self.changed_data if n in names}


@functools.cache
def form_class(model: type[ServiceForm]) -> type[ServiceModelForm]:
    return forms.modelform_factory(model, form=ServiceModelForm, fields=editable_fields(model),
                                   formfield_callback=_formfield(model))


def field_label(model, name: str) -> str:
    try:
        return capfirst(str(model._meta.get_field(name).verbose_name))
    except Exception:  # noqa: BLE001 - a layout name that is not a field shows as itself
        return name


def display_value(obj: ServiceForm, name: str) -> str:
    value = getattr(obj, name, None)
    spec = type(obj).REPEATABLE.get(name)
    if spec and isinstance(value, list):
        columns = spec[0] if isinstance(spec[-1], int) else spec
        sep = "；"
        parts = []
        for row in value:
            if not isinstance(row, dict):
                continue
            cells = []
            for c in columns:
                v = str(row.get(c.key, "") or "")
                if v and c.valueset is not None:
                    v = c.valueset.label(v)
                if v:
                    cells.append(v)
            parts.append(" ".join(cells))
        return sep.join(p for p in parts if p)
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    return format_value(name, value, type(obj))


def display_sections(obj: ServiceForm):
    """The paper layout with the stored values, without the items that do not apply (`hidden_fields()`)."""
    model = type(obj)
    hidden = set(getattr(obj, "hidden_fields", lambda: ())())
    names = [n for n in editable_fields(model) if n not in hidden]
    return [(section, [[(n, field_label(model, n), display_value(obj, n)) for n in line] for line in lines])
            for section, lines in laid_out_sections(names, model.SECTIONS)]
