"""The half-year analysis report (居民健康状况分析报告, DOMAIN.md §1 item 8) as plain data.

`build_report(area, half_year, user)` gathers, for an area (a division: city, district, township, village; or an
institution with the institutions under it) and a half-year ("2026H1" = 1 Jan – 30 Jun), the figures the bureaus
ask for at least every half year:

    groups     each population group: residents with a record, people served in the period, under management
    problems   the main health problems: past diseases and program enrolment, program diagnoses, the current main
               problems and abnormalities of the examinations in the period; top N with count and share
    lifestyle  smoking, drinking, exercise, diet, BMI (Chinese adult cut-offs 24 / 28), waist, BP and glucose in the
               latest examination of each person in the period
    control    managed hypertension / diabetes patients controlled at their latest follow-up in the period
               (programs.chronic.monitoring), severe mental disorder patients stable at their latest follow-up
    targets    the key management targets (重点管理对象) per category, and the people themselves (masked ID
               numbers) only for roles that may see identities; bureaus get the counts
    plans      sentences drawn from the figures, for the plans and interventions section

Every figure is a grouped or conditional aggregate over the records of the area (no loop over residents); a record
counts when it was established by the end of the period and not closed by then. A period still running is counted
up to today (`as_of`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jkda.access.masking import REVEAL_ROLES, mask_id
from jkda.access.scope import restrict, visible_institution_ids
from jkda.codes.valuesets import PAST_DISEASE, SEX
from jkda.records.models import Record
from jkda.regions.models import Division, Institution

HALF_RE = re.compile(r"^\s*(\d{4})\s*[Hh]\s*([12])\s*$")
TOP_N = 10
LIST_LIMIT = 500          # people listed per category of key management targets
OVERDUE_DAYS = 90         # a patient under management with no follow-up for this long is overdue (quarterly visits)
DEPENDENCE_DAYS = 365     # the self-care assessment is yearly: the latest one within a year counts
REPORT_ROLES = {"bureau", "head", "record_manager"}

HTN, DM, SMI, TB, MATERNAL, CHILD, ELDERLY = "hypertension", "diabetes", "smi", "tb", "maternal", "child", "elderly"
KEY_PROGRAMS = (HTN, DM, SMI, TB)


# --- input ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HalfYear:
    year: int
    half: int

    @property
    def code(self) -> str:
        return f"{self.year}H{self.half}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.year, 6, 30) if self.half == 1 else dt.date(self.year, 12, 31)

    @property
    def label(self) -> str:
        return (_("%(year)s, first half") if self.half == 1 else _("%(year)s, second half")) % {"year": self.year}


def parse_half_year(text: str, today: dt.date | None = None) -> HalfYear:
    """'2026H1' → HalfYear(2026, 1); a clear Chinese error for anything else or a half-year not begun."""
    m = HALF_RE.match(str(text or ""))
    if not m or not 2000 <= int(m.group(1)) <= 2100:
        raise ValidationError(_("“%(value)s” is not a half-year: write the year and H1 (January–June) or H2 "
                                "(July–December), e.g. 2026H1.") % {"value": text or ""}, code="half_year")
    half = HalfYear(int(m.group(1)), int(m.group(2)))
    today = today or timezone.localdate()
    if half.start > today:
        raise ValidationError(_("The half-year %(half)s has not begun yet.") % {"half": half.code}, code="half_year")
    return half


@dataclass(frozen=True)
class Area:
    """What a report covers: a division (records of residents living in it) or an institution (records it and
    the institutions under it manage)."""

    code: str
    name: str
    kind: str            # "division" or "institution"
    level: str           # the division's level or the institution's kind, for display
    obj: object

    def records_q(self) -> Q:
        if self.kind == "institution":
            return Q(institution_id__in=self.obj.subtree().values("id"))
        return Q(village_id__in=division_subtree(self.obj))


def division_subtree(division: Division) -> QuerySet:
    """Ids of the villages within a division, as a subquery. Below a county, codes nest (a township's code starts
    with its county's, a village's with its township's); above, the counties are found through the parents."""
    villages = Division.objects.filter(level=Division.Level.VILLAGE)
    if division.level in (Division.Level.COUNTY, Division.Level.TOWNSHIP, Division.Level.VILLAGE):
        return villages.filter(code__startswith=division.code).values("id")
    frontier, counties = [division.pk], []
    for _depth in range(3):
        children = list(Division.objects.filter(parent_id__in=frontier).values_list("id", "code", "level"))
        counties += [code for _id, code, level in children if level == Division.Level.COUNTY]
        frontier = [i for i, _code, level in children if level in (Division.Level.PROVINCE, Division.Level.CITY)]
        if not frontier:
            break
    q = Q(pk__in=[])
    for code in counties:
        q |= Q(code__startswith=code)
    return villages.filter(q).values("id")


def resolve_area(code: str) -> Area:
    code = (code or "").strip()
    if not code:
        raise ValidationError(_("Give the code of a division or an institution."), code="area")
    div = Division.objects.filter(code=code).first()
    if div is not None:
        return Area(div.code, div.name, "division", div.get_level_display(), div)
    inst = Institution.objects.filter(code=code).first()
    if inst is not None:
        return Area(inst.code, inst.name, "institution", inst.get_kind_display(), inst)
    raise ValidationError(_("There is no division or institution with the code “%(code)s”.") % {"code": code},
                          code="area")


def check_scope(area: Area, user) -> None:
    """A user reports on their own jurisdiction only: an institution they may see, or a division their institution
    serves (or one inside it). System jobs (user None) may report on any area; `is_superuser` grants nothing."""
    if user is None:
        return
    ids = visible_institution_ids(user)
    if area.kind == "institution":
        ok = area.obj.pk in ids
    else:
        own = user.institution.division_id if user.institution_id else None
        ok, node = False, area.obj
        while node is not None and not ok:
            ok = node.pk == own
            node = node.parent
    if not ok:
        raise PermissionDenied(_("%(area)s is outside your jurisdiction: you may report on %(own)s and the areas "
                                 "within it.") % {"area": area.name,
                                                  "own": user.institution.name if user.institution_id else "—"})


def may_see_identities(user) -> bool:
    """Names with masked ID numbers are listed for clinical roles of the managing side; bureaus get counts."""
    return user is not None and getattr(user, "role", None) in REVEAL_ROLES


# --- small helpers ------------------------------------------------------------------------------------------------

def years_before(day: dt.date, n: int) -> dt.date:
    try:
        return day.replace(year=day.year - n)
    except ValueError:  # 29 February
        return day.replace(year=day.year - n, day=28)


def share(n: int, d: int) -> float | None:
    return round(100 * n / d, 1) if d else None


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def has_code(field: str, code: str) -> Q:
    """A code in a JSON list of codes (CodeListField), on SQLite and PostgreSQL alike: the quoted code in the text."""
    return Q(**{f"{field}__icontains": f'"{code}"'})


def past_disease(code: str) -> Q:
    """A past disease of the personal basic information ([{"code": "2", "date": ...}])."""
    return (Q(resident__past_diseases__icontains=f'"code": "{code}"')
            | Q(resident__past_diseases__icontains=f'"code":"{code}"'))


def forms_of(program: str) -> list:
    from jkda.services.base import service_models

    return [m for m in service_models() if m.program == program]


def served_in(models, start: dt.date, end: dt.date) -> Q:
    """The record (pk) has a form of any of the models dated in the period. Uncorrelated IN subqueries: the
    database builds each set once instead of probing per record."""
    q = Q(pk__in=[])
    for m in models:
        q |= Q(pk__in=m.objects.filter(**{f"{m.date_field}__range": (start, end)}).values("record_id"))
    return q


def enrolled_on(program: str, day: dt.date, since: dt.date | None = None) -> Q:
    """The record (pk) is under management in the program on the day (enrolled by `since`, when given)."""
    from jkda.programs.models import Enrollment

    qs = Enrollment.objects.active_on(day).filter(program=program)
    if since is not None:
        qs = qs.filter(enrolled_on__lte=since)
    return Q(pk__in=qs.values("record_id"))


def enrolled_during(program: str, start: dt.date, end: dt.date) -> Q:
    from jkda.programs.models import Enrollment

    return Q(pk__in=Enrollment.objects.filter(program=program, enrolled_on__lte=end)
             .filter(Q(exited_on__isnull=True) | Q(exited_on__gte=start)).values("record_id"))


def latest(model, records: QuerySet, start: dt.date, end: dt.date) -> QuerySet:
    """The latest form of the model per record within the period (by date, then entry order)."""
    later = model.objects.filter(record_id=OuterRef("record_id"), service_date__range=(start, end)).filter(
        Q(service_date__gt=OuterRef("service_date")) | Q(service_date=OuterRef("service_date"), pk__gt=OuterRef("pk")))
    return model.objects.filter(record_id__in=records.values("pk"), service_date__range=(start, end)) \
        .filter(~Exists(later))


def program_label(code: str) -> str:
    from jkda.programs.registry import program_label as label

    return label(code)


# --- the report ---------------------------------------------------------------------------------------------------

def area_records(area: Area, user, as_of: dt.date) -> QuerySet:
    """Records of the area the user may see, established by `as_of` and not closed by then."""
    qs = Record.objects.filter(area.records_q())
    if user is not None:
        qs = restrict(qs, user)
    return qs.filter(established_on__lte=as_of).filter(Q(closed_on__isnull=True) | Q(closed_on__gt=as_of))


def build_report(area: Area | str, half_year: HalfYear | str, user, *, top_n: int = TOP_N) -> dict:
    if isinstance(area, str):
        area = resolve_area(area)
    if isinstance(half_year, str):
        half_year = parse_half_year(half_year)
    check_scope(area, user)
    today = timezone.localdate()
    start, end = half_year.start, half_year.end
    as_of = min(end, today)
    base = area_records(area, user, as_of)
    now = timezone.localtime()
    groups = population_groups(base, start, as_of)
    problems = main_problems(base, start, as_of, top_n)
    lifestyle = lifestyle_factors(base, start, as_of)
    control = control_rates(base, start, as_of)
    identities = may_see_identities(user)
    targets = key_targets(base, start, as_of, identities)
    report = {
        "title": _("%(area)s %(period)s: analysis of residents' health") % {
            "area": area.name, "period": half_year.label},
        "area": {"code": area.code, "name": area.name, "kind": area.kind, "level": str(area.level)},
        "half_year": half_year.code,
        "period": {"start": start.isoformat(), "end": end.isoformat(), "as_of": as_of.isoformat(),
                   "label": half_year.label},
        "generated_at": now.strftime("%Y-%m-%d %H:%M"),
        "generated_on": now.date().isoformat(),
        "generated_by": (getattr(user, "full_name", "") or user.get_username()) if user is not None
        else _("system (command line)"),
        "username": user.get_username() if user is not None else "",
        "records": base.count(),
        "show_identities": identities,
        "groups": groups,
        "problems": problems,
        "lifestyle": lifestyle,
        "control": control,
        "targets": targets,
    }
    report["plans"] = plans(report)
    return report


def population_groups(base: QuerySet, start: dt.date, as_of: dt.date) -> list[dict]:
    """Records, people served in the period and people under management at its end, per group: one query."""
    from jkda.programs.registry import PROGRAMS
    from jkda.services.exam.models import Exam
    from jkda.services.exam.rules import elderly_age

    old = elderly_age()
    birth = "resident__birth_date"
    exam = [Exam]
    specs = [
        (CHILD, _("Children aged 0–6"), Q(**{f"{birth}__gt": years_before(as_of, 7), f"{birth}__lte": as_of}),
         served_in(forms_of(CHILD), start, as_of), None),
        (MATERNAL, _("Pregnant and postpartum women"), enrolled_during(MATERNAL, start, as_of),
         served_in(forms_of(MATERNAL), start, as_of), enrolled_on(MATERNAL, as_of)),
        ("adult", _("Adults aged 18–%(n)s") % {"n": old - 1},
         Q(**{f"{birth}__gt": years_before(as_of, old), f"{birth}__lte": years_before(as_of, 18)}),
         served_in(exam, start, as_of), None),
        (ELDERLY, _("Elderly aged %(n)s and over") % {"n": old}, Q(**{f"{birth}__lte": years_before(as_of, old)}),
         served_in(exam + forms_of(ELDERLY), start, as_of), None),
    ]
    labels = {HTN: _("Hypertension patients"), DM: _("Type 2 diabetes patients"),
              SMI: _("Severe mental disorder patients"), TB: _("Tuberculosis patients")}
    for code in KEY_PROGRAMS:
        diag = Q(pk__in=[])
        spec = PROGRAMS.get(code)
        for c in (spec.diagnosis_codes if spec else ()):
            diag |= past_disease(c)
        specs.append((code, labels[code], diag | enrolled_during(code, start, as_of),
                      served_in(forms_of(code), start, as_of), enrolled_on(code, as_of)))
    agg = {}
    for key, _label, who, served, enrolled in specs:
        agg[f"{key}_records"] = Count("pk", filter=who)
        agg[f"{key}_served"] = Count("pk", filter=who & served)
        if enrolled is not None:
            agg[f"{key}_enrolled"] = Count("pk", filter=who & enrolled)
    row = base.aggregate(**agg)
    out = []
    for key, label, _who, _served, enrolled in specs:
        n, s = row[f"{key}_records"], row[f"{key}_served"]
        out.append({"key": key, "label": str(label), "records": n, "served": s,
                    "enrolled": row[f"{key}_enrolled"] if enrolled is not None else None, "served_share": share(s, n)})
    return out


def latest_exams(base: QuerySet, start: dt.date, as_of: dt.date) -> QuerySet:
    from jkda.services.exam.models import Exam

    return latest(Exam, base, start, as_of)


EXAM_PROBLEM_FIELDS = ("cerebrovascular", "kidney", "heart", "vascular", "eye", "nervous", "other_system")


def main_problems(base: QuerySet, start: dt.date, as_of: dt.date, top_n: int) -> dict:
    from jkda.programs.mental.codes import SMI_DIAGNOSIS
    from jkda.programs.mental.models import SmiProfile
    from jkda.programs.registry import PROGRAMS
    from jkda.services.exam.models import Exam

    n_records = base.count()
    exams = latest_exams(base, start, as_of)
    n_examined = exams.count()
    src_record = _("Past history or program")
    src_smi = _("Severe mental disorder diagnosis")
    src_exam = _("Examination: current problem")
    src_abn = _("Examination: abnormality")
    rows: list[dict] = []

    # past diseases on the personal basic information, or under management in the program of that diagnosis
    by_code = {c: code for code, p in PROGRAMS.items() for c in p.diagnosis_codes}
    agg = {}
    for code in PAST_DISEASE.codes:
        if code == PAST_DISEASE.none_code:
            continue
        q = past_disease(code)
        if code in by_code:
            q |= enrolled_on(by_code[code], as_of)
        agg[f"d{code}"] = Count("pk", filter=q)
    counts = base.aggregate(**agg)
    for code in PAST_DISEASE.codes:
        n = counts.get(f"d{code}") or 0
        if n:
            rows.append({"problem": PAST_DISEASE.label(code), "source": str(src_record), "count": n,
                         "denominator": n_records})

    # severe mental disorder diagnoses (the supplementary form)
    for diagnosis, n in (SmiProfile.objects.filter(record_id__in=base.values("pk"), service_date__lte=as_of)
                         .exclude(diagnosis="").order_by().values("diagnosis")
                         .annotate(n=Count("record_id", distinct=True)).values_list("diagnosis", "n")):
        rows.append({"problem": SMI_DIAGNOSIS.label(diagnosis), "source": str(src_smi), "count": n,
                     "denominator": n_records})

    # current main health problems ticked on the latest examination of the period
    agg, names = {}, {}
    for name in EXAM_PROBLEM_FIELDS:
        field = Exam._meta.get_field(name)
        vs = field.valueset
        for code in vs.codes:
            if code == vs.none_code:
                continue
            key = f"{name}_{code}"
            agg[key] = Count("pk", filter=has_code(name, code))
            names[key] = str(field.verbose_name) if len(vs.codes) == 2 else \
                f"{field.verbose_name}：{vs.label(code)}"
    counts = exams.aggregate(**agg) if agg else {}
    for key, label in names.items():
        if counts.get(key):
            rows.append({"problem": label, "source": str(src_exam), "count": counts[key], "denominator": n_examined})

    # abnormalities written on the evaluation (free text, grouped by their words)
    abnormal: dict[str, int] = {}
    for i in range(1, 5):
        field = f"abnormality_{i}"
        for text, n in exams.exclude(**{field: ""}).order_by().values(field).annotate(n=Count("pk")) \
                .values_list(field, "n"):
            text = text.strip()
            if text:
                abnormal[text] = abnormal.get(text, 0) + n
    for text, n in abnormal.items():
        rows.append({"problem": text, "source": str(src_abn), "count": n, "denominator": n_examined})

    for r in rows:
        r["share"] = share(r["count"], r["denominator"])
    rows.sort(key=lambda r: (-r["count"], -(r["share"] or 0), r["problem"]))
    top = rows[:top_n]
    for i, r in enumerate(top, 1):
        r["rank"] = i
    return {"records": n_records, "examined": n_examined, "top_n": top_n, "rows": top}


def lifestyle_factors(base: QuerySet, start: dt.date, as_of: dt.date) -> dict:
    """Risk factors in the latest examination of each person examined in the period: one query."""
    exams = latest_exams(base, start, as_of)
    male, female = Q(record__resident__sex="1"), Q(record__resident__sex="2")
    bp_known = Q(bp_left_sbp__isnull=False) | Q(bp_right_sbp__isnull=False)
    bp_high = (Q(bp_left_sbp__gte=140) | Q(bp_left_dbp__gte=90) | Q(bp_right_sbp__gte=140)
               | Q(bp_right_dbp__gte=90))
    waist_known = Q(waist__isnull=False) & (male | female)
    diet_known = Q(diet__icontains='"')
    # (key, label, numerator, denominator key)
    factors = [
        ("smoker", _("Current smokers"), Q(smoking_status="3"), "smoking"),
        ("quit_smoking", _("Former smokers"), Q(smoking_status="2"), "smoking"),
        ("drink_daily", _("Drink daily"), Q(drinking_frequency="4"), "drinking"),
        ("drink_often", _("Drink often"), Q(drinking_frequency="3"), "drinking"),
        ("no_exercise", _("Never exercise"), Q(exercise_frequency="4"), "exercise"),
        ("exercise_daily", _("Exercise daily"), Q(exercise_frequency="1"), "exercise"),
        ("salty", _("Salty diet"), has_code("diet", "4"), "diet"),
        ("oily", _("Oily diet"), has_code("diet", "5"), "diet"),
        ("sweet", _("Sweet diet"), has_code("diet", "6"), "diet"),
        ("meat", _("Mainly meat"), has_code("diet", "2"), "diet"),
        ("underweight", _("Underweight (BMI < 18.5)"), Q(bmi__lt=Decimal("18.5")), "bmi"),
        ("overweight", _("Overweight (24 ≤ BMI < 28)"), Q(bmi__gte=24, bmi__lt=28), "bmi"),
        ("obese", _("Obesity (BMI ≥ 28)"), Q(bmi__gte=28), "bmi"),
        ("central_obesity", _("Central obesity (waist ≥ 90 cm men, ≥ 85 cm women)"),
         (male & Q(waist__gte=90)) | (female & Q(waist__gte=85)), "waist"),
        ("high_bp", _("Blood pressure ≥ 140/90 mmHg at the examination"), bp_high, "bp"),
        ("high_glucose", _("Fasting glucose ≥ 7.0 mmol/L"), Q(fasting_glucose__gte=Decimal("7.0")), "glucose"),
    ]
    known = {
        "smoking": ~Q(smoking_status=""), "drinking": ~Q(drinking_frequency=""),
        "exercise": ~Q(exercise_frequency=""), "diet": diet_known, "bmi": Q(bmi__isnull=False),
        "waist": waist_known, "bp": bp_known, "glucose": Q(fasting_glucose__isnull=False),
    }
    agg = {"examined": Count("pk")}
    agg.update({f"known_{k}": Count("pk", filter=q) for k, q in known.items()})
    agg.update({key: Count("pk", filter=q & known[d]) for key, _label, q, d in factors})
    row = exams.aggregate(**agg)
    rows = []
    for key, label, _q, d in factors:
        n, den = row[key], row[f"known_{d}"]
        rows.append({"key": key, "factor": str(label), "count": n, "denominator": den, "share": share(n, den)})
    return {"examined": row["examined"], "rows": rows}


def control_rates(base: QuerySet, start: dt.date, as_of: dt.date) -> list[dict]:
    from jkda.programs.chronic import monitoring
    from jkda.programs.mental.models import SmiFollowup

    out = []
    labels = {HTN: _("Hypertension (blood pressure controlled)"), DM: _("Type 2 diabetes (glucose controlled)")}
    for program in (HTN, DM):
        managed = base.filter(enrolled_on(program, as_of))
        n = managed.count()
        followed = monitoring.latest_in_period(program, start, as_of, managed).count()
        controlled = len(monitoring.latest_controlled(program, start, as_of, managed))
        out.append({"key": program, "label": str(labels[program]), "managed": n, "followed": followed,
                    "controlled": controlled, "rate": share(controlled, n)})
    managed = base.filter(enrolled_on(SMI, as_of))
    n = managed.count()
    row = latest(SmiFollowup, managed, start, as_of).aggregate(followed=Count("pk"),
                                                               stable=Count("pk", filter=Q(classification="3")))
    out.append({"key": SMI, "label": str(_("Severe mental disorder (stable)")), "managed": n,
                "followed": row["followed"], "controlled": row["stable"], "rate": share(row["stable"], n)})
    return out


# --- key management targets ---------------------------------------------------------------------------------------

def key_targets(base: QuerySet, start: dt.date, as_of: dt.date, identities: bool) -> dict:
    from jkda.programs.chronic import monitoring
    from jkda.programs.elderly.models import SelfCareAssessment
    from jkda.programs.mental.models import SmiFollowup
    from jkda.services.exam import codes as EC
    from jkda.services.exam.rules import elderly_age

    categories = []

    def add(key, label, forms: QuerySet, describe):
        """`forms` holds one row per person (a latest form, or the record itself for key "overdue")."""
        categories.append({"key": key, "label": str(label), "count": forms.count(), "qs": forms,
                           "describe": describe})

    htn = monitoring.latest_in_period(HTN, start, as_of, base.filter(enrolled_on(HTN, as_of)))
    add("uncontrolled_hypertension", _("Hypertension patients not controlled at the latest follow-up"),
        htn.filter(controlled=False), lambda r: _("%(sbp)s/%(dbp)s mmHg (%(date)s)") % {
            "sbp": r["sbp"] or "—", "dbp": r["dbp"] or "—", "date": r["service_date"]})
    dm = monitoring.latest_in_period(DM, start, as_of, base.filter(enrolled_on(DM, as_of)))
    add("uncontrolled_diabetes", _("Diabetes patients not controlled at the latest follow-up"),
        dm.filter(controlled=False),
        lambda r: _("fasting glucose %(value)s mmol/L (%(date)s)") % {"value": r["fasting_glucose"] or "—",
                                                                       "date": r["service_date"]})
    smi = latest(SmiFollowup, base.filter(enrolled_on(SMI, as_of)), start, as_of)
    add("unstable_smi", _("Severe mental disorder patients unstable at the latest follow-up"),
        smi.filter(classification="1"),
        lambda r: _("risk level %(risk)s (%(date)s)") % {"risk": r["risk"], "date": r["service_date"]})
    old = base.filter(resident__birth_date__lte=years_before(as_of, elderly_age()))
    care = latest(SelfCareAssessment, old, as_of - dt.timedelta(days=DEPENDENCE_DAYS - 1), as_of)
    add("dependent_elderly", _("Elderly with moderate or severe dependence (self-care assessment)"),
        care.filter(level__in=("3", "4")),
        lambda r: _("%(level)s (%(date)s)") % {"level": EC.SELFCARE_LEVEL.label(r["level"]), "date": r["service_date"]})

    since = as_of - dt.timedelta(days=OVERDUE_DAYS)
    flags = {}
    for program in KEY_PROGRAMS:
        flags[f"overdue_{program}"] = enrolled_on(program, as_of, since=since) & ~served_in(
            forms_of(program), since + dt.timedelta(days=1), as_of)
    any_overdue = Q(pk__in=[])
    for q in flags.values():
        any_overdue |= q
    overdue = base.filter(any_overdue)
    if identities:
        from django.db.models import BooleanField, ExpressionWrapper

        overdue = overdue.annotate(**{k: ExpressionWrapper(q, output_field=BooleanField()) for k, q in flags.items()})
    add("overdue", _("Patients under management with no follow-up in the last %(n)s days") % {"n": OVERDUE_DAYS},
        overdue, lambda r: "、".join(program_label(p) for p in KEY_PROGRAMS if r.get(f"overdue_{p}")))

    people = None
    if identities:
        people = []
        for cat in categories:
            people += _people(cat, as_of)
    for cat in categories:
        del cat["qs"], cat["describe"]
    return {"categories": categories, "total": sum(c["count"] for c in categories), "people": people,
            "list_limit": LIST_LIMIT}


PERSON_FIELDS = {
    "uncontrolled_hypertension": ("sbp", "dbp", "service_date"),
    "uncontrolled_diabetes": ("fasting_glucose", "service_date"),
    "unstable_smi": ("risk", "service_date"),
    "dependent_elderly": ("level", "service_date"),
    "overdue": tuple(f"overdue_{p}" for p in KEY_PROGRAMS),
}


def _people(cat: dict, as_of: dt.date) -> list[dict]:
    """The people of one category (at most LIST_LIMIT), with the ID number masked."""
    on_record = cat["key"] == "overdue"
    prefix = "" if on_record else "record__"
    cols = {"number": f"{prefix}number", "name": f"{prefix}resident__name", "sex": f"{prefix}resident__sex",
            "birth": f"{prefix}resident__birth_date", "id_number": f"{prefix}resident__id_number",
            "institution": f"{prefix}institution__name"}
    rows = cat["qs"].order_by(cols["institution"], cols["number"]).values(*cols.values(),
                                                                          *PERSON_FIELDS[cat["key"]])[:LIST_LIMIT]
    out = []
    for r in rows:
        out.append({"category": cat["label"], "name": r[cols["name"]], "sex": SEX.label(r[cols["sex"]]),
                    "age": age_on(r[cols["birth"]], as_of), "id_number": mask_id(r[cols["id_number"]]),
                    "record": r[cols["number"]], "institution": r[cols["institution"]],
                    "detail": cat["describe"](r)})
    return out


# --- plans and interventions --------------------------------------------------------------------------------------

def plans(report: dict) -> list[str]:
    """Factual sentences from the figures: what is most frequent, which group is least served or controlled."""
    out = []
    top = report["problems"]["rows"][:3]
    if top:
        items = "、".join(_("%(problem)s (%(n)s people, %(share)s%%)") % {
            "problem": r["problem"], "n": r["count"], "share": _pct(r["share"])} for r in top)
        out.append(_("The most frequent health problems in the period are %(items)s: health education, screening "
                     "and management should concentrate on them.") % {"items": items})
    else:
        out.append(_("No health problem was recorded in the period."))
    groups = [g for g in report["groups"] if g["records"]]
    if groups:
        low = min(groups, key=lambda g: (g["served_share"], g["label"]))
        out.append(_("The group least served in the period is %(group)s: %(served)s of %(n)s people (%(share)s%%) "
                     "received a service.") % {"group": low["label"], "served": low["served"], "n": low["records"],
                                                 "share": _pct(low["served_share"])})
    rated = [c for c in report["control"] if c["managed"]]
    if rated:
        low = min(rated, key=lambda c: (c["rate"], c["label"]))
        out.append(_("The lowest control among managed patients is %(item)s: %(n)s of %(m)s (%(rate)s%%); the "
                     "patients not controlled are followed up within two weeks and referred after two uncontrolled "
                     "visits in a row.") % {"item": low["label"], "n": low["controlled"], "m": low["managed"],
                                             "rate": _pct(low["rate"])})
    life = [r for r in report["lifestyle"]["rows"] if r["denominator"] and r["count"]
            and r["key"] not in ("quit_smoking", "exercise_daily")]
    if life:
        worst = sorted(life, key=lambda r: (-r["share"], r["factor"]))[:3]
        items = "、".join(f"{r['factor']} {_pct(r['share'])}%" for r in worst)
        out.append(_("Among the people examined, the most common risk factors are %(items)s: lifestyle guidance "
                     "should address them.") % {"items": items})
    t = report["targets"]
    if t["total"]:
        items = "、".join(f"{c['label']} {c['count']}" for c in t["categories"] if c["count"])
        out.append(_("%(n)s key management targets are listed (%(items)s): their responsible doctors follow them "
                     "up first.") % {"n": t["total"], "items": items})
    return out


def _pct(v) -> str:
    return "—" if v is None else f"{v:.1f}"
