"""Sign-in codes for the resident portal and the senders that deliver them.

A resident signs in with the ID number and the phone number on their record and a 6-digit code sent to that
phone. The code is valid JKDA_OTP_VALID_SECONDS (300), allows JKDA_OTP_MAX_ATTEMPTS (5) tries, and codes are
rate-limited per ID number (JKDA_OTP_PER_ID_LIMIT codes per JKDA_OTP_PER_ID_MINUTES: 3 per 15) and per address
(JKDA_OTP_PER_IP_LIMIT per hour: 20). Only an HMAC of the code is stored.

Senders (setting JKDA_OTP_SENDER, a dotted path to a class; default the console sender):

- `ConsoleSender` (demo): logs the message at WARNING level, so it shows in the `jkda serve` console.
- `MemorySender` (tests): keeps the messages in `MemorySender.outbox` (class-level, shared by threads).
- an SMS gateway: any class with ``send(self, phone: str, text: str) -> None`` that raises `SendError` when the
  message was not accepted. It is built once per message with no arguments and reads its own settings (gateway
  address on the health network, account, signature). Data stays in China: use a gateway inside the health
  network or a domestic operator's interface; the message carries only the code, never health data.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import SignInCode

logger = logging.getLogger("jkda.portal")


class SendError(Exception):
    pass


class Sender(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class ConsoleSender:
    def send(self, phone: str, text: str) -> None:
        logger.warning("portal sign-in code for %s: %s", phone, text)


class MemorySender:
    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        MemorySender.outbox.append((phone, text))

    @classmethod
    def last_code(cls, phone: str | None = None) -> str | None:
        import re

        for p, text in reversed(cls.outbox):
            if phone is None or p == phone:
                m = re.search(r"\d{6}", text)
                return m.group(0) if m else None
        return None


def _setting(name: str, default):
    return getattr(settings, name, default)


def valid_seconds() -> int:
    return int(_setting("JKDA_OTP_VALID_SECONDS", 300))


def max_attempts() -> int:
    return int(_setting("JKDA_OTP_MAX_ATTEMPTS", 5))


def sender() -> Sender:
    return import_string(_setting("JKDA_OTP_SENDER", "jkda.portal.otp.ConsoleSender"))()


class SignInError(Exception):
    """A refusal with a message for the resident (always the same for unknown people and wrong phones)."""


def id_hash(id_number: str) -> str:
    return salted_hmac("jkda.portal.id", id_number.strip().upper()).hexdigest()


def _code_hash(salt: str, code: str) -> str:
    return salted_hmac("jkda.portal.otp", salt + code).hexdigest()


def _find_resident(id_number: str, phone: str):
    from jkda.records.models import Resident

    id_number, phone = id_number.strip().upper(), phone.strip()
    if not id_number or not phone:
        return None
    r = Resident.objects.filter(id_number=id_number).select_related("record").first()
    if r is None or not phone or phone not in {r.phone.strip()}:
        return None
    record = getattr(r, "record", None)
    if record is None or not record.is_active:
        return None
    return r


def request_code(id_number: str, phone: str, *, ip: str = "", now=None) -> SignInCode:
    """Start a sign-in: send a code if the ID number and phone match an open record; answer the same either way."""
    from jkda.access import audit

    now = now or timezone.now()
    h = id_hash(id_number)
    per_id = int(_setting("JKDA_OTP_PER_ID_LIMIT", 3))
    minutes = int(_setting("JKDA_OTP_PER_ID_MINUTES", 15))
    if SignInCode.objects.filter(id_hash=h, created_at__gt=now - dt.timedelta(minutes=minutes)).count() >= per_id:
        raise SignInError(_("Too many codes were asked for this ID number: try again in %(n)d minutes.") % {
            "n": minutes})
    per_ip = int(_setting("JKDA_OTP_PER_IP_LIMIT", 20))
    if ip and SignInCode.objects.filter(ip=ip, created_at__gt=now - dt.timedelta(hours=1)).count() >= per_ip:
        raise SignInError(_("Too many codes were asked from this network: try again in an hour."))
    resident = _find_resident(id_number, phone)
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    challenge = SignInCode.objects.create(
        id_hash=h, ip=ip[:64], resident=resident, salt=salt,
        code_hash=_code_hash(salt, code) if resident else secrets.token_hex(32),
        created_at=now, expires_at=now + dt.timedelta(seconds=valid_seconds()))
    if resident is not None:
        minutes_valid = max(1, valid_seconds() // 60)
        sender().send(resident.phone.strip(), _("[Health records] Your sign-in code is %(code)s, valid %(n)d "
                                                "minutes. Do not tell it to anyone.") % {"code": code,
                                                                                          "n": minutes_valid})
    audit.log("login", object_type="portal", object_id=f"code:{challenge.pk}", ip=ip, outcome="ok",
              detail={"step": "code requested"})
    return challenge


def verify_code(challenge_id: int | None, code: str, *, ip: str = "", now=None):
    """The resident whose code this is, or SignInError (wrong, expired, used up)."""
    from jkda.access import audit

    now = now or timezone.now()
    challenge = SignInCode.objects.filter(pk=challenge_id).select_related("resident").first() \
        if challenge_id else None

    def fail(message: str, why: str):
        audit.log("login_failed", object_type="portal", object_id=f"code:{challenge_id or ''}", ip=ip,
                  outcome="failed", detail={"step": why})
        raise SignInError(message)

    if challenge is None or challenge.used_at is not None or challenge.expires_at <= now:
        fail(_("The code has expired: ask for a new one."), "expired")
    if challenge.attempts >= max_attempts():
        fail(_("Too many wrong codes: ask for a new one."), "too many attempts")
    code = (code or "").strip()
    good = challenge.resident_id is not None and len(code) == 6 and code.isdigit() and hmac.compare_digest(
        _code_hash(challenge.salt, code), challenge.code_hash)
    if not good:
        challenge.attempts += 1
        SignInCode.objects.filter(pk=challenge.pk).update(attempts=challenge.attempts)
        left = max_attempts() - challenge.attempts
        if left <= 0:
            fail(_("Too many wrong codes: ask for a new one."), "too many attempts")
        fail(_("The code is wrong (%(n)d tries left).") % {"n": left}, "wrong code")
    SignInCode.objects.filter(pk=challenge.pk).update(used_at=now)
    return challenge.resident
