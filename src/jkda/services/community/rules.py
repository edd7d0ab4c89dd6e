"""Rules of the institution-level services as pure functions: yearly minimums of health education by
institution level, the updates a notice board owes in a year, and the reporting deadline of an infectious-disease
report card with its timeliness.

Figures are those of the national standard (国家基本公共卫生服务规范第三版), each readable as a setting:

    JKDA_HE_MIN_MATERIAL_KINDS     12  printed material kinds a year (township hospital / community centre)
    JKDA_HE_MIN_AV_KINDS            6  audio-visual materials shown a year (township hospital / community centre)
    JKDA_HE_MIN_CONSULTATIONS       9  public health consultation events a year (township hospital / centre)
    JKDA_HE_MIN_TALKS              12  health knowledge talks a year (centre level: one a month)
    JKDA_HE_MIN_TALKS_STATION       6  talks a year (village clinic / community station: one every two months)
    JKDA_HE_MIN_BOARDS              2  notice boards (centre level); JKDA_HE_MIN_BOARDS_STATION 1 (station level)
    JKDA_HE_MIN_BOARD_UPDATES       6  updates a year per board (one every two months)
    JKDA_IDR_DEADLINE_HOURS_A       2  class A and the class B diseases managed as class A
    JKDA_IDR_DEADLINE_HOURS_OTHER  24  other class B and class C diseases
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings

from . import codes as C

CENTRE_KINDS = ("chc", "thc")  # 社区卫生服务中心, 乡镇卫生院
STATION_KINDS = ("chs", "vc")  # 社区卫生服务站, 村卫生室

# The items of the yearly summary, in print order.
ITEMS = ("material_kinds", "av_kinds", "consultations", "talks", "boards", "board_updates")


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def minimums(institution_kind: str) -> dict[str, int | None]:
    """Yearly minimum per item for an institution kind; None: the standard sets none for this level."""
    centre = institution_kind in CENTRE_KINDS
    station = institution_kind in STATION_KINDS
    if not (centre or station):
        return dict.fromkeys(ITEMS)
    return {
        "material_kinds": _setting("JKDA_HE_MIN_MATERIAL_KINDS", 12) if centre else None,
        "av_kinds": _setting("JKDA_HE_MIN_AV_KINDS", 6) if centre else None,
        "consultations": _setting("JKDA_HE_MIN_CONSULTATIONS", 9) if centre else None,
        "talks": _setting("JKDA_HE_MIN_TALKS", 12) if centre else _setting("JKDA_HE_MIN_TALKS_STATION", 6),
        "boards": _setting("JKDA_HE_MIN_BOARDS", 2) if centre else _setting("JKDA_HE_MIN_BOARDS_STATION", 1),
        "board_updates": _setting("JKDA_HE_MIN_BOARD_UPDATES", 6),
    }


def months_in_service(year: int, set_up_on: dt.date | None, retired_on: dt.date | None) -> int:
    """Whole or part months of `year` during which a notice board stood (0 when not at all)."""
    first = 1 if set_up_on is None or set_up_on.year < year else (set_up_on.month if set_up_on.year == year else 13)
    last = 12 if retired_on is None or retired_on.year > year else (retired_on.month if retired_on.year == year
                                                                     else 0)
    return max(0, last - first + 1)


def board_updates_due(months: int, per_year: int | None = None) -> int:
    """Updates a board owes for `months` months in service: the yearly minimum pro rata, rounded up."""
    per_year = _setting("JKDA_HE_MIN_BOARD_UPDATES", 6) if per_year is None else per_year
    return math.ceil(per_year * max(0, min(12, months)) / 12)


def met(done: int, minimum: int | None) -> bool | None:
    """Whether a yearly figure reaches its minimum; None when there is no minimum."""
    return None if minimum is None else done >= minimum


# --- infectious-disease reports ---------------------------------------------------------------------------------

def disease_class(code: str) -> str:
    return C.DISEASE_CLASS.get(code, "")


def is_urgent(code: str) -> bool:
    """Class A, or class B managed as class A (pulmonary anthrax, SARS): the short deadline applies."""
    return disease_class(code) == "A" or code in C.MANAGED_AS_A


def deadline_hours(urgent: bool) -> int:
    if urgent:
        return _setting("JKDA_IDR_DEADLINE_HOURS_A", 2)
    return _setting("JKDA_IDR_DEADLINE_HOURS_OTHER", 24)


def timeliness(diagnosed_at: dt.datetime, reported_at: dt.datetime, urgent: bool) -> tuple[bool, dt.timedelta]:
    """(on time, late by): a report exactly at the deadline is on time; `late by` is zero when on time."""
    deadline = diagnosed_at + dt.timedelta(hours=deadline_hours(urgent))
    if reported_at <= deadline:
        return True, dt.timedelta(0)
    return False, reported_at - deadline


def format_delay(delta: dt.timedelta) -> str:
    """A delay as 'd h min' in the active language."""
    from django.utils.translation import gettext as _

    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(n)d d") % {"n": days})
    if hours:
        parts.append(_("%(n)d h") % {"n": hours})
    if mins or not parts:
        parts.append(_("%(n)d min") % {"n": mins})
    return " ".join(parts)
