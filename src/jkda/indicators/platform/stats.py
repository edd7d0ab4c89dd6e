"""Monthly platform figures per district (county-level division) and for the whole area the user sees.

An institution belongs to the district of its division: a county-level division itself, a township's county, a
village's township's county (one CASE expression over the division and its parents, so every figure is one grouped
query; nothing loops over events). The rules come from settings:

- a business function is used well when ≥ JKDA_PLATFORM_ACTIVE_SHARE % of the institutions registered at the end
  of the month used it in the month (是 / 否);
- functions in JKDA_PLATFORM_CLICKS_PER_DOCTOR are judged by uses per doctor registered at the end of the month;
- uploads: document subsets covered in the month (distinct, among the required ones) out of
  JKDA_PLATFORM_REQUIRED_SUBSETS[kind], and on how many days of the month anything was uploaded;
- an area where a function was not used at all, or nothing of a kind was uploaded, is "not implemented" (未开展).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, Q, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _

from jkda.access.scope import visible_institution_ids
from jkda.regions.models import Division, Institution

from .models import (
    BusinessFunction,
    PlatformDoctor,
    PlatformInstitution,
    UploadBatch,
    UploadBatchSubset,
    UploadKind,
    UsageEvent,
)

TOTAL = None  # key of the total in the figure dicts
VIEWER_ROLES = {"bureau", "head"}


def active_share() -> Fraction:
    return Fraction(str(getattr(settings, "JKDA_PLATFORM_ACTIVE_SHARE", 60)))


def clicks_per_doctor() -> dict[str, Fraction]:
    rules = getattr(settings, "JKDA_PLATFORM_CLICKS_PER_DOCTOR", {"knowledge_base": 10, "remote_education": 5})
    return {code: Fraction(str(n)) for code, n in rules.items()}


def required_subsets() -> dict[str, int]:
    return dict(getattr(settings, "JKDA_PLATFORM_REQUIRED_SUBSETS", {"health_record": 20, "emr": 16}))


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    MONTH_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")

    @classmethod
    def parse(cls, text: str) -> Month:
        m = cls.MONTH_RE.match(text or "")
        if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
            raise ValueError(_("Write the month as YYYY-MM."))
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def previous(cls, today: dt.date | None = None) -> Month:
        first = (today or timezone.localdate()).replace(day=1) - dt.timedelta(days=1)
        return cls(first.year, first.month)

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def start(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.first, dt.time.min))

    @property
    def end(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return _("%(month)d/%(year)d") % {"year": self.year, "month": self.month}


def district_of(prefix: str = "") -> Case:
    """The id of the county-level division an institution (reached by `prefix`, e.g. "institution__") is in."""
    p = f"{prefix}division__"
    return Case(
        When(**{f"{p}level": Division.Level.COUNTY}, then=F(f"{prefix}division_id")),
        When(**{f"{p}level": Division.Level.TOWNSHIP, f"{p}parent__level": Division.Level.COUNTY},
             then=F(f"{p}parent_id")),
        When(**{f"{p}level": Division.Level.VILLAGE, f"{p}parent__parent__level": Division.Level.COUNTY},
             then=F(f"{p}parent__parent_id")),
        default=None, output_field=IntegerField(),
    )


def may_view(user) -> bool:
    return bool(user and user.is_authenticated and getattr(user, "role", None) in VIEWER_ROLES)


@dataclass
class Area:
    """What a user sees: the institutions (None: all) and the districts they are in."""

    institution_ids: list[int] | None
    districts: list[Division]
    whole_city: bool  # every district with institutions: the total row is the city's


def _district_ids(qs):
    return qs.annotate(d=district_of()).exclude(d=None).values("d").distinct().order_by()


def area_of(user) -> Area:
    ids = visible_institution_ids(user)
    districts = list(Division.objects.filter(id__in=_district_ids(Institution.objects.filter(id__in=ids)))
                     .order_by("code"))
    everywhere = Division.objects.filter(id__in=_district_ids(Institution.objects.all())) \
        .exclude(id__in=[d.pk for d in districts]).exists()
    return Area(ids, districts, bool(districts) and not everywhere)


@dataclass
class Figures:
    month: Month
    area: Area
    functions: list[BusinessFunction]
    registered: dict = field(default_factory=dict)  # district → registered institutions
    doctors: dict = field(default_factory=dict)  # district → registered doctors
    usage: dict = field(default_factory=dict)  # (district, function id) → (uses, active registered institutions)
    uploads: dict = field(default_factory=dict)  # (district, kind) → (institutions, records, days)
    covered: dict = field(default_factory=dict)  # (district, kind) → required subsets covered


def _grouped(qs, prefix: str, district_ids: list[int], keys: list[str], **aggregates) -> dict:
    """{(district, *keys) or district: values} per district and, under TOTAL, for all the districts together."""
    qs = qs.annotate(d=district_of(prefix)).filter(d__in=district_ids).order_by()
    names = list(aggregates)
    out = {}
    for by_district in (True, False):
        group = (["d"] if by_district else []) + keys
        rows = qs.values(*group).annotate(**aggregates) if group else [qs.aggregate(**aggregates)]
        for row in rows:
            d = row["d"] if by_district else TOTAL
            key = (d, *[row[k] for k in keys]) if keys else d
            values = tuple(row[n] or 0 for n in names)
            out[key] = values[0] if len(values) == 1 else values
    return out


def compute(month: Month, area: Area) -> Figures:
    ids = area.institution_ids
    district_ids = [d.pk for d in area.districts]
    last = month.last
    figures = Figures(month, area, list(BusinessFunction.objects.filter(active=True)))

    def visible(qs, field_name="institution_id"):
        return qs if ids is None else qs.filter(**{f"{field_name}__in": ids})

    on_platform = Q(registered_on__lte=last) & (Q(left_on__isnull=True) | Q(left_on__gt=last))
    registered = visible(PlatformInstitution.objects.filter(on_platform))
    figures.registered = _grouped(registered, "institution__", district_ids, [], n=Count("id"))
    figures.doctors = _grouped(visible(PlatformDoctor.objects.filter(on_platform)), "institution__", district_ids,
                               [], n=Count("id"))
    events = visible(UsageEvent.objects.filter(at__gte=month.start, at__lt=month.end, function__active=True))
    registered_ids = registered.values("institution_id")
    figures.usage = _grouped(events, "institution__", district_ids, ["function_id"], uses=Sum("count"),
                             active=Count("institution_id", distinct=True,
                                          filter=Q(institution_id__in=registered_ids)))
    batches = visible(UploadBatch.objects.filter(day__gte=month.first, day__lte=last, records__gt=0))
    figures.uploads = _grouped(batches, "institution__", district_ids, ["kind"],
                               insts=Count("institution_id", distinct=True), records=Sum("records"),
                               days=Count("day", distinct=True))
    links = visible(UploadBatchSubset.objects.filter(
        batch__day__gte=month.first, batch__day__lte=last, batch__records__gt=0, subset__required=True,
        subset__kind=F("batch__kind")), "batch__institution_id")
    figures.covered = _grouped(links, "batch__institution__", district_ids, ["batch__kind"],
                               n=Count("subset_id", distinct=True))
    return figures


# --- tables, as the page shows them and the workbook holds them ---------------------------------------------------

def yes() -> str:
    return _("Yes")


def no() -> str:
    return _("No")


def not_implemented() -> str:
    return _("not implemented")


def _one_decimal(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _threshold(value: Fraction) -> str:
    return str(_one_decimal(value)).removesuffix(".0")


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list]  # the district rows, then the total row


def function_table(figures: Figures, function: BusinessFunction) -> Table:
    per_doctor = clicks_per_doctor().get(function.code)
    share = active_share()
    headers = [_("District / county"), _("Registered institutions"), _("Institutions that used it"), _("Uses")]
    if per_doctor is None:
        headers += [_("Share of registered institutions that used it (%)"),
                    _("Compliant (≥%(share)s%%)") % {"share": _threshold(share)}]
    else:
        headers += [_("Registered doctors"), _("Uses per registered doctor"),
                    _("Compliant (≥%(n)s per doctor)") % {"n": _threshold(per_doctor)}]
    rows = []
    for key, label in _row_keys(figures):
        registered = figures.registered.get(key, 0)
        uses, active = figures.usage.get((key, function.pk), (0, 0))
        row = [label, registered, active, uses]
        if per_doctor is None:
            base, rule = registered, share / 100
        else:
            base, rule = figures.doctors.get(key, 0), per_doctor
            row.append(base)
        if uses == 0:
            row += [not_implemented(), not_implemented()]
        elif base == 0:
            row += ["—", no()]
        else:
            ratio = Fraction(active if per_doctor is None else uses, base)
            row += [_one_decimal(ratio * 100 if per_doctor is None else ratio), yes() if ratio >= rule else no()]
        rows.append(row)
    title = _("%(function)s usage") % {"function": function.name}
    return Table(f"function-{function.code}", title, headers, rows)


def upload_table(figures: Figures, kind: str) -> Table:
    required = required_subsets().get(kind)
    headers = [_("District / county"), _("Institutions that uploaded"), _("Records uploaded")]
    if required is not None:
        headers += [_("Document subsets covered"), _("Document subsets required")]
    headers.append(_("Days with uploads"))
    rows = []
    for key, label in _row_keys(figures):
        insts, records, days = figures.uploads.get((key, kind), (0, 0, 0))
        row = [label, insts, records]
        nothing = insts == 0
        if required is not None:
            row += [not_implemented() if nothing else figures.covered.get((key, kind), 0), required]
        row.append(not_implemented() if nothing else days)
        rows.append(row)
    title = _("Uploads: %(kind)s") % {"kind": UploadKind(kind).label}
    return Table(f"upload-{kind}", title, headers, rows)


def _row_keys(figures: Figures):
    for d in figures.area.districts:
        yield d.pk, d.name
    yield TOTAL, _("Whole city") if figures.area.whole_city else _("Total")


def tables(figures: Figures) -> list[Table]:
    return [*(function_table(figures, f) for f in figures.functions),
            *(upload_table(figures, kind) for kind in UploadKind.values)]


def report(user, month: Month) -> tuple[Figures, list[Table]]:
    figures = compute(month, area_of(user))
    return figures, tables(figures)
