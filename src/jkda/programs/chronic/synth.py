"""Synthetic hypertension and diabetes patients: enrolments and a year of follow-ups.

Who: adults whose personal form lists hypertension (code 2) or diabetes (3) are enrolled (most of them); because
the base synth writes only the diagnosed-and-aware share, further adults are enrolled by the prevalence by age
(synth.data tables), found by screening or at a clinic, so that about a quarter of adults are hypertensive and a
tenth diabetic, as in the national surveys.

When: the institution's diligence decides how closely the schedule is kept (drawn once per institution):
diligent institutions see their patients 4+ times a year, others 2–3, the worst 1–2. Each visit's next date is
the rule's suggestion (2 weeks after an unsatisfactory visit, else 3 months) plus the institution's delay.

Values: each patient has a level of control (a latent severity and an adherence); BP and glucose vary around
it; the classification, control flag, referral prompt and next visit are computed by the same `rules` as the
forms, so stored values agree with the rules.
"""

from __future__ import annotations

import datetime as dt
import json
import math

from django.db import transaction

from jkda.synth import data as D
from jkda.synth.extensions import reset_sequences

from . import rules as R
from .models import DiabetesFollowup, HypertensionFollowup

CHUNK = 50_000

ENROL_COLS = ["id", "record_id", "program", "enrolled_on", "source", "institution_id", "enrolled_by_id", "note",
              "exited_on", "exit_reason", "exit_note", "version"]

COMMON_COLS = [
    "id", "record_id", "service_date", "institution_id", "doctor_id", "doctor_name", "form_version", "version",
    "created_by_id", "method", "symptoms", "symptoms_other", "sbp", "dbp", "weight", "weight_target", "bmi",
    "bmi_target", "signs_other", "smoking", "smoking_target", "drinking", "drinking_target", "exercise_times",
    "exercise_minutes", "exercise_times_target", "exercise_minutes_target", "psychology", "compliance",
    "tests_other", "adherence", "adverse_reaction", "adverse_reaction_detail", "complication", "classification",
    "controlled", "referral_prompt", "drugs", "referral_reason", "referral_institution", "referral_contact",
    "referral_result", "next_visit_date", "next_visit_suggested", "remarks",
]
HTN_COLS = COMMON_COLS + ["heart_rate", "salt", "salt_target"]
DM_COLS = COMMON_COLS + ["dorsalis_pedis", "staple_food", "staple_food_target", "fasting_glucose", "hba1c",
                         "hba1c_date", "hypoglycaemia", "insulin_kind", "insulin_dose"]

# Institution diligence tiers: (share of institutions, delay after the suggested date in days (lo, hi),
# share of patients not seen at all this year).
TIERS = (
    (0.25, (-5, 20), 0.03),    # 4+ follow-ups a year
    (0.30, (60, 140), 0.08),   # 2–3
    (0.45, (200, 330), 0.20),  # 1–2
)

HTN_DRUGS = (("苯磺酸氨氯地平片", "1", "5mg"), ("硝苯地平缓释片", "2", "20mg"), ("厄贝沙坦片", "1", "150mg"),
             ("缬沙坦胶囊", "1", "80mg"), ("氢氯噻嗪片", "1", "12.5mg"), ("酒石酸美托洛尔片", "2", "25mg"),
             ("马来酸依那普利片", "1", "10mg"), ("替米沙坦片", "1", "40mg"))
DM_DRUGS = (("盐酸二甲双胍片", "3", "0.5g"), ("格列美脲片", "1", "2mg"), ("阿卡波糖片", "3", "50mg"),
            ("格列齐特缓释片", "1", "30mg"), ("磷酸西格列汀片", "1", "100mg"), ("瑞格列奈片", "3", "1mg"))
INSULINS = (("门冬胰岛素30注射液", "早餐前12U、晚餐前10U，皮下注射"), ("甘精胰岛素注射液", "睡前14U，皮下注射"),
            ("精蛋白生物合成人胰岛素注射液（预混30R）", "早餐前14U、晚餐前8U，皮下注射"))
HTN_REFERRALS = ("血压控制不满意", "血压明显升高，伴头痛头晕", "药物不良反应难以控制")
DM_REFERRALS = ("血糖控制不满意", "血糖明显升高", "反复低血糖")
REFER_TO = ("县人民医院心内科", "市第一人民医院心血管内科", "县中医院内科", "市立医院内分泌科", "县人民医院内分泌科")
HTN_ADVERSE = ("踝部水肿", "干咳", "头痛、面部潮红")
DM_ADVERSE = ("胃肠道不适", "恶心、腹胀")
HTN_COMPLICATIONS = ("新发心绞痛", "短暂性脑缺血发作", "蛋白尿")
DM_COMPLICATIONS = ("糖尿病视网膜病变", "糖尿病周围神经病变", "糖尿病肾病（微量白蛋白尿）")
HTN_SYMPTOM_CODES = [str(i) for i in range(2, 10)]
DM_SYMPTOM_CODES = [str(i) for i in range(2, 10)]
NONE_SYMPTOMS = json.dumps(["1"])


def _prevalence(table, age: int) -> float:
    share = 0.0
    for lo, s in table:
        if age >= lo:
            share = s
    return share


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _day_between(rng, lo: dt.date, hi: dt.date) -> dt.date:
    span = (hi - lo).days
    return lo + dt.timedelta(days=rng.randint(0, span)) if span > 0 else lo


def _d1(x: float) -> str:
    return f"{x:.1f}"


class Patient:
    """What stays the same from visit to visit: body, habits, drugs, and how well the disease is held."""

    __slots__ = ("severity", "adherence", "height", "weight", "smoking", "drinking", "ex_times", "ex_minutes",
                 "salt", "staple", "drugs", "insulin", "pulse", "psych", "compliance")

    def __init__(self, rng, program: str, sex_male: bool):
        self.severity = rng.gauss(0, 1)
        r = rng.random()
        self.adherence = "1" if r < 0.76 else ("2" if r < 0.95 else "3")
        self.height = rng.gauss(1.68 if sex_male else 1.57, 0.06)
        self.weight = max(40.0, rng.gauss(24.5, 3.2) * self.height ** 2)
        self.smoking = rng.choice((5, 10, 10, 15, 20)) if sex_male and rng.random() < 0.35 else 0
        self.drinking = rng.choice((1.0, 2.0, 3.0)) if sex_male and rng.random() < 0.2 else 0.0
        self.ex_times = rng.choice((0, 2, 3, 5, 7))
        self.ex_minutes = rng.choice((20, 30, 30, 45, 60)) if self.ex_times else 0
        self.salt = rng.choice(("1", "2", "2", "2", "3", "3"))
        self.staple = rng.choice((200, 250, 300, 300, 350, 400))
        pool = HTN_DRUGS if program == "hypertension" else DM_DRUGS
        n = 1 if rng.random() < 0.65 else 2
        self.drugs = json.dumps([{"name": d, "times": t, "dose": s} for d, t, s in rng.sample(pool, n)],
                                ensure_ascii=False)
        self.insulin = rng.choice(INSULINS) if program == "diabetes" and rng.random() < 0.15 else ("", "")
        self.pulse = "1" if rng.random() < 0.93 else rng.choice(("2", "3", "4", "5"))
        self.psych = "1" if rng.random() < 0.8 else "2"
        self.compliance = "1" if rng.random() < 0.78 else rng.choice(("2", "2", "3"))


def _symptoms(rng, codes) -> str:
    if rng.random() < 0.72:
        return NONE_SYMPTOMS
    return json.dumps(sorted(rng.sample(codes, 1 if rng.random() < 0.7 else 2), key=int))


def _visit(rng, program: str, p: Patient, age: int, day: dt.date, previous_controlled, record, method: str):
    """One follow-up row (tuple in the writer's column order) and (controlled, classification, next visit)."""
    record_id, inst_id, doctor_id, doctor_name = record
    penalty = {"1": 0.0, "2": 0.7, "3": 1.4}[p.adherence]
    level = p.severity + penalty + rng.gauss(0, 0.7)
    if program == "hypertension" or rng.random() < 0.85:
        sbp = int(round(min(max(128 + 11 * level + (age - 60) * 0.25, 95), 215)))
        dbp = int(round(min(max(0.52 * sbp + rng.gauss(8, 5), 55), sbp - 20)))
    else:
        sbp = dbp = None
    glucose = None
    if program == "diabetes":
        glucose = round(min(max(6.6 + 1.3 * level + rng.gauss(0, 0.4), 3.2), 24.0), 1)
    if program == "hypertension":
        controlled = R.bp_controlled(sbp, dbp, age)
        urgent = R.htn_urgent(sbp, dbp)
    else:
        controlled = R.glucose_controlled(glucose)
        urgent = R.dm_urgent(glucose, sbp, dbp)
    r = rng.random()
    complication = ""
    adverse, adverse_detail = "1", ""
    if r < 0.012:
        complication = rng.choice(HTN_COMPLICATIONS if program == "hypertension" else DM_COMPLICATIONS)
    elif r < 0.035:
        adverse = "2"
        adverse_detail = rng.choice(HTN_ADVERSE if program == "hypertension" else DM_ADVERSE)
    classification = R.classify(controlled, adverse == "2", bool(complication))
    prompt = R.referral_prompt(urgent=urgent, controlled=controlled, previous_controlled=previous_controlled,
                               complication=bool(complication))
    suggested = R.suggested_next_visit(day, classification)
    referral_reason = referral_inst = ""
    if prompt != R.NO_REFERRAL and rng.random() < 0.7:
        referral_reason = rng.choice(HTN_REFERRALS if program == "hypertension" else DM_REFERRALS)
        referral_inst = rng.choice(REFER_TO)
    weight = p.weight + rng.gauss(0, 0.8)
    bmi = weight / p.height ** 2
    target_w = weight if bmi < 24 else 24 * p.height ** 2
    smoking_target = p.smoking // 2
    row = [
        0, record_id, day.isoformat(), inst_id, doctor_id, doctor_name, "2017-3", 1, None, method,
        _symptoms(rng, HTN_SYMPTOM_CODES if program == "hypertension" else DM_SYMPTOM_CODES), "",
        sbp, dbp, _d1(weight), _d1(target_w), _d1(bmi), _d1(min(bmi, 23.9)), "",
        p.smoking, smoking_target, _d1(p.drinking), _d1(min(p.drinking, 1.0)), p.ex_times, p.ex_minutes,
        max(p.ex_times, 5), max(p.ex_minutes, 30), p.psych, p.compliance, "", p.adherence, adverse, adverse_detail,
        complication, classification, controlled, prompt, p.drugs if p.adherence != "3" else "[]",
        referral_reason, referral_inst, "", "", suggested.isoformat(), suggested.isoformat(), "",
    ]
    if program == "hypertension":
        row += [int(rng.gauss(76, 9)), p.salt, "1"]
    else:
        hba1c = hba1c_date = None
        if rng.random() < 0.3:
            hba1c = _d1(min(max((glucose + 2.59) / 1.59 + rng.gauss(0, 0.3), 4.5), 15.0))
            hba1c_date = (day - dt.timedelta(days=rng.randint(0, 7))).isoformat()
        hypo = "1"
        if glucose <= 4.4:
            hypo = "2" if rng.random() < 0.7 else "3"
        elif rng.random() < 0.03:
            hypo = "2"
        row += [p.pulse, p.staple, min(p.staple, 300), _d1(glucose), hba1c, hba1c_date, hypo, p.insulin[0],
                p.insulin[1]]
    return tuple(row), controlled, suggested


def generate_chronic(ctx) -> None:
    with R.frozen_settings():
        _generate(ctx)


def _generate(ctx) -> None:
    from jkda.records.models import Record

    as_of = ctx.as_of
    start = as_of - dt.timedelta(days=364)
    rng_inst = ctx.rng("chronic-institutions")
    from jkda.regions.models import Institution

    tiers = {}
    for inst_id in Institution.objects.order_by("pk").values_list("pk", flat=True):
        r, acc = rng_inst.random(), 0.0
        for i, (share, _delay, _lost) in enumerate(TIERS):
            acc += share
            if r < acc or i == len(TIERS) - 1:
                tiers[inst_id] = i
                break
    rng = ctx.rng("chronic")
    w_enrol = ctx.writer(_enrollment_model(), ENROL_COLS)
    w_htn = ctx.writer(HypertensionFollowup, HTN_COLS)
    w_dm = ctx.writer(DiabetesFollowup, DM_COLS)
    adult_birth = _add_years(as_of, -R.setting("JKDA_CHRONIC_MIN_AGE"))
    base = (Record.objects.filter(status=Record.Status.ACTIVE, resident__birth_date__lte=adult_birth)
            .order_by("pk"))
    last_id = 0
    next_id = _next_ids()
    counts = {"hypertension": 0, "diabetes": 0, "hypertension_followups": 0, "diabetes_followups": 0}
    while True:
        rows = list(base.filter(pk__gt=last_id).values_list(
            "pk", "institution_id", "responsible_doctor_id", "responsible_doctor_name", "established_on",
            "resident__birth_date", "resident__sex", "resident__past_diseases")[:CHUNK])
        if not rows:
            break
        last_id = rows[-1][0]
        enrol_rows, htn_rows, dm_rows = [], [], []
        for rec_id, inst_id, doc_id, doc_name, established, birth, sex, past in rows:
            listed = {str(d.get("code")) for d in (past or []) if isinstance(d, dict)}
            age = _age(birth, as_of)
            tier = tiers.get(inst_id, 1)
            record = (rec_id, inst_id, doc_id, doc_name or "")
            for program, code, table, out in (("hypertension", "2", D.HYPERTENSION_BY_AGE, htn_rows),
                                              ("diabetes", "3", D.DIABETES_BY_AGE, dm_rows)):
                prev = _prevalence(table, age)
                if code in listed:
                    if rng.random() >= 0.92:
                        continue
                    source = "1"
                else:
                    # the undiagnosed remainder of the prevalence, found by screening or at a clinic
                    extra = prev * (1 - D.AWARENESS) / max(1e-9, 1 - prev * D.AWARENESS)
                    if rng.random() >= extra:
                        continue
                    source = "3" if rng.random() < 0.6 else "2"
                earliest = max(established, _add_years(birth, R.setting("JKDA_CHRONIC_MIN_AGE")))
                if earliest > as_of:
                    continue
                if earliest < start and rng.random() < 0.85:
                    enrolled = _day_between(rng, earliest, start - dt.timedelta(days=1))
                else:
                    enrolled = _day_between(rng, max(earliest, start), as_of)
                enrol_rows.append((0, rec_id, program, enrolled.isoformat(), source, inst_id, doc_id, "", None, "",
                                   "", 1))
                counts[program] += 1
                out.extend(_followups(rng, program, age, birth, enrolled, start, as_of, tier, sex == "1", record))
        with transaction.atomic():
            for writer, rows_, key in ((w_enrol, enrol_rows, "enrol"), (w_htn, htn_rows, "htn"),
                                       (w_dm, dm_rows, "dm")):
                first = next_id[key]
                writer.write([(first + i,) + r[1:] for i, r in enumerate(rows_)])
                next_id[key] = first + len(rows_)
        counts["hypertension_followups"] += len(htn_rows)
        counts["diabetes_followups"] += len(dm_rows)
    _reset_sequences()
    for name, n in counts.items():
        ctx.add(name, n)


def _next_ids() -> dict[str, int]:
    """The writer inserts explicit ids (it fills every column): continue after any rows already there."""
    from django.db.models import Max

    return {key: (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1
            for key, model in (("enrol", _enrollment_model()), ("htn", HypertensionFollowup),
                               ("dm", DiabetesFollowup))}


def _reset_sequences() -> None:
    reset_sequences([_enrollment_model(), HypertensionFollowup, DiabetesFollowup])


def _enrollment_model():
    from jkda.programs.models import Enrollment

    return Enrollment


def _followups(rng, program, age, birth, enrolled, start, as_of, tier, male, record) -> list[tuple]:
    _share, (lo, hi), lost = TIERS[tier]
    patient = Patient(rng, program, male)
    if rng.random() < lost:
        return []
    if enrolled >= start:
        day = R.first_visit_due(enrolled) + dt.timedelta(days=rng.randint(-10, 5 if lo <= 0 else lo // 2))
        day = max(day, enrolled)
    else:
        # a patient under management for a while: his first visit of the year falls somewhere in the first cycle
        day = start + dt.timedelta(days=rng.randint(0, 90 + max(0, lo)))
    out = []
    previous = None
    while day <= as_of:
        method = "1" if rng.random() < 0.72 else ("2" if rng.random() < 0.6 else "3")
        row, controlled, suggested = _visit(rng, program, patient, _age(birth, day), day, previous, record, method)
        out.append(row)
        previous = controlled
        delay = rng.randint(lo, hi)
        if suggested - day < dt.timedelta(days=30):
            # a 2-week recall: kept closely by the diligent, late elsewhere
            delay = int(math.copysign(min(abs(delay), 14), delay)) if lo <= 0 else delay // 2
        day = max(suggested + dt.timedelta(days=delay), day + dt.timedelta(days=7))
    return out
