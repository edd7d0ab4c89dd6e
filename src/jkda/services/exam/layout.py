"""Section and Column with the attributes of records.forms.Section / Column.

records.forms cannot be imported while models load (it imports records.actions, which reads Resident._meta at
import time), so the form declarations use these duck-typed twins; the generic form and display code only read
their attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

from jkda.codes.valuesets import ValueSet


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    lines: tuple


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    valueset: ValueSet | None = None
    placeholder: str = ""
    input_type: str = "text"
    size: int = 12
