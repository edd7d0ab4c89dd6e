"""Synthetic children 0–6: vaccination certificates, every dose of the national schedule, newborn visits, child
health checks and TCM guidance.

Each institution draws once how well it keeps the schedules (on-time share of doses, share of doses missed,
certificate, newborn-visit, check and TCM coverage), so that rates differ between institutions. Doses follow the
same rules as the forms (rules.dose_due: schedule age or previous dose + interval), most on time, some a month or
more late, a few missing (and then the rest of that vaccine's series too). Doses cover the child's whole life up
to the reference date (the card must be complete); newborn visits, checks and TCM services are within the year
before it. Same seed ⇒ same rows.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max

from jkda.synth.extensions import reset_sequences

from . import rules as R
from .models import (
    ChildTcm,
    InfantCheck,
    NewbornVisit,
    PreschoolCheck,
    ToddlerCheck,
    VaccinationCertificate,
    VaccineDose,
)

CHUNK = 20_000
BASE = ["record_id", "service_date", "institution_id", "doctor_id", "doctor_name", "form_version", "version"]
DOSE_COLS = BASE + ["vaccine", "dose_number", "batch", "manufacturer", "site", "vaccination_unit"]
CERT_COLS = BASE + ["certificate_number", "card_number"]
NEWBORN_COLS = BASE + ["gestational_weeks", "gestational_days", "mother_illness", "birth_institution", "birth_mode",
                       "asphyxia", "malformation", "hearing_screening", "disease_screening", "birth_weight",
                       "current_weight", "birth_length", "feeding", "vomiting", "stool", "temperature", "pulse",
                       "respiration", "complexion", "jaundice", "fontanelle", "eyes", "limbs", "ears", "neck_mass",
                       "nose", "skin", "mouth", "anus", "heart_lung", "genitals", "abdomen", "spine",
                       "umbilical_cord", "referral", "guidance", "next_visit_on"]
CHECK_COLS = BASE + ["month_age", "weight", "weight_eval", "length", "length_eval", "head_circumference",
                     "complexion", "skin", "eyes", "ears", "hearing", "heart_lung", "abdomen", "limbs", "hb",
                     "development", "referral", "guidance", "next_visit_on"]
TCM_COLS = BASE + ["month_age", "guidance"]

MANUFACTURERS = {
    "HepB": ("深圳康泰生物制品股份有限公司", "大连汉信生物制药有限公司", "华北制药金坦生物技术股份有限公司"),
    "BCG": ("上海生物制品研究所有限责任公司", "成都生物制品研究所有限责任公司"),
    "IPV": ("北京生物制品研究所有限责任公司", "中国医学科学院医学生物学研究所"),
    "bOPV": ("中国医学科学院医学生物学研究所", "北京生物制品研究所有限责任公司"),
    "DTaP": ("武汉生物制品研究所有限责任公司", "成都欧林生物科技股份有限公司"),
    "DT": ("武汉生物制品研究所有限责任公司",),
    "MMR": ("北京生物制品研究所有限责任公司",),
    "JE-L": ("成都生物制品研究所有限责任公司",),
    "MPSV-A": ("兰州生物制品研究所有限责任公司", "罗益（无锡）生物制药有限公司"),
    "MPSV-AC": ("兰州生物制品研究所有限责任公司", "罗益（无锡）生物制药有限公司"),
    "HepA-L": ("浙江普康生物技术股份有限公司", "长春生物制品研究所有限责任公司"),
}
SITES = {"BCG": ("1",), "bOPV": ("5",), "HepB": ("2", "4"), "IPV": ("2", "4", "3"), "DTaP": ("2", "1"),
         "DT": ("2",), "MMR": ("1", "2"), "JE-L": ("1", "2"), "MPSV-A": ("1", "2"), "MPSV-AC": ("1", "2"),
         "HepA-L": ("1", "2")}
BIRTH_HOSPITALS = ("市妇幼保健院", "市第一人民医院", "区人民医院", "市立医院", "县中医院")
CHECK_MODELS = {R.INFANT: InfantCheck, R.TODDLER: ToddlerCheck, R.PRESCHOOL: PreschoolCheck}


def _median_size(months: float, male: bool) -> tuple[float, float, float]:
    """Rough WHO medians: weight (kg), length/height (cm), head circumference (cm) at an age in months."""
    if months <= 12:
        w = 3.3 + 0.75 * min(months, 4) + 0.4 * max(0.0, min(months, 12) - 4)
        h = 50 + 3.5 * min(months, 3) + 1.7 * max(0.0, months - 3)
        hc = 34.5 + 2.1 * min(months, 3) + 0.6 * max(0.0, months - 3)
    else:
        w = 9.6 + 0.2 * min(months - 12, 12) + 0.18 * max(0.0, months - 24)
        h = 75.5 + 0.95 * min(months - 12, 12) + 0.62 * max(0.0, months - 24)
        hc = 45.5 + 0.15 * min(months - 12, 24)
    if not male:
        w, h, hc = w * 0.95, h * 0.98, hc * 0.98
    return w, h, hc


def _eval3(z: float) -> str:
    return "1" if z > 1.3 else "3" if z < -1.3 else "2"


class InstitutionHabits:
    """How well one institution keeps the children's schedules (drawn once per institution)."""

    def __init__(self, rng):
        self.on_time = rng.uniform(0.72, 0.97)
        self.missing = rng.uniform(0.002, 0.03)
        self.certificate = rng.uniform(0.93, 0.995)
        self.newborn = rng.uniform(0.80, 0.97)
        self.check = rng.uniform(0.70, 0.95)
        self.tcm = rng.uniform(0.55, 0.85)


# (vaccine, dose, months, days, previous dose key, interval, at birth, manufacturers, sites) per scheduled dose
_PLAN = tuple((d.key, d.vaccine, d.dose, d.months, d.days, d.previous, dt.timedelta(days=d.interval_days),
               d.months == 0, MANUFACTURERS[d.vaccine], SITES[d.vaccine]) for d in R.VACCINE_SCHEDULE)


def _doses(rng, habits, birth, as_of, base) -> list[tuple]:
    """Every dose of the schedule up to as_of, by the same due rule as the forms (rules.dose_due), inlined."""
    given: dict[tuple[str, int], dt.date] = {}
    skipped: set[str] = set()
    at_months: dict[int, dt.date] = {}
    rows = []
    rand, randint, choice = rng.random, rng.randint, rng.choice
    rec_id, rest = base[0], base[1:]
    for key, vaccine, dose, months, days, prev, interval, at_birth, makers, sites in _PLAN:
        if vaccine in skipped:
            continue
        if rand() < habits.missing:
            skipped.add(vaccine)
            continue
        due = at_months.get(months)
        if due is None:
            due = at_months[months] = R.add_months(birth, months)
        if days:
            due += dt.timedelta(days=days)
        if prev is not None and interval and prev in given:
            due = max(due, given[prev] + interval)
        if key == ("HepB", 1):
            day = due
        elif rand() < habits.on_time:
            day = due + dt.timedelta(days=randint(0, 3 if at_birth else 24))
        else:
            day = due + dt.timedelta(days=randint(32, 150))
        if day > as_of:
            skipped.add(vaccine)
            continue
        given[key] = day
        iso = day.isoformat()
        rows.append((rec_id, iso, *rest, "2017-3", 1, vaccine, dose, f"{iso[:4]}{randint(100000, 999999)}",
                     choice(makers), choice(sites), choice(BIRTH_HOSPITALS) if at_birth else ""))
    return rows


def _newborn(rng, birth, as_of, base, male) -> tuple | None:
    day = birth + dt.timedelta(days=rng.randint(3, 10))
    if day > as_of:
        return None
    weeks = 39 if rng.random() < 0.5 else rng.choice((37, 38, 40, 41, 36, 35))
    bw = max(1.8, rng.gauss(3.35 if male else 3.25, 0.42))
    cw = bw + (day - birth).days * rng.uniform(-0.01, 0.03)
    jaundice = '["1"]' if rng.random() < 0.6 else '["2"]' if rng.random() < 0.7 else '["2", "3"]'
    refer = "2" if rng.random() < 0.02 else "1"
    return (*base[:1], day.isoformat(), *base[1:], "2017-3", 1, weeks, rng.randint(0, 6),
            '["1"]' if rng.random() < 0.9 else '["3"]', rng.choice(BIRTH_HOSPITALS),
            '["1"]' if rng.random() < 0.6 else '["4"]', "1" if rng.random() < 0.98 else "2", "1",
            "1" if rng.random() < 0.95 else "3", '["2"]', f"{bw:.2f}", f"{cw:.2f}",
            f"{rng.gauss(50, 1.8):.1f}", rng.choice("1112233"), "1", "1", f"{rng.gauss(36.8, 0.2):.1f}",
            rng.randint(120, 150), rng.randint(35, 50), "1" if jaundice == '["1"]' else "2", jaundice, "1", "1", "1",
            "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", rng.choice("1122"), refer,
            '["1", "2", "3", "4"]', (birth + dt.timedelta(days=28)).isoformat())


def _check(rng, check, birth, day, base, male, guidance) -> tuple:
    months = (day - birth).days / 30.44
    w, h, hc = _median_size(months, male)
    zw, zh = rng.gauss(0, 1), rng.gauss(0, 1)
    hb = rng.randint(100, 138) if check.code in R.HB_AGES else None
    hearing = ("1" if rng.random() < 0.99 else "2") if check.code in R.HEARING_AGES else ""
    return (*base[:1], day.isoformat(), *base[1:], "2017-3", 1, check.code, f"{w * (1 + 0.1 * zw):.2f}", _eval3(zw),
            f"{h * (1 + 0.035 * zh):.1f}", _eval3(zh), f"{hc + rng.gauss(0, 1.2):.1f}" if check.months < 36 else None,
            "1", "1", "1", "1", hearing, "1", "1", "1", hb, "1" if rng.random() < 0.96 else "2",
            "1", guidance, None)


def generate_children(ctx) -> None:
    from jkda.records.models import Record
    from jkda.regions.models import Institution

    as_of = ctx.as_of
    year_ago = as_of - dt.timedelta(days=364)
    rng_inst = ctx.rng("child-institutions")
    habits, codes = {}, {}
    for inst_id, code in Institution.objects.order_by("pk").values_list("pk", "code"):
        habits[inst_id] = InstitutionHabits(rng_inst)
        codes[inst_id] = code
    rng = ctx.rng("child")
    models_cols = {
        "dose": (VaccineDose, DOSE_COLS), "cert": (VaccinationCertificate, CERT_COLS),
        "newborn": (NewbornVisit, NEWBORN_COLS), "tcm": (ChildTcm, TCM_COLS),
        **{kind: (model, CHECK_COLS) for kind, model in CHECK_MODELS.items()},
    }
    # primary keys are assigned here (the writer inserts plain rows), after any rows already there
    writers = {k: ctx.writer(m, ["id", *cols]) for k, (m, cols) in models_cols.items()}
    next_id = {k: (m.objects.aggregate(n=Max("id"))["n"] or 0) + 1 for k, (m, _c) in models_cols.items()}
    oldest = R.add_months(as_of, -12 * R.CHILD_MAX_YEARS)
    base_qs = (Record.objects.filter(status=Record.Status.ACTIVE, resident__birth_date__gt=oldest,
                                     resident__birth_date__lte=as_of).order_by("pk"))
    counts = dict.fromkeys(("child_certificates", "child_doses", "child_newborn_visits", "child_checks",
                            "child_tcm"), 0)
    guidance_young, guidance_old = '["1", "3", "4", "5"]', '["2", "3", "4", "5", "6"]'
    tcm_guidance = {"6": '["1", "2", "3"]', "12": '["1", "2", "4"]', "18": '["1", "2", "4"]',
                    "24": '["1", "2", "4"]', "30": '["1", "2", "5"]', "36": '["1", "2", "5"]'}
    serial = 0
    last_id = 0
    while True:
        chunk = list(base_qs.filter(pk__gt=last_id).values_list(
            "pk", "institution_id", "responsible_doctor_id", "responsible_doctor_name", "resident__birth_date",
            "resident__sex")[:CHUNK])
        if not chunk:
            break
        last_id = chunk[-1][0]
        out: dict[str, list] = {k: [] for k in writers}
        for rec_id, inst_id, doc_id, doc_name, birth, sex in chunk:
            h = habits[inst_id]
            male = sex == "1"
            base = (rec_id, inst_id, doc_id, doc_name or "")
            if rng.random() < h.certificate:
                serial += 1
                day = min(as_of, birth + dt.timedelta(days=rng.randint(0, 40)))
                out["cert"].append((rec_id, day.isoformat(), inst_id, doc_id, doc_name or "", "2017-3", 1,
                                    f"{codes[inst_id]}{birth.year}{serial:07d}", f"{codes[inst_id]}-{serial:06d}"))
            out["dose"].extend(_doses(rng, h, birth, as_of, base))
            if birth > year_ago and rng.random() < h.newborn:
                row = _newborn(rng, birth, as_of, base, male)
                if row is not None:
                    out["newborn"].append(row)
            for check in R.CHECKS[1:]:
                due = check.due(birth)
                if due > as_of:
                    break
                if due < year_ago or rng.random() >= h.check:
                    continue
                day = due + dt.timedelta(days=rng.randint(0, check.window_days + (check.window_days // 2)))
                if day > as_of:
                    continue
                out[check.kind].append(_check(rng, check, birth, day, base, male,
                                              guidance_young if check.months < 36 else guidance_old))
            for check in R.TCM_CHECKS:
                due = check.due(birth)
                if due > as_of:
                    break
                if due < year_ago or rng.random() >= h.tcm:
                    continue
                day = due + dt.timedelta(days=rng.randint(0, check.window_days))
                if day <= as_of:
                    out["tcm"].append((rec_id, day.isoformat(), inst_id, doc_id, doc_name or "", "2017-3", 1,
                                       check.code, tcm_guidance[check.code]))
        with transaction.atomic():
            for key, rows in out.items():
                first = next_id[key]
                writers[key].write([(first + i, *row) for i, row in enumerate(rows)])
                next_id[key] = first + len(rows)
        counts["child_certificates"] += len(out["cert"])
        counts["child_doses"] += len(out["dose"])
        counts["child_newborn_visits"] += len(out["newborn"])
        counts["child_checks"] += sum(len(out[k]) for k in CHECK_MODELS)
        counts["child_tcm"] += len(out["tcm"])
    reset_sequences(m for m, _c in models_cols.values())
    for name, n in counts.items():
        ctx.add(name, n)
