"""Layout declarations with the shape of records.forms.Section / Column.

records.forms cannot be imported while models load (it imports records.actions, which reads Resident._meta
relations before the app registry is ready), so the models of this app declare their layout with these
look-alikes; services.forms and records.forms read only the attributes named here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    lines: tuple


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    valueset: object | None = None
    placeholder: str = ""
    input_type: str = "text"
    size: int = 12
