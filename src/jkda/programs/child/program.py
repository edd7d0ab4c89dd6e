"""The children's program in the registry: who belongs (age 0–6) and what each child is due for.

`due(records, as_of)` runs a handful of grouped queries over the records queryset (the children's birth dates,
the checks, TCM services and doses done) and lets rules.py decide per child; never one query per child.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jkda.programs.registry import DueItem, Program

from . import rules

CODE = "child"
HORIZON_DAYS = 30


def children(records, as_of: dt.date):
    """(record id, birth date) of the records' residents aged 0–6 on `as_of`."""
    oldest = rules.add_months(as_of, -12 * rules.CHILD_MAX_YEARS)
    return records.filter(resident__birth_date__gt=oldest, resident__birth_date__lte=as_of).values_list(
        "pk", "resident__birth_date")


def eligible(record, on: dt.date) -> str | None:
    if rules.is_child(record.resident.birth_date, on):
        return None
    return gettext("Only children under 7 belong to the children's program.")


def done_checks(ids, since: dt.date) -> dict[int, set[str]]:
    """{record id: codes of the checks done ("" = the newborn visit)}, newborn visits and the three check forms."""
    from .models import InfantCheck, NewbornVisit, PreschoolCheck, ToddlerCheck

    out: dict[int, set[str]] = {}
    for rid in NewbornVisit.objects.filter(record_id__in=ids).values_list("record_id", flat=True).distinct():
        out.setdefault(rid, set()).add("")
    for model in (InfantCheck, ToddlerCheck, PreschoolCheck):
        rows = model.objects.filter(record_id__in=ids, service_date__gte=since).values_list("record_id", "month_age")
        for rid, code in rows.iterator(chunk_size=20000):
            out.setdefault(rid, set()).add(code)
    return out


def done_tcm(ids, since: dt.date) -> dict[int, set[str]]:
    from .models import ChildTcm

    out: dict[int, set[str]] = {}
    rows = ChildTcm.objects.filter(record_id__in=ids, service_date__gte=since).values_list("record_id", "month_age")
    for rid, code in rows.iterator(chunk_size=20000):
        out.setdefault(rid, set()).add(code)
    return out


def due(records, as_of: dt.date, horizon_days: int = HORIZON_DAYS) -> list[DueItem]:
    from .models import given_doses

    kids = list(children(records, as_of))
    if not kids:
        return []
    ids = children(records, as_of).values("pk")
    since = rules.add_months(as_of, -12 * rules.CHILD_MAX_YEARS)
    checks = done_checks(ids, since)
    tcm = done_tcm(ids, since)
    doses = given_doses(ids)
    rule = rules.overdue_rule()
    out: list[DueItem] = []
    for rid, birth in kids:
        for check, day, end in rules.due_checks(rules.CHECKS, birth, checks.get(rid, set()), as_of, horizon_days):
            out.append(DueItem(rid, CODE, str(check.label), day, check.kind, "child_check", end))
        for check, day, end in rules.due_checks(rules.TCM_CHECKS, birth, tcm.get(rid, set()), as_of, horizon_days):
            out.append(DueItem(rid, CODE, str(check.label), day, check.kind, "tcm_child", end))
        for p in rules.next_doses(birth, doses.get(rid, {}), as_of, horizon_days, rule):
            out.append(DueItem(rid, CODE, rules.dose_label(p.vaccine, p.dose), p.due, "vaccination", "vaccine",
                               p.window_end))
    return out


PROGRAM = Program(
    code=CODE,
    label=_("Children 0–6 health management"),
    eligible=eligible,
    due=due,
    by_age=True,
    order=60,
    extra={"age_days": (0, rules.child_age_days_limit())},
)
