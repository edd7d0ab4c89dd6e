"""STUB: targets and milestones (the targets helper writes the real module; replaced at merge)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class TargetInfo:
    annual: Decimal
    half_year: Decimal


def target_for(code: str, year: int, level: str, area_code: str) -> TargetInfo | None:
    return None


def milestone_for(code: str, year: int, month: int, level: str, area_code: str) -> Decimal | None:
    return None
