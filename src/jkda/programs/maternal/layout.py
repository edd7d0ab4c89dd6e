"""The paper-form layout record, importable from models.py.

`jkda.records.forms.Section` cannot be imported while models load (records.forms imports records.actions, which
reads Resident._meta.get_fields() at import time), so the forms here declare their layout with this twin of it:
the same fields (key, title, lines), read the same way by services.forms.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    lines: tuple  # each line: a field name, or a tuple of names shown on one line
