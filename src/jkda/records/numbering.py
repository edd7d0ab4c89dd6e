"""Record numbers: village code (12 digits) + serial in creation order (5 digits, or 4 in the 16-digit scheme).

Allocation takes the village's counter row under the database's write lock (UPDATE ... SET last = last + 1 on
PostgreSQL; BEGIN IMMEDIATE on SQLite), so concurrent establishments never share a number.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from .models import HouseholdCounter, NumberCounter, Record

NUMBER_RE = re.compile(r"^\d{16,17}$")


def serial_width(digits: int | None = None) -> int:
    digits = digits or settings.JKDA_RECORD_NUMBER_DIGITS
    if digits not in (16, 17):
        raise ValueError("JKDA_RECORD_NUMBER_DIGITS must be 16 or 17")
    return digits - 12


def _next_serial(counter_model, village_code: str) -> int:
    counter_model.objects.get_or_create(village_code=village_code)
    counter_model.objects.filter(pk=village_code).update(last_serial=F("last_serial") + 1)
    return counter_model.objects.values_list("last_serial", flat=True).get(pk=village_code)


def allocate_number(village_code: str) -> str:
    """Allocate the next free record number in a village. Call inside the establishing transaction."""
    if len(village_code) != 12 or not village_code.isdigit():
        raise ValidationError(_("A village code has 12 digits (county 6 + township 3 + village 3)."))
    width = serial_width()
    with transaction.atomic():
        while True:
            serial = _next_serial(NumberCounter, village_code)
            if serial >= 10**width:
                raise ValidationError(
                    _("All %(n)d record numbers of village %(code)s are used up.") % {"n": 10**width - 1,
                                                                                       "code": village_code}
                )
            number = f"{village_code}{serial:0{width}d}"
            # legacy numbers imported into this village may already hold the serial: skip them
            if not Record.objects.filter(number=number).exists():
                return number


def check_legacy_number(number: str) -> str:
    """Validate a record number brought from an older system (16 or 17 digits)."""
    number = (number or "").strip()
    if not NUMBER_RE.match(number):
        raise ValidationError(_("A record number has 17 digits (or 16 in the older scheme)."))
    return number


def note_used_number(number: str) -> None:
    """Make sure later allocation in the number's village goes past an imported legacy serial."""
    if len(number) != 12 + serial_width():
        return
    village, serial = number[:12], int(number[12:])
    NumberCounter.objects.get_or_create(village_code=village)
    NumberCounter.objects.filter(pk=village, last_serial__lt=serial).update(last_serial=serial)


def allocate_household_number(village_code: str) -> str:
    with transaction.atomic():
        serial = _next_serial(HouseholdCounter, village_code)
    return f"{village_code}{serial:05d}"
