"""The key-population programs, declared by the sub-apps that implement them.

Each program sub-app (`jkda.programs.chronic`, `.mental`, `.elderly`, `.child`, `.maternal`, `.tb`) calls
`register(Program(...))` in its AppConfig.ready. The core (enrolment, exit, work lists, screening) reads only
this registry:

    code             stored on Enrollment.program ("hypertension", "diabetes", "smi", "elderly", "child", ...)
    label            Chinese name through gettext_lazy
    diagnosis_codes  PAST_DISEASE codes on the personal basic information form that suggest enrolment
    eligible(record, on) -> str | None
                     a reason why the record cannot be enrolled on that day (age, sex ...), None when it can
    due(records, as_of) -> iterable of DueItem
                     what each record of the queryset is due or overdue for, from set-based queries
    by_age           True for programs whose population is defined by age (elderly, child): every resident of
                     that age belongs, enrolment is implicit, no enrol/exit buttons
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet


@dataclass(frozen=True)
class DueItem:
    """One thing one resident is due for: an examination, a follow-up, a vaccine dose, a child check ..."""

    record_id: int
    program: str
    item: str              # what is due, in words ("第2次随访", "麻腮风 第1剂", "6月龄体检")
    due_on: dt.date        # the day it is due (the schedule's date or the suggested next visit)
    kind: str = ""         # the service form that satisfies it (services.base kind), for the "record" link
    category: str = ""     # "followup", "exam", "vaccine", "child_check", "prenatal" ... (filters, screening)
    window_end: dt.date | None = None  # last day still on time (defaults to due_on)

    def overdue(self, as_of: dt.date) -> bool:
        return (self.window_end or self.due_on) < as_of


@dataclass(frozen=True)
class Program:
    code: str
    label: str
    diagnosis_codes: tuple[str, ...] = ()
    eligible: Callable | None = None
    due: Callable[[QuerySet, dt.date], Iterable[DueItem]] | None = None
    by_age: bool = False
    order: int = 100
    extra: dict = field(default_factory=dict, compare=False)


PROGRAMS: dict[str, Program] = {}


def register(program: Program) -> None:
    existing = PROGRAMS.get(program.code)
    if existing is not None and existing != program:
        raise ValueError(f"program code {program.code!r} is already registered")
    PROGRAMS[program.code] = program


def programs() -> list[Program]:
    return sorted(PROGRAMS.values(), key=lambda p: (p.order, p.code))


def get(code: str) -> Program:
    return PROGRAMS[code]


def program_label(code: str) -> str:
    p = PROGRAMS.get(code)
    return str(p.label) if p else code


def program_choices() -> list[tuple[str, str]]:
    return [(p.code, str(p.label)) for p in programs()]
