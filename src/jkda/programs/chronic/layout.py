"""Section and Column, the same shapes as `jkda.records.forms.Section` / `Column`.

`records.forms` cannot be imported while the models load (it imports `records.actions`, which reads
`Resident._meta` at import time), so the form declarations use these look-alikes; the generic form and display
code only reads their attributes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    lines: tuple  # each line: a field name, or a tuple of names shown on one line


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    valueset: object | None = None
    placeholder: str = ""
    input_type: str = "text"
    size: int = 12
