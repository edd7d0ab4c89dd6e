"""Precomputed indicator figures (the facts table) and the marks that say which of them are out of date.

A `Fact` is one indicator's numerator and denominator for one clinical institution over `YYYY-MM-ytd` (1 January
to the end of the month, or to `as_of` while the month runs): the cumulative figures dashboards and milestones
read. Every higher level sums these numerators and denominators; nothing here is a rate. See `facts.py`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jkda.regions.models import Institution


class Fact(models.Model):
    indicator = models.CharField(_("indicator"), max_length=64)
    institution = models.ForeignKey(Institution, verbose_name=_("institution"), on_delete=models.PROTECT,
                                    related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    numerator = models.PositiveIntegerField(_("numerator"))
    denominator = models.PositiveIntegerField(_("denominator"))
    as_of = models.DateField(_("figures as of"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("indicator fact")
        verbose_name_plural = _("indicator facts")
        constraints = [models.UniqueConstraint(fields=["year", "month", "indicator", "institution"],
                                               name="fact_one_per_cell")]

    def __str__(self):
        return f"{self.indicator} {self.institution_id} {self.year}-{self.month:02d}"


class FactMonth(models.Model):
    """When a month's facts were last computed, and as of which day (a running month is recomputed each day)."""

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    as_of = models.DateField(_("figures as of"))
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        verbose_name = _("month of indicator facts")
        verbose_name_plural = _("months of indicator facts")
        constraints = [models.UniqueConstraint(fields=["year", "month"], name="fact_month_once")]


class FactDirty(models.Model):
    """A cheap mark written next to a change: the facts of this institution from this month of this year on are
    out of date. `jkda indicators refresh` recomputes the marked cells and removes the marks it read."""

    institution = models.ForeignKey(Institution, verbose_name=_("institution"), on_delete=models.PROTECT,
                                    related_name="+", db_constraint=False)
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("from month"))
    marked_at = models.DateTimeField(_("marked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("out-of-date indicator facts")
        verbose_name_plural = _("out-of-date indicator facts")
