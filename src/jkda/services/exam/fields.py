"""Model fields whose web-form field knows more than the generic derived form: values the form computes (BMI,
scores) show read-only, and the 65+ items disappear for younger residents.

The generic form (services.forms.form_class) asks each model field for its form field; these fields answer with a
form field whose bound field looks at the form's instance (the resident) when the form is rendered or cleaned.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jkda.codes.fields import CodeField

_CLASSES: dict[tuple[str, type], type] = {}


class _DerivedFormField:
    """Shown, never submitted: the model computes the value."""

    def get_bound_field(self, form, field_name):
        self.disabled = True
        self.required = False
        return super().get_bound_field(form, field_name)


class _ConditionalFormField:
    """Hidden (and ignored) when the form's instance says the item does not apply to this resident: its
    `hidden_fields()` names it (the 65+ items for a younger resident, gynaecology for a man)."""

    def get_bound_field(self, form, field_name):
        instance = getattr(form, "instance", None)
        hidden = instance.hidden_fields() if hasattr(instance, "hidden_fields") else ()
        if field_name in hidden:
            self.widget = forms.HiddenInput()
            self.disabled = True
            self.required = False
        return super().get_bound_field(form, field_name)


def service_day(instance) -> dt.date:
    """The form's service date, or today while a new form has none yet."""
    from jkda.records.rules import today

    on = getattr(instance, "service_date", None)
    return on if isinstance(on, dt.date) else today()


def _retype(field, mixin, tag):
    if field is None:
        return None
    key = (tag, type(field))
    if key not in _CLASSES:
        _CLASSES[key] = type(f"{tag}{type(field).__name__}", (mixin, type(field)), {})
    field.__class__ = _CLASSES[key]
    return field


class DerivedDecimalField(models.DecimalField):
    def formfield(self, **kwargs):
        field = _retype(super().formfield(**kwargs), _DerivedFormField, "Derived")
        field.help_text = field.help_text or _("computed")
        return field


class DerivedSmallIntegerField(models.PositiveSmallIntegerField):
    def formfield(self, **kwargs):
        field = _retype(super().formfield(**kwargs), _DerivedFormField, "Derived")
        field.help_text = field.help_text or _("computed")
        return field


class DerivedCodeField(CodeField):
    def formfield(self, **kwargs):
        field = _retype(super().formfield(**kwargs), _DerivedFormField, "Derived")
        field.help_text = field.help_text or _("computed")
        return field


class ConditionalCodeField(CodeField):
    """An item that applies to some residents only (老年人…* for 65+, 妇科 for women): hidden on the web form for
    the others (the model's clean() refuses a value sent anyway)."""

    def formfield(self, **kwargs):
        return _retype(super().formfield(**kwargs), _ConditionalFormField, "Conditional")


class ConditionalSmallIntegerField(models.PositiveSmallIntegerField):
    def formfield(self, **kwargs):
        return _retype(super().formfield(**kwargs), _ConditionalFormField, "Conditional")


@deconstructible
class Between:
    """Refuses a number outside [lo, hi] with a message that names the range (an impossible measurement)."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def __call__(self, value):
        if value is None:
            return
        if value < self.lo or value > self.hi:
            raise ValidationError(
                gettext("Impossible value %(value)s: it must be between %(lo)s and %(hi)s.")
                % {"value": value, "lo": self.lo, "hi": self.hi}, code="range")

    def __eq__(self, other):
        return isinstance(other, Between) and (self.lo, self.hi) == (other.lo, other.hi)

    def __hash__(self):
        return hash((self.lo, self.hi))


class ConditionalCharField(models.CharField):
    def formfield(self, **kwargs):
        return _retype(super().formfield(**kwargs), _ConditionalFormField, "Conditional")
