"""The severe mental disorder program as the registry sees it: diagnosis code and what is due (set-based)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jkda.programs.registry import DueItem, Program

from . import rules

CODE = "smi"


def due(records, as_of: dt.date) -> list[DueItem]:
    """For each patient under management: the supplementary form (consent) while none is recorded, else the next
    follow-up (the date the last follow-up set; the first one within JKDA_SMI_FIRST_FOLLOWUP_DAYS of consent).
    A patient who refused management is due nothing."""
    from jkda.programs.models import Enrollment

    from .models import SmiFollowup, SmiProfile

    profiles = SmiProfile.objects.filter(record_id=OuterRef("record_id")).order_by("-consent_date", "-service_date",
                                                                                  "-id")
    followups = SmiFollowup.objects.filter(record_id=OuterRef("record_id")).order_by("-service_date", "-id")
    rows = (Enrollment.objects.active().filter(program=CODE, record__in=records)
            .annotate(consent=Subquery(profiles.values("consent")[:1]),
                      consent_date=Subquery(profiles.values("consent_date")[:1]),
                      next_visit=Subquery(followups.values("next_visit")[:1]))
            .values_list("record_id", "enrolled_on", "consent", "consent_date", "next_visit"))
    first_days = getattr(settings, "JKDA_SMI_FIRST_FOLLOWUP_DAYS", 14)
    out = []
    for record_id, enrolled_on, consent, consent_date, next_visit in rows:
        if consent is None:
            out.append(DueItem(record_id, CODE, _("Supplementary information and informed consent"), enrolled_on,
                               kind="smi_profile", category="followup",
                               window_end=enrolled_on + dt.timedelta(days=first_days)))
        elif consent == "1":
            if next_visit is None:
                start = max(enrolled_on, consent_date)
                out.append(DueItem(record_id, CODE, _("First follow-up"), start, kind="smi_followup",
                                   category="followup", window_end=start + dt.timedelta(days=first_days)))
            else:
                out.append(DueItem(record_id, CODE, _("Follow-up"), next_visit, kind="smi_followup",
                                   category="followup"))
    return out


PROGRAM = Program(code=CODE, label=gettext_lazy("Severe mental disorder management"), diagnosis_codes=("8",),
                  due=due, order=30, extra={"standard_management": rules.standard_management})
