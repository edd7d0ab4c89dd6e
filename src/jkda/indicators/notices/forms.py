"""The notice form: indicator, period, level, target and criticism line, and the optional text of the notice."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from jkda.indicators import engine, periods
from jkda.regions.models import Division

from .notice import LEVEL_NAMES

LEVEL_CHOICES = [(k, LEVEL_NAMES[k]) for k in ("county", "township", "institution", "city")]


def indicator_choices():
    return [(i.code, i.name) for i in engine.all_indicators()]


def area_choices(user):
    """Divisions a user may limit a notice to: the divisions under the one their institution serves."""
    qs = Division.objects.filter(level__in=("city", "county", "township")).order_by("code")
    inst = user.institution
    if inst is None:
        qs = qs.none()
    else:  # the division's own digits: 3205 for the city 320500, 320506 for a county, all 9 for a township
        own = inst.division
        digits = {"province": 2, "city": 4, "county": 6}.get(own.level, len(own.code))
        qs = qs.filter(code__startswith=own.code[:digits])
    return [("", _("all that I may see"))] + [(d.code, f"{d.name}（{d.code}）") for d in qs]


class RankingForm(forms.Form):
    indicator = forms.ChoiceField(label=_("Indicator"), choices=())
    period = forms.CharField(label=_("Period"), max_length=30,
                             help_text=_("2026, 2026H1, 2026Q3, 2026-05, 2026-ytd, 2026-05-ytd"))
    level = forms.ChoiceField(label=_("Level"), choices=LEVEL_CHOICES, initial="county")
    within = forms.ChoiceField(label=_("Area"), choices=(), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = indicator_choices()
        self.fields["within"].choices = area_choices(user)
        self.fields["period"].initial = str(periods.today().year)

    def clean_period(self):
        try:
            return periods.parse(self.cleaned_data["period"])
        except periods.PeriodError as exc:
            raise forms.ValidationError(str(exc)) from None


class NoticeForm(RankingForm):
    target = forms.DecimalField(label=_("Target (%)"), min_value=0, max_value=100, decimal_places=2,
                                initial=Decimal(60))
    criticize_below = forms.DecimalField(label=_("Criticism line (%)"), min_value=0, max_value=100,
                                         decimal_places=2, initial=Decimal(30),
                                         help_text=_("institutions below it are named for criticism"))
    number = forms.CharField(label=_("Document number"), max_length=60, required=False,
                             help_text=_("e.g. 苏卫基层〔2026〕12号"))
    issuer = forms.CharField(label=_("Issuing office"), max_length=100, required=False)
    addressees = forms.CharField(label=_("Addressees"), max_length=200, required=False)
    deadline = forms.DateField(label=_("Rectification deadline"), required=False,
                               help_text=_("default: the last day of the month after next"),
                               widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        target, line = data.get("target"), data.get("criticize_below")
        if target is not None and line is not None and line > target:
            self.add_error("criticize_below", _("The criticism line cannot be above the target."))
        return data
