"""Masked identity fields: ID numbers, phones and addresses are shown masked unless a role that needs them asks.

`1101**********002X`, `139****5678`, `苏州市吴中区****`. The full values are revealed only to clinical staff
who manage the record (doctor, record manager, head of the managing institution or one above it), and each
reveal writes an audit entry (action "reveal")."""

from __future__ import annotations

from .roles import Perm, roles_with

MASKED_FIELDS = ("id_number", "phone", "contact_phone", "current_address", "registered_address")
# Every key under which the API may send an identity field (residents, households, forms of other people):
# masked in every API answer unless the request revealed them (see `reveal_api`).
API_MASKED_KEYS = frozenset({*MASKED_FIELDS, "address", "guardian_phone", "guardian_address", "husband_phone",
                             "committee_phone"})
REVEAL_ROLES = frozenset(roles_with(Perm.REVEAL))
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
    if field.endswith("phone"):
        return mask_phone(value)
    if field.endswith("address"):
        return mask_address(value)
    return value


def may_reveal(user, institution) -> bool:
    from .roles import has
    from .scope import may_manage

    if user is None or not user.is_authenticated:
        return False
    return has(user, Perm.REVEAL) and may_manage(user, institution)


def mask_data(data, key: str = ""):
    """A JSON-able structure with the values under API_MASKED_KEYS masked (also inside a change's [old, new])."""
    if isinstance(data, dict):
        return {k: mask_data(v, k) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [mask_data(v, key) for v in data]
    if key in API_MASKED_KEYS and isinstance(data, str):
        return mask(key, data)
    return data


def wants_reveal(request) -> bool:
    return (request.GET.get("reveal") or "").lower() in ("1", "true", "yes")


def reveal_api(request, obj, institutions) -> bool:
    """An API request asked `?reveal=1` for `obj`: reveal if the user may reveal for every institution given
    (audited either way) and mark the request so that the renderer leaves the answer unmasked."""
    from . import audit

    if not wants_reveal(request):
        return False
    institutions = [i for i in institutions if i is not None]
    allowed = bool(institutions) and all(may_reveal(request.user, i) for i in institutions)
    kwargs = {"obj": obj} if hasattr(obj, "_meta") else {"object_type": "api", "object_id": str(obj)[:64]}
    audit.log("reveal", outcome="ok" if allowed else "denied", detail={"api": request.path}, **kwargs)
    if allowed:
        request.jkda_revealed = True
    return allowed
