"""Work lists: who is due or overdue for what, for one doctor or one institution; and the screening list.

Each program computes its own DueItems from set-based queries over a record queryset (see registry.Program.due);
this module scopes the records to the user, asks every program, and joins the people's names, phones and villages
in one query per page.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet

from jkda.access.scope import restrict
from jkda.records.models import Record

from .models import CallLog
from .registry import DueItem, programs

HORIZON_DAYS = 30  # items due within this many days show with the overdue ones

AGE_BANDS = ((0, 0, "0"), (1, 3, "1–3"), (4, 6, "4–6"), (7, 17, "7–17"), (18, 34, "18–34"), (35, 44, "35–44"),
             (45, 54, "45–54"), (55, 64, "55–64"), (65, 74, "65–74"), (75, 84, "75–84"), (85, 200, "85+"))


def age_band(age: int) -> str:
    for lo, hi, label in AGE_BANDS:
        if lo <= age <= hi:
            return label
    return "?"


def scoped_records(user, *, mine: bool = False) -> QuerySet:
    qs = restrict(Record.objects.filter(status=Record.Status.ACTIVE), user)
    if mine:
        qs = qs.filter(responsible_doctor=user)
    return qs


def due_items(records: QuerySet, as_of: dt.date, *, program: str = "", category: str = "") -> list[DueItem]:
    out: list[DueItem] = []
    for p in programs():
        if p.due is None or (program and p.code != program):
            continue
        for item in p.due(records, as_of):
            if not category or item.category == category:
                out.append(item)
    return out


@dataclass
class Row:
    item: DueItem
    record: Record
    overdue: bool
    days: int              # days overdue (positive) or until due (negative)
    last_call: CallLog | None = None

    @property
    def program_label(self) -> str:
        from .registry import program_label

        return program_label(self.item.program)


def due_list(user, as_of: dt.date, *, mine: bool = False, program: str = "", status: str = "",
             horizon_days: int = HORIZON_DAYS, village_code: str = "", sort: str = "due") -> list[DueItem]:
    """Due and overdue items in the user's scope (status: "" all, "overdue", "due"), sorted.

    Only the sort keys of the records are read here (one narrow query over the scope); the records themselves are
    fetched for the rows shown (`rows_for`), so a page of an institution's list does not load every resident."""
    records = scoped_records(user, mine=mine)
    if village_code:
        records = records.filter(village__code=village_code)
    horizon = as_of + dt.timedelta(days=horizon_days)
    items = [i for i in due_items(records, as_of, program=program) if i.due_on <= horizon]
    if status == "overdue":
        items = [i for i in items if i.overdue(as_of)]
    elif status == "due":
        items = [i for i in items if not i.overdue(as_of)]
    keys = {rid: (village, pinyin) for rid, village, pinyin in
            records.values_list("pk", "village__code", "resident__name_pinyin")} if items else {}
    items = [i for i in items if i.record_id in keys]
    orders = {
        "due": lambda i: (i.due_on, *keys[i.record_id]),
        "name": lambda i: (keys[i.record_id][1], i.due_on),
        "village": lambda i: (*keys[i.record_id], i.due_on),
        "program": lambda i: (i.program, i.due_on, keys[i.record_id][1]),
    }
    items.sort(key=orders.get(sort, orders["due"]))
    return items


def rows_for(items: list[DueItem], as_of: dt.date) -> list[Row]:
    """The rows to show for these items: each with its record, resident, village and the latest reminder call."""
    ids = {i.record_id for i in items}
    recs = {r.pk: r for r in Record.objects.filter(pk__in=ids).select_related("resident", "village")}
    calls = {}
    for c in CallLog.objects.filter(record_id__in=ids).order_by("called_at"):
        calls[(c.record_id, c.program, c.item, c.due_on)] = c
    return [Row(i, recs[i.record_id], i.overdue(as_of), (as_of - i.due_on).days,
                calls.get((i.record_id, i.program, i.item, i.due_on))) for i in items if i.record_id in recs]


def worklist(user, as_of: dt.date, **filters) -> list[Row]:
    """The whole list as rows (small scopes, tests); pages use due_list + rows_for on one page of items."""
    return rows_for(due_list(user, as_of, **filters), as_of)


@dataclass
class ScreeningGroup:
    village: str
    band: str
    counts: Counter


def screening(user, as_of: dt.date, *, village_code: str = "") -> tuple[list[Row], list[ScreeningGroup]]:
    """Who is due for which examination (category "exam" and the children's checks), by village and age band."""
    records = scoped_records(user)
    if village_code:
        records = records.filter(village__code=village_code)
    items = [i for i in due_items(records, as_of) if i.category in ("exam", "child_check")]
    ids = {i.record_id for i in items}
    recs = {r.pk: r for r in Record.objects.filter(pk__in=ids).select_related("resident", "village")}
    rows = [Row(i, recs[i.record_id], i.overdue(as_of), (as_of - i.due_on).days) for i in items
            if i.record_id in recs]
    groups: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for r in rows:
        groups[(r.record.village.name, age_band(r.record.resident_age(as_of)))][r.item.item] += 1
    rows.sort(key=lambda r: (r.record.village.code, r.record.resident.birth_date, r.record.resident.name_pinyin))
    out = [ScreeningGroup(v, b, dict(c)) for (v, b), c in sorted(groups.items())]  # a Counter hides .items
    return rows, out


def panels(user, as_of: dt.date) -> list[dict]:
    """Lists other apps add to the work list page (the portal's correction requests ...): an AppConfig names them
    in `worklist_panels`, dotted paths of functions (user, as_of) -> {"template": ..., **context} or None."""
    from django.apps import apps
    from django.utils.module_loading import import_string

    out = []
    for config in apps.get_app_configs():
        for path in getattr(config, "worklist_panels", ()):
            panel = import_string(path)(user, as_of)
            if panel:
                out.append(panel)
    return out
