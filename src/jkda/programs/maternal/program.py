"""The program "maternal" (孕产妇健康管理): who may be registered, and what each pregnancy is due for."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from jkda.programs.registry import DueItem

from . import rules as R


def eligible(record, on: dt.date) -> str | None:
    resident = record.resident
    return R.eligibility_problem(resident.sex, record.resident_age(on))


def due(records: QuerySet, as_of: dt.date) -> list[DueItem]:
    """Due items of every active pregnancy of the records: five grouped queries whatever the number of records."""
    from jkda.programs.models import Enrollment

    from .models import Postpartum42d, PostpartumVisit, PrenatalFirst, PrenatalFollowup

    active = Enrollment.objects.active().filter(program=R.PROGRAM, record__in=records)
    preg: dict[int, tuple[int, R.Pregnancy]] = {
        eid: (rid, R.Pregnancy(enrolled_on=on, followups=[]))
        for eid, rid, on in active.values_list("id", "record_id", "enrolled_on")}
    if not preg:
        return []
    ids = active.values("id")
    rows = (PrenatalFirst.objects.filter(enrollment__in=ids).order_by("service_date", "id")
            .values_list("enrollment_id", "service_date", "lmp", "edd", "gestational_weeks", "gestational_days"))
    for eid, on, lmp, edd, weeks, days in rows:
        p = preg[eid][1]
        if p.first_on is not None:
            continue
        p.first_on = on
        p.lmp = lmp or (R.lmp_from_ga(on, weeks, days) if weeks is not None else None)
        p.edd = edd or (R.edd(p.lmp) if p.lmp else None)
    for eid, visit, weeks in (PrenatalFollowup.objects.filter(enrollment__in=ids)
                              .values_list("enrollment_id", "visit_number", "gestational_weeks")):
        preg[eid][1].followups.append((visit, weeks))
    for model in (PostpartumVisit, Postpartum42d):
        for eid, delivery, discharge in (model.objects.filter(enrollment__in=ids).order_by("service_date")
                                         .values_list("enrollment_id", "delivery_date", "discharge_date")):
            p = preg[eid][1]
            p.delivery = p.delivery or delivery
            p.discharge = p.discharge or discharge
            if model is PostpartumVisit:
                p.postpartum_visited = True
            else:
                p.checked_42d = True
    out = []
    for rid, p in preg.values():
        for d in R.pregnancy_due(p, as_of):
            out.append(DueItem(record_id=rid, program=R.PROGRAM, item=d.item, due_on=d.due_on, kind=d.kind,
                               category=d.category, window_end=d.window_end))
    return out
