"""Synthetic pregnancies: enrolments, first checks, follow-ups, postpartum visits and 42-day checks.

Each institution's women aged 20–40 conceive at the rate of its live births (population base data: births per
resident, 0.5–0.9% a year; a small share of pregnancies is lost), weighted by age (most births at 25–34). A year
of conceptions (LMP from as_of − 400 to as_of − 36 days) gives pregnancies at every stage on `as_of`: some not yet
registered, some in the middle of the schedule, some delivered and visited, some closed by the 42-day check.
Adherence differs by institution (share of early registration, of scheduled visits, of postpartum visits and
42-day checks), so the indicators differ. Deterministic by seed: each woman draws from one generator in record
order, each institution's adherence from its own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

from django.db import models, transaction

from jkda.programs.models import Enrollment
from jkda.records.models import Record
from jkda.regions.models import Institution, PopulationBase, Staff
from jkda.services.base import age_in_years
from jkda.synth.extensions import reset_sequences

from . import rules as R
from .models import EXIT_COMPLETED, Postpartum42d, PostpartumVisit, PrenatalFirst, PrenatalFollowup

CHUNK = 20_000
LOSS_SHARE = 0.08          # pregnancies that end before delivery (after registration)
DEFAULT_BIRTH_RATE = 0.007  # births per resident a year when an institution has no population base
AGE_WEIGHT = {20: 0.5, 21: 0.6, 22: 0.8, 23: 0.9, 24: 1.0, 25: 1.2, 26: 1.3, 27: 1.4, 28: 1.5, 29: 1.5, 30: 1.4,
              31: 1.3, 32: 1.2, 33: 1.0, 34: 0.9, 35: 0.7, 36: 0.6, 37: 0.5, 38: 0.4, 39: 0.3, 40: 0.2}

ENR_COLS = ["id", "record_id", "program", "enrolled_on", "source", "institution_id", "enrolled_by_id", "note",
            "exited_on", "exit_reason", "exit_note", "version"]
BASE_COLS = ["id", "record_id", "enrollment_id", "service_date", "institution_id", "doctor_id", "doctor_name",
             "form_version", "version"]
FIRST_COLS = BASE_COLS + [
    "gestational_weeks", "gestational_days", "age", "gravidity", "parity_vaginal", "parity_caesarean", "lmp", "edd",
    "past_history", "family_history", "personal_history", "height", "weight", "bmi", "sbp", "dbp", "heart",
    "lungs", "vulva", "vagina", "cervix", "uterus", "adnexa", "hb", "urine_protein", "abo", "rh", "glucose",
    "hbsag", "syphilis", "hiv", "assessment", "assessment_detail", "guidance", "referral", "next_visit_on"]
FOLLOW_COLS = BASE_COLS + [
    "visit_number", "gestational_weeks", "gestational_days", "weight", "fundal_height", "abdominal_circumference",
    "fetal_position", "fetal_heart_rate", "sbp", "dbp", "hb", "urine_protein", "classification",
    "classification_detail", "guidance",
    "referral", "next_visit_on"]
PP_COLS = BASE_COLS + [
    "delivery_date", "discharge_date", "temperature", "general_health", "mental_state", "sbp", "dbp", "breasts",
    "lochia", "uterus", "wound", "classification", "guidance", "referral"]
C42_COLS = BASE_COLS + [
    "delivery_date", "discharge_date", "general_health", "mental_state", "sbp", "dbp", "breasts", "lochia",
    "uterus", "wound", "classification", "guidance", "disposal"]


def _blank_columns(model, columns: list[str]) -> list[str]:
    """Text columns without a default the rows leave empty (TableWriter needs a value for each)."""
    return [f.attname for f in model._meta.concrete_fields
            if f.attname not in columns and isinstance(f, models.CharField) and not f.null and not f.has_default()
            and not f.primary_key]


class _Writer:
    """Rows without their id: the writer numbers them after the table's highest id (sequences reset at the end)."""

    def __init__(self, ctx, model, columns):
        self.model = model
        self.blank = _blank_columns(model, columns)
        self.pad = ("",) * len(self.blank)
        self.w = ctx.writer(model, columns + self.blank)
        self.next_id = (model.objects.aggregate(m=models.Max("id"))["m"] or 0) + 1
        self.n = 0

    def write(self, rows) -> list[int]:
        ids = list(range(self.next_id, self.next_id + len(rows)))
        self.w.write([(i,) + r + self.pad for i, r in zip(ids, rows, strict=True)])
        self.next_id += len(rows)
        self.n += len(rows)
        return ids


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _dec(x: float) -> str:
    return f"{x:.1f}"


def _institution_profile(ctx, code: str) -> dict:
    rng = ctx.rng(f"maternal:institution:{code}")  # by code: ids differ between databases
    return {"early": rng.uniform(0.72, 0.97), "visit": rng.uniform(0.55, 0.95), "postpartum": rng.uniform(0.8, 0.98),
            "on_time": rng.uniform(0.75, 0.97), "check42": rng.uniform(0.65, 0.95)}


def _birth_rates(as_of: dt.date) -> dict[int, float]:
    out = {}
    for inst, _year, pop, births in (PopulationBase.objects.filter(year__in=[as_of.year, as_of.year - 1])
                                    .order_by("year").values_list("institution_id", "year", "resident_population",
                                                                   "live_births")):
        if pop:
            out[inst] = births / pop  # the later year wins
    return out


def generate_maternal(ctx) -> None:
    as_of = ctx.as_of
    lo_birth = dt.date(as_of.year - 41, as_of.month, min(as_of.day, 28))
    hi_birth = dt.date(as_of.year - 20, as_of.month, min(as_of.day, 28))
    women = (Record.objects.filter(status=Record.Status.ACTIVE, resident__sex="2",
                                   resident__birth_date__gt=lo_birth, resident__birth_date__lte=hi_birth))
    # per institution: active records (the population the rate applies to) and the women's summed age weights
    records = dict(Record.objects.filter(status=Record.Status.ACTIVE).order_by().values("institution_id")
                   .annotate(n=models.Count("id")).values_list("institution_id", "n"))
    weights: dict[int, float] = defaultdict(float)
    for inst, birth_year, n in (women.order_by().values("institution_id", "resident__birth_date__year")
                                .annotate(n=models.Count("id"))
                                .values_list("institution_id", "resident__birth_date__year", "n")):
        weights[inst] += n * AGE_WEIGHT.get(min(40, max(20, as_of.year - birth_year)), 0.2)
    rates = _birth_rates(as_of)
    scale = {inst: records.get(inst, 0) * rates.get(inst, DEFAULT_BIRTH_RATE) / (1 - LOSS_SHARE) / w
             for inst, w in weights.items() if w}
    profiles: dict[int, dict] = {}
    names = dict(Staff.objects.values_list("id", "full_name"))
    codes = dict(Institution.objects.values_list("id", "code"))
    rng = ctx.rng("maternal")

    w_enr = _Writer(ctx, Enrollment, ENR_COLS)
    w_first = _Writer(ctx, PrenatalFirst, FIRST_COLS)
    w_fu = _Writer(ctx, PrenatalFollowup, FOLLOW_COLS)
    w_pp = _Writer(ctx, PostpartumVisit, PP_COLS)
    w_42 = _Writer(ctx, Postpartum42d, C42_COLS)

    rows = women.order_by("id").values_list("id", "institution_id", "responsible_doctor_id", "resident__birth_date",
                                            "established_on")
    last = 0
    while True:
        chunk = list(rows.filter(id__gt=last)[:CHUNK])
        if not chunk:
            break
        last = chunk[-1][0]
        plans = []
        for rid, inst, doc, birth, established in chunk:
            age = as_of.year - birth.year
            p = scale.get(inst, 0) * AGE_WEIGHT.get(min(40, max(20, age)), 0.2)
            draw = rng.random()
            if draw >= p:
                continue
            if inst not in profiles:
                profiles[inst] = _institution_profile(ctx, codes[inst])
            plan = _pregnancy(rng, profiles[inst], as_of, birth)
            if plan is None or plan["first_on"] < established:
                continue
            plans.append((rid, inst, doc, birth, plan))
        if not plans:
            continue
        with transaction.atomic():
            enr_rows = []
            for rid, inst, doc, _birth, plan in plans:
                exit_on, reason, note = plan["exit"] or (None, "", "")
                enr_rows.append((rid, R.PROGRAM, plan["first_on"].isoformat(), "2", inst, doc, "", _iso(exit_on),
                                 reason, note, 1))
            ids = dict(zip([p[0] for p in plans], w_enr.write(enr_rows), strict=True))
            firsts, fus, pps, c42s = [], [], [], []
            for rid, inst, doc, _b, plan in plans:
                base = (rid, ids[rid])
                who = (inst, doc, names.get(doc, ""), "2017-3", 1)
                firsts.append(base + (plan["first_on"].isoformat(),) + who + plan["first_row"])
                for on, row in plan["followups"]:
                    fus.append(base + (on.isoformat(),) + who + row)
                if plan["pp"]:
                    on, row = plan["pp"]
                    pps.append(base + (on.isoformat(),) + who + row)
                if plan["c42"]:
                    on, row = plan["c42"]
                    c42s.append(base + (on.isoformat(),) + who + row)
            w_first.write(firsts)
            w_fu.write(fus)
            w_pp.write(pps)
            w_42.write(c42s)
    reset_sequences([Enrollment, PrenatalFirst, PrenatalFollowup, PostpartumVisit, Postpartum42d])
    ctx.add("maternal_enrolments", w_enr.n)
    ctx.add("prenatal_first", w_first.n)
    ctx.add("prenatal_followup", w_fu.n)
    ctx.add("postpartum_visit", w_pp.n)
    ctx.add("postpartum_42d", w_42.n)


def _pregnancy(rng, prof: dict, as_of: dt.date, birth: dt.date) -> dict | None:
    """One pregnancy's dated events and form values (None: not registered by as_of)."""
    lmp = as_of - dt.timedelta(days=rng.randint(36, 400))
    first_gd = rng.randint(42, 90) if rng.random() < prof["early"] else rng.randint(91, 27 * 7)
    first_on = lmp + dt.timedelta(days=first_gd)
    if first_on > as_of:
        return None
    day = lambda n: lmp + dt.timedelta(days=n)  # noqa: E731
    last_loss_day = 27 * 7 + 6  # losses counted here end before 28 weeks
    lost_on = (day(rng.randint(min(first_gd + 7, last_loss_day), last_loss_day)) if rng.random() < LOSS_SHARE
               else None)
    delivery_gd = int(min(294, max(245, rng.gauss(277, 9))))
    delivery = day(delivery_gd)
    end = min(x for x in (lost_on, delivery, as_of + dt.timedelta(days=1)) if x is not None)
    weeks, days = divmod(first_gd, 7)
    gravidity = rng.choice((1, 1, 1, 2, 2, 2, 3, 3, 4))
    caes = 1 if gravidity > 1 and rng.random() < 0.3 else 0
    vaginal = max(0, min(gravidity - 1 - caes, rng.choice((0, 1, 1))))
    height = rng.gauss(160, 5.5)
    weight = rng.gauss(56, 7.5)
    bmi = weight / (height / 100) ** 2
    abnormal = rng.random() < 0.08
    anaemic = rng.random() < 0.15
    windows = [w for w in R.WINDOWS if R.window_dates(lmp, w)[1] >= first_on]
    first_next = None
    fus = []
    for w in windows:
        start, stop = R.window_dates(lmp, w)
        on = max(start, first_on + dt.timedelta(days=7))
        on = on + dt.timedelta(days=rng.randint(0, max(0, (stop - on).days)))
        if first_next is None:
            first_next = on
        if on >= end or on > stop or rng.random() >= prof["visit"]:
            continue
        gw, gd = R.gestational_age(lmp, on)
        fh = max(5.0, min(40.0, gw - 4 + rng.gauss(0, 1.5)))
        sbp = int(rng.gauss(112, 10))
        position = "4" if gw < 28 else ("1" if rng.random() < 0.95 else "2")
        ok = rng.random() < 0.93
        fus.append((on, (w.visit, gw, gd, _dec(weight + 0.4 * max(0, gw - 12)), _dec(fh),
                         _dec(70 + gw * 1.1 + rng.gauss(0, 3)), position, int(rng.gauss(142, 8)), sbp,
                         int(sbp * rng.uniform(0.6, 0.7)), _dec(rng.gauss(104 if anaemic else 122, 8)),
                         "0" if rng.random() < 0.95 else "1", "1" if ok else "2", "" if ok else "血压偏高",
                         json.dumps(sorted(rng.sample(["1", "2", "3", "4", "5", "6", "7"], 3))), "1", None)))
    sbp = int(rng.gauss(110, 10))
    first_row = (
        weeks, days, age_in_years(birth, first_on),
        gravidity, vaginal, caes, lmp.isoformat(), R.edd(lmp).isoformat(),
        json.dumps(["1"] if rng.random() < 0.9 else ["6"]), json.dumps(["1"]),
        json.dumps(["1"] if rng.random() < 0.92 else ["3"]), _dec(height), _dec(weight), _dec(bmi), sbp,
        int(sbp * rng.uniform(0.6, 0.7)), "1", "1", "1", "1", "1", "1", "1",
        _dec(rng.gauss(104 if anaemic else 122, 8)), "0", rng.choice("1111222333334"), "2" if rng.random() > 0.004
        else "1", _dec(rng.gauss(4.6, 0.5)), "1" if rng.random() > 0.06 else "2", "1", "1",
        "2" if abnormal else "1", "贫血" if abnormal and anaemic else ("血压偏高" if abnormal else ""),
        json.dumps(["1", "2", "3", "4", "5"]), "1", _iso(first_next if first_next and first_next > first_on else None))
    plan = {"first_on": first_on, "first_row": first_row, "followups": fus, "pp": None, "c42": None, "exit": None}
    if lost_on is not None:
        if lost_on <= as_of:
            plan["exit"] = (lost_on, "9", "妊娠终止（流产）")
        return plan
    if delivery > as_of:
        return plan
    discharge = delivery + dt.timedelta(days=rng.choice((2, 2, 3, 3, 3, 4, 5, 6)))
    if discharge > as_of:
        return plan
    if rng.random() < prof["postpartum"]:
        on = discharge + dt.timedelta(days=rng.randint(1, 7) if rng.random() < prof["on_time"] else
                                      rng.randint(8, 27))
        if on <= as_of:
            sbp = int(rng.gauss(114, 10))
            plan["pp"] = (on, (delivery.isoformat(), discharge.isoformat(), _dec(rng.gauss(36.7, 0.25)), "良好",
                               "良好" if rng.random() < 0.95 else "情绪低落", sbp, int(sbp * rng.uniform(0.6, 0.7)),
                               "1", "1", "1", "1", "1", json.dumps(["1", "2", "3", "4", "5"]), "1"))
    if rng.random() < prof["check42"]:
        on = delivery + dt.timedelta(days=rng.randint(42, 56) if rng.random() < 0.85 else rng.randint(57, 75))
        if on <= as_of and (plan["pp"] is None or on > plan["pp"][0]):
            sbp = int(rng.gauss(114, 10))
            plan["c42"] = (on, (delivery.isoformat(), discharge.isoformat(), "良好", "良好", sbp,
                                int(sbp * rng.uniform(0.6, 0.7)), "1", "1", "1", "1", "1",
                                json.dumps(["1", "2", "3", "4"]), "1"))
            plan["exit"] = (on, EXIT_COMPLETED, "产后42天健康检查结案")
    return plan
