"""The paper layout's building blocks, shaped like `records.forms.Section` / `records.forms.Column`.

`records.forms` cannot be imported while models load (it imports `records.actions`, which reads every model's
fields at import time), so the models of this app declare their layout with these twins: the generic form,
display and API code only read the attributes.
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
    valueset: object = None
    placeholder: str = ""
    input_type: str = "text"
    size: int = 12
