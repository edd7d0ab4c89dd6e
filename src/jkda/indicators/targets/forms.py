"""Entry forms: plain fields whose values go to actions (one place validates: actions.clean / parse_shares)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jkda.indicators import engine

from .models import LEVEL_CHOICES

MONTH_LABELS = [_("end of January"), _("end of February"), _("end of March"), _("end of April"), _("end of May"),
                _("end of June"), _("end of July"), _("end of August"), _("end of September"),
                _("end of October"), _("end of November"), _("end of December")]


def indicator_choices():
    return [("", "—")] + [(i.code, f"{i.name}（{i.code}）") for i in engine.all_indicators()]


class TargetForm(forms.Form):
    indicator = forms.CharField(label=_("Indicator"), required=False, widget=forms.Select)
    level = forms.CharField(label=_("Level"), required=False, widget=forms.Select(choices=[("", "—")] + LEVEL_CHOICES))
    area_code = forms.CharField(label=_("Area code"), required=False, max_length=32,
                                help_text=_("An institution code for level institution, else the division code."))
    year = forms.CharField(label=_("Year"), required=False, max_length=4)
    annual = forms.CharField(label=_("Annual target (%)"), required=False, max_length=10)
    half_year_share = forms.CharField(label=_("Half-year share (%)"), required=False, max_length=10, initial="50",
                                      help_text=_("The half-year target is this share of the annual target."))
    responsible_unit = forms.CharField(label=_("Responsible unit"), required=False, max_length=100)
    responsible_person = forms.CharField(label=_("Responsible person"), required=False, max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].widget.choices = indicator_choices()


class PlanForm(forms.Form):
    """Cumulative milestones, percent of the half's target; blank: no milestone that month."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for m in range(1, 13):
            self.fields[f"m{m}"] = forms.CharField(label=MONTH_LABELS[m - 1], required=False, max_length=10,
                                                   widget=forms.TextInput(attrs={"size": 6}))

    def shares(self) -> dict[int, str]:
        return {m: self.cleaned_data.get(f"m{m}", "") for m in range(1, 13)}


class ImportForm(forms.Form):
    file = forms.FileField(label=_("XLSX file"))
