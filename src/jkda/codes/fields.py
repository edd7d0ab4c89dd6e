"""Model fields that carry their national value set: the single declaration forms, API and import derive from."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from .valuesets import ALL, ValueSet


class CodeField(models.CharField):
    """A single code from a value set."""

    def __init__(self, *args, valueset: ValueSet | str | None = None, **kwargs):
        if isinstance(valueset, str):
            valueset = ALL[valueset]
        self.valueset = valueset
        kwargs.setdefault("max_length", 8)
        if valueset is not None:
            kwargs["choices"] = valueset.choices
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("choices", None)
        if self.valueset is not None:
            kwargs["valueset"] = self.valueset.name
        return name, path, args, kwargs


class CodeListField(models.JSONField):
    """Several codes from one value set (a multi-choice box on the paper form), stored as a JSON list.

    The value set's "none" code excludes every other code.
    """

    def __init__(self, *args, valueset: ValueSet | str | None = None, **kwargs):
        if isinstance(valueset, str):
            valueset = ALL[valueset]
        self.valueset = valueset
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.valueset is not None:
            kwargs["valueset"] = self.valueset.name
        return name, path, args, kwargs

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        validate_code_list(self.valueset, value, self.verbose_name)

    def formfield(self, **kwargs):
        return forms.TypedMultipleChoiceField(
            choices=self.valueset.choices,
            required=not self.blank,
            label=kwargs.get("label") or self.verbose_name,
            help_text=self.help_text,
            widget=forms.CheckboxSelectMultiple,
        )


_VALID_LISTS: set[tuple] = set()  # (value set, *codes) found valid: a bulk import checks the same few lists again


def validate_code_list(valueset: ValueSet, value, label) -> None:
    if value in (None, ""):
        return
    key = None
    if type(value) is list:
        key = (id(valueset), *value)  # value sets are module constants: their id stays theirs
        try:
            if key in _VALID_LISTS:  # only lists of text are remembered, so this one is such a list
                return
        except TypeError:  # an item that is not hashable (a dict): never remembered
            key = None
    _check_code_list(valueset, value, label)
    if key is not None and all(type(c) is str for c in value):
        if len(_VALID_LISTS) > 10_000:
            _VALID_LISTS.clear()
        _VALID_LISTS.add(key)


def _check_code_list(valueset: ValueSet, value, label) -> None:
    if not isinstance(value, list):
        raise ValidationError(_("%(field)s must be a list of codes.") % {"field": label})
    unknown = [str(c) for c in value if c not in valueset]
    if unknown:
        raise ValidationError(
            _("%(field)s: unknown code(s) %(codes)s; allowed: %(allowed)s")
            % {"field": label, "codes": ", ".join(unknown), "allowed": ", ".join(valueset.codes)}
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("%(field)s: a code is given twice.") % {"field": label})
    if valueset.none_code and valueset.none_code in value and len(value) > 1:
        raise ValidationError(
            _("%(field)s: “%(none)s” cannot be ticked together with other items.")
            % {"field": label, "none": valueset.label(valueset.none_code)}
        )
