"""Reporting periods: calendar month, quarter, half-year, year, year to date, or any date range.

    2026            the year                       2026H1, 2026H2   a half-year
    2026Q3          a quarter                      2026-05          a month
    2026-ytd        1 January to today (or the year's end when it is over)
    2026-05-ytd     1 January to the end of May (cumulative figures for a monthly milestone)
    2026-03-01..2026-04-15   any date range (both ends included)

A period's figures are taken as of its `as_of` day: its end, or today while it is still running.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    code: str
    start: dt.date
    end: dt.date
    label: str

    @property
    def as_of(self) -> dt.date:
        return min(self.end, today())

    @property
    def year(self) -> int:
        """The year of the base data (denominators): the year the period ends in."""
        return self.end.year

    @property
    def months(self) -> int:
        """Calendar months the period spans (partial months count whole)."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def __str__(self) -> str:
        return self.label


def today() -> dt.date:
    return timezone.localdate()


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _year(y: str) -> int:
    year = int(y)
    if not 2000 <= year <= 2100:
        raise PeriodError(_("The year must be between 2000 and 2100."))
    return year


def parse(code: str) -> Period:
    """A Period from its code; PeriodError with a Chinese message for anything else."""
    text = (code or "").strip().upper()
    if m := re.fullmatch(r"(\d{4})", text):
        y = _year(m[1])
        return Period(text, dt.date(y, 1, 1), dt.date(y, 12, 31), _("%(y)d") % {"y": y})
    if m := re.fullmatch(r"(\d{4})H([12])", text):
        y, h = _year(m[1]), int(m[2])
        start, end = (dt.date(y, 1, 1), dt.date(y, 6, 30)) if h == 1 else (dt.date(y, 7, 1), dt.date(y, 12, 31))
        label = _("first half of %(y)d") if h == 1 else _("second half of %(y)d")
        return Period(text, start, end, label % {"y": y})
    if m := re.fullmatch(r"(\d{4})Q([1-4])", text):
        y, q = _year(m[1]), int(m[2])
        return Period(text, dt.date(y, 3 * q - 2, 1), month_end(y, 3 * q), _("Q%(q)d %(y)d") % {"q": q, "y": y})
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
        y, mo = _year(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise PeriodError(_("The month must be between 1 and 12."))
        return Period(f"{y}-{mo:02d}", dt.date(y, mo, 1), month_end(y, mo),
                      _("%(m)d/%(y)d") % {"m": mo, "y": y})
    if m := re.fullmatch(r"(\d{4})-YTD", text):
        y = _year(m[1])
        end = min(dt.date(y, 12, 31), max(today(), dt.date(y, 1, 1)))
        return Period(f"{y}-ytd", dt.date(y, 1, 1), end, _("%(y)d to date") % {"y": y})
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-YTD", text):
        y, mo = _year(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise PeriodError(_("The month must be between 1 and 12."))
        return Period(f"{y}-{mo:02d}-ytd", dt.date(y, 1, 1), month_end(y, mo),
                      _("January to %(m)d/%(y)d") % {"m": mo, "y": y})
    if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", text):
        try:
            start, end = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
        except ValueError:
            raise PeriodError(_("Not a valid date in the range.")) from None
        _year(str(start.year)), _year(str(end.year))
        if end < start:
            raise PeriodError(_("The range ends before it starts."))
        if (end - start).days > 366:
            raise PeriodError(_("A date range is at most one year long."))
        return Period(f"{start}..{end}", start, end, f"{start}—{end}")
    raise PeriodError(_("Unknown period “%(code)s”: use 2026, 2026H1, 2026Q3, 2026-05, 2026-ytd, 2026-05-ytd or "
                        "2026-03-01..2026-04-15.") % {"code": code})


def months_of(year: int) -> list[Period]:
    return [parse(f"{year}-{m:02d}") for m in range(1, 13)]
