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


class _ElderlyFormField:
    """Hidden (and ignored) unless the form's resident is 65 or older on the service date (or today)."""

    def get_bound_field(self, form, field_name):
        instance = getattr(form, "instance", None)
        if instance is not None and not applies_to_elderly(instance):
            self.widget = forms.HiddenInput()
            self.disabled = True
            self.required = False
        return super().get_bound_field(form, field_name)


def applies_to_elderly(instance) -> bool:
    from jkda.records.rules import today

    from .rules import is_elderly

    if not getattr(instance, "record_id", None):
        return True
    on = getattr(instance, "service_date", None)
    if not isinstance(on, dt.date):
        on = today()
    return is_elderly(instance.record.resident.birth_date, on)


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


class ElderlyCodeField(CodeField):
    """A 65+ item (老年人…*): on the form only for residents aged 65 or more."""

    def formfield(self, **kwargs):
        return _retype(super().formfield(**kwargs), _ElderlyFormField, "Elderly")


class ElderlySmallIntegerField(models.PositiveSmallIntegerField):
    def formfield(self, **kwargs):
        return _retype(super().formfield(**kwargs), _ElderlyFormField, "Elderly")


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
