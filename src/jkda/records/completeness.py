"""When a record counts as established (建档: cover and personal basic information complete) and as qualified
(合格: complete, with the identity and contact items a reviewer needs), declared once as filters.

The filters are Q objects on Record, so the indicator engine counts them in one grouped query. The form itself
already refuses what is required on paper (name, sex, birth date, address, residence type, payment, allergies);
these rules add the items the form lets a clinic leave open for later.

Settings: JKDA_COMPLETE_FIELDS and JKDA_QUALIFIED_FIELDS override the lists below.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q

# Resident fields that must be filled for the record to count as established. Code fields are "", list fields
# [] and the family history {} while unanswered.
COMPLETE_FIELDS = ("past_diseases", "family_history", "exposure", "disability", "kitchen_exhaust", "fuel",
                   "drinking_water", "toilet", "livestock_pen")
# ... and, on top of those, for a qualified record.
QUALIFIED_FIELDS = ("id_number", "contact", "adult_social")
ADULT_AGE = 18  # education, occupation and marital status are asked of adults

_EMPTY = {"past_diseases": [], "exposure": [], "disability": [], "family_history": {}}


def _filled(name: str, prefix: str) -> Q:
    path = f"{prefix}resident__{name}"
    if name in _EMPTY:
        return Q(**{f"{path}__isnull": False}) & ~Q(**{path: _EMPTY[name]})
    return ~Q(**{path: ""})


def complete_q(prefix: str = "") -> Q:
    """Records whose cover and personal basic information are complete (a responsible doctor named, too)."""
    q = Q(**{f"{prefix}responsible_doctor__isnull": False}) | ~Q(**{f"{prefix}responsible_doctor_name": ""})
    for name in getattr(settings, "JKDA_COMPLETE_FIELDS", COMPLETE_FIELDS):
        q &= _filled(name, prefix)
    return q


def qualified_q(as_of, prefix: str = "") -> Q:
    """Complete records that also carry an ID number, a phone to reach the resident (own or contact), and for
    adults education, occupation and marital status."""
    q = complete_q(prefix)
    items = getattr(settings, "JKDA_QUALIFIED_FIELDS", QUALIFIED_FIELDS)
    r = f"{prefix}resident__"
    if "id_number" in items:
        q &= Q(**{f"{r}id_number__isnull": False}) & ~Q(**{f"{r}id_number": ""})
    if "contact" in items:
        q &= ~Q(**{f"{r}phone": ""}) | ~Q(**{f"{r}contact_phone": ""})
    if "adult_social" in items:
        adult_born_by = as_of.replace(year=as_of.year - ADULT_AGE) if not (as_of.month == 2 and as_of.day == 29) \
            else as_of.replace(year=as_of.year - ADULT_AGE, day=28)
        social = ~Q(**{f"{r}education": ""}) & ~Q(**{f"{r}occupation": ""}) & ~Q(**{f"{r}marital_status": ""})
        q &= Q(**{f"{r}birth_date__gt": adult_born_by}) | social
    return q
