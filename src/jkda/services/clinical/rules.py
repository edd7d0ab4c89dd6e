"""Pure rules of the encounter, consultation and two-way referral records (no database)."""

from __future__ import annotations

SENT, RECEIVED, REFUSED, RETURNED = "sent", "received", "refused", "returned"

# Which state change leads from which status (the referral's life: sent → received → returned, or sent → refused).
TRANSITIONS: dict[str, set[str]] = {
    SENT: {RECEIVED, REFUSED},
    RECEIVED: {RETURNED},
    REFUSED: set(),
    RETURNED: set(),
}
OPEN_STATUSES = (SENT, RECEIVED)  # the receiving institution still has something to do


def may_move(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, set())


SOAP_FIELDS = ("subjective", "objective", "assessment", "plan")


def soap_is_empty(values: dict) -> bool:
    """True when none of the four SOAP parts has any text (spaces do not count)."""
    return not any(str(values.get(name) or "").strip() for name in SOAP_FIELDS)


def consultants_filled(rows) -> list[dict]:
    """The consultant rows that name a doctor or an institution (empty form rows dropped)."""
    out = []
    for row in rows or []:
        if not isinstance(row, dict):
            continue
        doctor = str(row.get("doctor") or "").strip()
        institution = str(row.get("institution") or "").strip()
        if doctor or institution:
            out.append({"institution": institution, "doctor": doctor})
    return out


def encounter_rate(age: int) -> float:
    """Share of residents of this age with an encounter in a year (synthetic data): more for the old."""
    if age < 7:
        return 0.09
    if age < 45:
        return 0.05
    if age < 65:
        return 0.10
    return 0.18


def referral_rate(age: int) -> float:
    """Share of residents of this age referred out in a year (synthetic data)."""
    if age < 45:
        return 0.002
    if age < 65:
        return 0.006
    return 0.015
