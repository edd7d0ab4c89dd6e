"""Resident ID numbers (GB 11643-1999): validation with clear messages, derivation and generation.

18 characters: 6-digit address code + birth date YYYYMMDD + 3-digit sequence (odd male, even female) + check
character by ISO 7064 MOD 11-2. Old 15-digit numbers (YYMMDD, born 19xx, no check character) are still accepted.
The address code is checked against python-stdnum's table of county-level divisions (current and historical).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import numdb

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


# the weighted sum over the digits' ASCII codes exceeds the sum over the digits by 48 × sum(WEIGHTS)
_ASCII_EXCESS = ord("0") * sum(WEIGHTS)


def check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != 17:
        raise ValueError(f"check_char needs 17 digits, not {len(first17)}")
    if first17.isascii() and first17.isdigit():  # a bulk import checks millions: over the bytes, a third of the time
        total = sum(map(operator.mul, first17.encode(), WEIGHTS)) - _ASCII_EXCESS
    else:
        total = sum(map(operator.mul, map(int, first17), WEIGHTS))
    return CHECK_CHARS[total % 11]


@functools.lru_cache(maxsize=65536)
def _birth_date(text: str) -> dt.date:
    """YYYYMMDD → the date (ValueError when it is none); remembered: a hundred years are 36,525 days."""
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))


@functools.lru_cache(maxsize=8192)
def known_address_code(code: str) -> bool:
    """True when the code is a county-level division in stdnum's table, now or at any time in the past.

    People often carry ID numbers whose division was created or renamed after their birth, so the birth year is
    not held against the code (stdnum's own get_birth_place would).
    """
    if len(code) != 6 or not code.isdigit():
        return False
    results = numdb.get("cn/loc").info(code)
    return any(props for _part, props in results)


class IdInfo(NamedTuple):
    number: str  # normalised: upper-case, 18 characters (15-digit numbers are kept as given)
    birth_date: dt.date
    sex: str  # "1" male, "2" female (GB/T 2261.1)
    address_code: str


def normalise(raw: str) -> str:
    return (raw or "").strip().replace(" ", "").upper()


def parse(raw: str, today: dt.date | None = None) -> IdInfo:
    """Validate an ID number and return what it encodes; ValidationError in Chinese otherwise."""
    number = normalise(raw)
    today = today or dt.date.today()
    if len(number) == 18:
        if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
            raise ValidationError(
                _("The ID number may contain only digits, with X allowed as the last character."),
                code="id_format",
            )
        date_text = number[6:14]
        seq = number[14:17]
    elif len(number) == 15:
        if not number.isdigit():
            raise ValidationError(_("A 15-digit ID number may contain only digits."), code="id_format")
        date_text = "19" + number[6:12]
        seq = number[12:15]
    else:
        raise ValidationError(
            _("An ID number has 18 characters (or 15 for the old format); %(n)d were given.") % {"n": len(number)},
            code="id_length",
        )
    try:
        birth = _birth_date(date_text)
    except ValueError:
        raise ValidationError(
            _("The birth date in the ID number (%(date)s) is not a real date.") % {"date": date_text},
            code="id_birth_date",
        ) from None
    if birth > today:
        raise ValidationError(
            _("The birth date in the ID number (%(date)s) is in the future.") % {"date": birth.isoformat()},
            code="id_birth_future",
        )
    if birth.year < 1880:
        raise ValidationError(
            _("The birth date in the ID number (%(date)s) is implausibly early.") % {"date": birth.isoformat()},
            code="id_birth_date",
        )
    if len(number) == 18:
        expected = check_char(number[:17])
        if number[17] != expected:
            raise ValidationError(
                _("The check character of the ID number is wrong (it should be %(c)s): please check each digit.")
                % {"c": expected},
                code="id_checksum",
            )
    address = number[:6]
    if not known_address_code(address):
        raise ValidationError(
            _("The address code %(code)s at the start of the ID number is not a known administrative division.")
            % {"code": address},
            code="id_address",
        )
    sex = "1" if int(seq[-1]) % 2 == 1 else "2"
    return IdInfo(number, birth, sex, address)


def make(address_code: str, birth: dt.date, sequence: int) -> str:
    """Build a valid 18-character ID number (sequence 0..999; odd = male)."""
    body = f"{address_code}{birth:%Y%m%d}{sequence:03d}"
    return body + check_char(body)
