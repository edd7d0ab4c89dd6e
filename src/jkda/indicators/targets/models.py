"""Targets and milestones (DOMAIN.md §1 item 3): the task breakdown a bureau hands down.

A `Target` is one indicator's annual target for one area (an institution, township, district / county or city)
and year, with the half-year share (the half-year target is that share of the annual target) and who answers for
it. A `MilestonePlan` holds the cumulative monthly milestones as shares of the half-year target: the year's plan
(`target` empty) applies to every target of that year unless a target has its own plan. The rules that turn these
into percentages and people are in `rules.py`; the only write path is `actions.py`.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

LEVEL_CHOICES = [
    ("institution", _("institution")),
    ("township", _("township / street")),
    ("county", _("district / county")),
    ("city", _("city")),
]

PERCENT = {"max_digits": 5, "decimal_places": 2,
           "validators": [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]}


class Target(models.Model):
    indicator = models.CharField(_("indicator"), max_length=64)
    level = models.CharField(_("level"), max_length=12, choices=LEVEL_CHOICES)
    area_code = models.CharField(_("area code"), max_length=32)
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    annual = models.DecimalField(_("annual target (%)"), **PERCENT)
    half_year_share = models.DecimalField(_("half-year share (%)"), default=Decimal(50), **PERCENT)
    responsible_unit = models.CharField(_("responsible unit"), max_length=100, blank=True)
    responsible_person = models.CharField(_("responsible person"), max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["year", "level", "area_code", "indicator"]
        constraints = [models.UniqueConstraint(fields=["indicator", "level", "area_code", "year"],
                                               name="target_one_per_area_year")]
        indexes = [models.Index(fields=["year", "level", "area_code"])]

    def __str__(self):
        return f"{self.indicator} {self.level} {self.area_code} {self.year}"


class MilestonePlan(models.Model):
    """Cumulative monthly milestones of one year (or of one target, overriding its year's plan).

    `shares` maps a month ("1".."12") to the cumulative share (a decimal string, percent) of that half's target
    due by the end of the month: months 1–6 of the half-year target, months 7–12 of the second half's part
    (annual − half-year target). Months without an entry are not milestones.
    """

    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    target = models.OneToOneField(Target, verbose_name=_("target"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="milestone_plan")
    shares = models.JSONField(_("milestones"), default=dict)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("milestone plan")
        verbose_name_plural = _("milestone plans")
        ordering = ["year", "target_id"]
        constraints = [models.UniqueConstraint(fields=["year"], condition=models.Q(target__isnull=True),
                                               name="milestone_plan_one_per_year")]

    def __str__(self):
        return f"{self.year} {self.target or ''}".strip()

    def months(self) -> dict[int, Decimal]:
        return {int(k): Decimal(str(v)) for k, v in sorted(self.shares.items(), key=lambda kv: int(kv[0]))}
