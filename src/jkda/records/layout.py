"""The layout of a paper form: sections of lines of fields, and the columns of repeatable rows.

Kept apart from records.forms so that models of other apps can declare their layout without importing the forms
(which read the models' fields at import time).
"""

from __future__ import annotations

from dataclasses import dataclass

from jkda.codes import valuesets as V


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    lines: tuple  # each line: a field name, or a tuple of names shown on one line


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    valueset: V.ValueSet | None = None
    placeholder: str = ""
    input_type: str = "text"
    size: int = 12
