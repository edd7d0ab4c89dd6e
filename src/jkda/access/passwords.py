"""Password rules of level-3 protection: length (Django's validator), character classes, expiry."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

CLASSES = (str.islower, str.isupper, str.isdigit, lambda c: not (c.isascii() and c.isalnum()))


class CharacterClassesValidator:
    """At least N of: lower-case letters, upper-case letters, digits, other characters."""

    def __init__(self, min_classes: int | None = None):
        self.min_classes = min_classes or int(getattr(settings, "JKDA_PASSWORD_MIN_CLASSES", 3))

    def count(self, password: str) -> int:
        return sum(1 for test in CLASSES if any(test(c) for c in password))

    def validate(self, password, user=None):
        if self.count(password) < self.min_classes:
            raise ValidationError(
                _("The password must mix at least %(n)d of: lower-case letters, upper-case letters, digits, "
                  "other characters.") % {"n": self.min_classes}, code="password_classes")

    def get_help_text(self):
        return _("Mix at least %(n)d of: lower-case letters, upper-case letters, digits, other characters.") % {
            "n": self.min_classes}


def max_age_days() -> int:
    return int(getattr(settings, "JKDA_PASSWORD_MAX_AGE_DAYS", 90))


def password_expired(user, now: dt.datetime | None = None) -> bool:
    days = max_age_days()
    if days <= 0 or not user.has_usable_password():
        return False
    changed = user.password_changed_at or user.date_joined
    return (now or timezone.now()) - changed > dt.timedelta(days=days)
