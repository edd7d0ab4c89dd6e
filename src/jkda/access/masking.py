"""Masked identity fields: ID numbers, phones and addresses are shown masked unless a role that needs them asks.

`1101**********002X`, `139****5678`, `苏州市吴中区****`. The full values are revealed only to clinical staff
who manage the record (doctor, record manager, head of the managing institution or one above it), and each
reveal writes an audit entry (action "reveal")."""

from __future__ import annotations

MASKED_FIELDS = ("id_number", "phone", "contact_phone", "current_address", "registered_address")
REVEAL_ROLES = {"doctor", "record_manager", "head"}
STAR = "*"


def mask_id(value: str | None) -> str:
    value = value or ""
    if len(value) <= 8:
        return STAR * len(value)
    return value[:4] + STAR * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    value = value or ""
    if len(value) == 11 and value.isdigit():
        return value[:3] + STAR * 4 + value[-4:]
    if len(value) <= 4:
        return STAR * len(value)
    return STAR * (len(value) - 4) + value[-4:]


def mask_address(value: str | None) -> str:
    value = value or ""
    if len(value) <= 6:
        return value[:2] + STAR * 4 if value else ""
    return value[:6] + STAR * 4


def mask(field: str, value) -> str:
    if field == "id_number":
        return mask_id(value)
    if field in ("phone", "contact_phone"):
        return mask_phone(value)
    if field in ("current_address", "registered_address", "address"):
        return mask_address(value)
    return value


def may_reveal(user, institution) -> bool:
    from .scope import may_manage

    if user is None or not user.is_authenticated:
        return False
    return getattr(user, "role", None) in REVEAL_ROLES and may_manage(user, institution)
