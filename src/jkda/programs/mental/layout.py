"""The paper-form layout types of records.forms (Section, Column), importable from a models module.

records.forms cannot be imported while the models load (records.actions reads Resident._meta at import time), so
the form models declare their layout with these look-alikes: the same attributes, read the same way by
services.forms and records.forms.laid_out_sections.
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
