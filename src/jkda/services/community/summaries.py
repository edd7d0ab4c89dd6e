"""Yearly and period summaries over many institutions at once: a fixed handful of grouped queries whatever the
number of institutions (never one query per institution)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jkda.regions.models import Institution

from . import codes as C
from . import rules
from .models import (
    EducationActivity,
    InfectiousReport,
    NoticeBoard,
    PrintedMaterial,
    SupervisionReport,
    SupervisionVisit,
)

ITEM_LABELS = {
    "material_kinds": _("Kinds of printed material"),
    "av_kinds": _("Kinds of audio-visual material shown"),
    "consultations": _("Public health consultations"),
    "talks": _("Health knowledge talks"),
    "boards": _("Notice boards"),
    "board_updates": _("Notice boards updated often enough"),
}


@dataclass
class Item:
    key: str
    done: int
    minimum: int | None
    detail: str = ""

    @property
    def label(self):
        return ITEM_LABELS[self.key]

    @property
    def met(self) -> bool | None:
        return rules.met(self.done, self.minimum)


@dataclass
class EducationRow:
    institution: Institution
    year: int
    items: list[Item] = field(default_factory=list)
    activities: int = 0
    participants: int = 0

    @property
    def met(self) -> bool:
        return all(i.met is not False for i in self.items)

    def item(self, key: str) -> Item:
        return next(i for i in self.items if i.key == key)


def education_summary(institutions, year: int) -> list[EducationRow]:
    """Done vs minimum per item and institution for a calendar year (5 queries)."""
    insts = list(institutions.filter(kind__in=Institution.CLINICAL_KINDS).order_by("code"))
    ids = [i.pk for i in insts]
    materials = dict(PrintedMaterial.objects.filter(institution_id__in=ids, provided_on__year=year)
                     .values_list("institution_id").annotate(n=Count("title_text", distinct=True)).order_by())
    acts: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for inst_id, kind, n, themes, people in (
            EducationActivity.objects.filter(institution_id__in=ids, activity_date__year=year)
            .values_list("institution_id", "activity_kind")
            .annotate(n=Count("id"), themes=Count("theme", distinct=True), people=Sum("participants"))
            .order_by()):
        acts[inst_id][kind] = (n, themes)
        totals[inst_id][0] += n
        totals[inst_id][1] += people or 0
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    boards: dict[int, list[tuple[int, int]]] = defaultdict(list)  # institution → [(board id, months)]
    for pk, inst_id, set_up, retired in (
            NoticeBoard.objects.filter(institution_id__in=ids, set_up_on__lte=last)
            .filter(Q(retired_on__isnull=True) | Q(retired_on__gte=first))
            .values_list("id", "institution_id", "set_up_on", "retired_on")):
        boards[inst_id].append((pk, rules.months_in_service(year, set_up, retired)))
    updates = dict(EducationActivity.objects.filter(institution_id__in=ids, activity_date__year=year,
                                                    activity_kind=C.BOARD_UPDATE, board__isnull=False)
                   .values_list("board_id").annotate(n=Count("id")).order_by())
    out = []
    for inst in insts:
        mins = rules.minimums(inst.kind)
        a = acts.get(inst.pk, {})
        standing = boards.get(inst.pk, [])
        per_board = mins["board_updates"]
        kept = sum(1 for pk, months in standing if updates.get(pk, 0) >= rules.board_updates_due(months, per_board))
        items = [
            Item("material_kinds", materials.get(inst.pk, 0), mins["material_kinds"]),
            Item("av_kinds", a.get(C.AUDIO_VISUAL, (0, 0))[1], mins["av_kinds"]),
            Item("consultations", a.get(C.CONSULTATION, (0, 0))[0], mins["consultations"]),
            Item("talks", a.get(C.TALK, (0, 0))[0], mins["talks"]),
            Item("boards", len(standing), mins["boards"]),
            # every standing board must have had its updates (a board set up mid-year: pro rata)
            Item("board_updates", kept, len(standing) if standing else mins["boards"],
                 detail=str(sum(updates.get(pk, 0) for pk, _m in standing))),
        ]
        t = totals.get(inst.pk, [0, 0])
        out.append(EducationRow(institution=inst, year=year, items=items, activities=t[0], participants=t[1]))
    return out


@dataclass
class TimelinessRow:
    institution: Institution
    cards: int = 0
    on_time: int = 0
    urgent: int = 0
    urgent_on_time: int = 0
    revised: int = 0
    cancelled: int = 0

    @property
    def late(self) -> int:
        return self.cards - self.on_time

    @property
    def rate(self) -> float | None:
        return round(100 * self.on_time / self.cards, 1) if self.cards else None


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return lo, hi


def on_time_q() -> Q:
    """Cards reported within their deadline, as one database condition (the deadline hours are settings)."""
    urgent = dt.timedelta(hours=rules.deadline_hours(True))
    other = dt.timedelta(hours=rules.deadline_hours(False))
    return (Q(urgent=True, reported_at__lte=F("diagnosed_at") + urgent)
            | Q(urgent=False, reported_at__lte=F("diagnosed_at") + other))


def infectious_timeliness(institutions, start: dt.date, end: dt.date) -> list[TimelinessRow]:
    """Per institution, first cards (not revisions) reported in [start, end]: how many on time (1 query).

    A cancelled card does not count; an original later revised counts with its own report time."""
    insts = list(institutions.filter(kind__in=Institution.CLINICAL_KINDS).order_by("code"))
    lo, hi = period_bounds(start, end)
    base = InfectiousReport.objects.filter(institution_id__in=[i.pk for i in insts], reported_at__gte=lo,
                                           reported_at__lt=hi)
    counted = Q(revises__isnull=True) & ~Q(status=C.CANCELLED)
    ok = on_time_q()
    rows = {r["institution_id"]: r for r in base.values("institution_id").annotate(
        cards=Count("id", filter=counted), on_time=Count("id", filter=counted & ok),
        urgent_n=Count("id", filter=counted & Q(urgent=True)),
        urgent_on_time=Count("id", filter=counted & Q(urgent=True) & ok),
        revised=Count("id", filter=Q(status=C.REVISED)), cancelled=Count("id", filter=Q(status=C.CANCELLED)),
    ).order_by()}
    out = []
    for inst in insts:
        r = rows.get(inst.pk, {})
        out.append(TimelinessRow(institution=inst, cards=r.get("cards", 0), on_time=r.get("on_time", 0),
                                 urgent=r.get("urgent_n", 0), urgent_on_time=r.get("urgent_on_time", 0),
                                 revised=r.get("revised", 0), cancelled=r.get("cancelled", 0)))
    return out


@dataclass
class SupervisionRow:
    institution: Institution
    reports: int = 0
    visits: int = 0
    by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind → (reports, visits)

    def kinds(self):
        return [(C.SUP_KIND.label(k), r, v) for k, (r, v) in sorted(self.by_kind.items())]


def supervision_counts(institutions, start: dt.date, end: dt.date) -> list[SupervisionRow]:
    """Reports and inspection visits per institution and kind in [start, end] (2 queries)."""
    insts = list(institutions.filter(kind__in=Institution.CLINICAL_KINDS).order_by("code"))
    ids = [i.pk for i in insts]
    rows = {i.pk: SupervisionRow(institution=i) for i in insts}
    for inst_id, kind, n in (SupervisionReport.objects.filter(institution_id__in=ids, found_on__range=(start, end))
                             .values_list("institution_id", "kind").annotate(n=Count("id")).order_by()):
        row = rows[inst_id]
        row.reports += n
        r, v = row.by_kind.get(kind, (0, 0))
        row.by_kind[kind] = (r + n, v)
    for inst_id, kind, n in (SupervisionVisit.objects.filter(institution_id__in=ids, visit_date__range=(start, end))
                             .values_list("institution_id", "kind").annotate(n=Count("id")).order_by()):
        row = rows[inst_id]
        row.visits += n
        r, v = row.by_kind.get(kind, (0, 0))
        row.by_kind[kind] = (r, v + n)
    return [rows[i.pk] for i in insts]
