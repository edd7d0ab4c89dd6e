from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .report import parse_half_year, resolve_area


class ReportForm(forms.Form):
    area = forms.CharField(label=_("Area"), max_length=32, help_text=_(
        "code of a division (city, district, township) or of an institution"),
        widget=forms.TextInput(attrs={"list": "area-choices", "autocomplete": "off"}))
    half_year = forms.CharField(label=_("Half-year"), max_length=10, help_text=_(
        "e.g. 2026H1 (January–June) or 2026H2 (July–December)"),
        widget=forms.TextInput(attrs={"list": "half-choices", "autocomplete": "off", "placeholder": "2026H1"}))

    def clean_area(self):
        value = self.cleaned_data["area"].strip()
        try:
            resolve_area(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        return value

    def clean_half_year(self):
        value = self.cleaned_data["half_year"].strip()
        try:
            return parse_half_year(value).code
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
