"""Section: the same shape as records.forms.Section (key, title, lines).

records.forms cannot be imported while the models load (it imports records.actions, which reads the Resident
model's fields at import time), so the layout declaration is repeated here; services.forms only reads the three
attributes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    lines: tuple
