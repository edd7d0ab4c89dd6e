"""The tuberculosis program as the registry sees it: diagnosis code and the visit schedule (set-based)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jkda.programs.registry import DueItem, Program

from . import rules

CODE = "tb"


def due(records, as_of: dt.date) -> list[DueItem]:
    """Per patient under management (category "tb_visit"):
    - no first home visit yet: due on the notification (enrolment) day, on time for 72 hours;
    - on treatment: the next supervised-treatment visit after the latest visit (10 days in the intensive phase for
      family-supervised patients, monthly otherwise);
    - course over and no outcome recorded: the treatment outcome, due on the end of the course.
    One query."""
    from jkda.programs.models import Enrollment

    from .models import TbFirstVisit, TbFollowup, TbOutcome

    first = TbFirstVisit.objects.filter(record_id=OuterRef("record_id")).order_by("-service_date", "-id")
    follow = TbFollowup.objects.filter(record_id=OuterRef("record_id")).order_by("-service_date", "-id")
    rows = (Enrollment.objects.active().filter(program=CODE, record__in=records)
            .annotate(first_on=Subquery(first.values("service_date")[:1]),
                      start=Subquery(first.values("treatment_start")[:1]),
                      patient_type=Subquery(first.values("patient_type")[:1]),
                      first_supervisor=Subquery(first.values("supervisor")[:1]),
                      last_on=Subquery(follow.values("service_date")[:1]),
                      last_supervisor=Subquery(follow.values("supervisor")[:1]),
                      ended=Exists(TbOutcome.objects.filter(record_id=OuterRef("record_id"))))
            .values_list("record_id", "enrolled_on", "first_on", "start", "patient_type", "first_supervisor",
                         "last_on", "last_supervisor", "ended"))
    out = []
    for rid, enrolled_on, first_on, start, ptype, sup1, last_on, sup2, ended in rows:
        if first_on is None:
            out.append(DueItem(rid, CODE, _("First home visit"), enrolled_on, kind="tb_first_visit",
                               category="tb_visit", window_end=rules.first_visit_deadline(enrolled_on)))
            continue
        if ended:
            continue
        start = start or first_on
        end = rules.course_end(start, ptype)
        last = max(first_on, last_on or first_on)
        if as_of >= end or last >= end:
            out.append(DueItem(rid, CODE, _("Treatment outcome"), end, kind="tb_outcome", category="tb_visit"))
            continue
        nxt = rules.next_visit(last, start, ptype, sup2 or sup1)
        label = (_("Intensive-phase visit") if rules.phase(last, start, ptype) == rules.INTENSIVE
                 else _("Continuation-phase visit"))
        out.append(DueItem(rid, CODE, label, min(nxt, end), kind="tb_followup", category="tb_visit"))
    return out


PROGRAM = Program(code=CODE, label=gettext_lazy("Tuberculosis patient health management"), diagnosis_codes=("9",),
                  due=due, order=40, extra={"regular_medication": rules.regular_medication})
