"""Synthetic health examinations, and for the examined 65+ the self-care assessment and the TCM record.

Shares differ by institution: 40–90 % of the 65+ are examined in the year, 10–20 % of the other adults; most
examined 65+ also get the self-care assessment and the TCM record. Values follow the resident's age, sex and
recorded diseases (blood pressure, BMI, glucose ...), and every derived value is computed by the same rules as
the forms (BMI, self-care total and band, TCM results). Deterministic by seed; set-based reads in chunks.
"""

from __future__ import annotations

import datetime as dt
import json
import random

from django.db import transaction
from django.db.models import Max, TextField
from django.db.models.functions import Cast

from jkda.synth.extensions import reset_sequences

from . import rules

CHUNK = 20_000
# Past-disease codes that change the values (hypertension, diabetes, coronary heart disease, stroke): looked up in
# the JSON text (codes are quoted; dates and notes never are a bare quoted code).
_DISEASE_CODES = ("2", "3", "4", "7")
_J = json.dumps
J_EMPTY = _J([])

EXAM_COLS = [
    "id", "record_id", "service_date", "institution_id", "doctor_id", "doctor_name", "form_version", "version",
    "symptoms", "temperature", "pulse", "respiration", "bp_left_sbp", "bp_left_dbp", "bp_right_sbp", "bp_right_dbp",
    "height", "weight", "waist", "bmi", "health_status", "selfcare_level", "cognition", "mmse_score", "emotion",
    "depression_score", "exercise_frequency", "exercise_minutes", "exercise_years", "diet", "smoking_status",
    "cigarettes_per_day", "smoking_start_age", "smoking_quit_age", "drinking_frequency", "alcohol_per_day",
    "drinking_quit", "drinking_start_age", "alcohol_kind", "occupational_exposure", "lips", "dentition", "throat",
    "vision_left", "vision_right", "hearing", "motor", "fundus", "skin", "sclera", "lymph_nodes", "barrel_chest",
    "breath_sounds", "rales", "heart_rate", "heart_rhythm", "heart_murmur", "abdominal_tenderness", "abdominal_mass",
    "hepatomegaly", "splenomegaly", "shifting_dullness", "oedema", "dorsalis_pedis", "breast", "hemoglobin", "wbc",
    "platelets", "urine_protein", "urine_glucose", "urine_ketones", "urine_occult_blood", "fasting_glucose", "ecg",
    "total_cholesterol", "triglycerides", "ldl", "hdl", "alt", "ast", "albumin", "total_bilirubin", "creatinine",
    "urea", "potassium", "sodium", "ultrasound_abdomen", "cerebrovascular", "kidney", "heart", "vascular", "eye",
    "nervous", "other_system", "medications", "evaluation", "abnormality_1", "abnormality_2", "guidance",
    "risk_control", "weight_target", "vaccine_suggestion",
]
CARE_COLS = ["id", "record_id", "service_date", "institution_id", "doctor_id", "doctor_name", "form_version", "version",
             "eating", "grooming", "dressing", "toileting", "moving", "total", "level"]


def _tcm_cols():
    from jkda.programs.elderly import rules as er

    return (["id", "record_id", "service_date", "institution_id", "doctor_id", "doctor_name", "form_version", "version",
             "bmi", "waist"] + [f"q{n}" for n in range(1, er.TCM_QUESTIONS + 1)]
            + [f"{p}_{t}" for t in er.TCM_TYPES for p in ("sum", "result", "guidance")])


def _clip(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def _d1(x) -> str:
    return f"{x:.1f}"


def _d2(x) -> str:
    return f"{x:.2f}"


class W:
    """A weighted draw with the cumulative table built once."""

    def __init__(self, weights: dict):
        self.keys = list(weights)
        total, cum = 0.0, []
        for w in weights.values():
            total += w
            cum.append(total)
        self.cum = [c / total for c in cum]

    def __call__(self, rng: random.Random):
        r = rng.random()
        for k, c in zip(self.keys, self.cum, strict=True):
            if r < c:
                return k
        return self.keys[-1]


_JCACHE: dict[tuple, str] = {}


def _JL(codes) -> str:
    """JSON text of a list of codes (the few distinct lists are encoded once)."""
    key = tuple(codes)
    got = _JCACHE.get(key)
    if got is None:
        got = _JCACHE[key] = _J(list(key))
    return got


W_SMOKE = (W({"1": 35, "2": 20, "3": 45}), W({"1": 97, "2": 1, "3": 2}))
W_DRINK = (W({"1": 45, "2": 35, "3": 12, "4": 8}), W({"1": 85, "2": 13, "3": 1.5, "4": 0.5}))
W_ADH_HTN = W({"1": 75, "2": 20, "3": 5})
W_ADH_DM = W({"1": 70, "2": 25, "3": 5})
W_EXERCISE = W({"1": 35, "2": 15, "3": 25, "4": 25})
W_FRAIL = W({"1": 30, "2": 30, "3": 25, "4": 15})
W_HEALTH = W({"1": 30, "2": 45, "3": 12, "4": 10, "5": 3})


_HTN_DRUGS = ("硝苯地平缓释片", "苯磺酸氨氯地平片", "厄贝沙坦片", "缬沙坦胶囊", "美托洛尔缓释片", "吲达帕胺片")
_DM_DRUGS = ("二甲双胍片", "格列美脲片", "阿卡波糖片", "门冬胰岛素30注射液")


class InstitutionRates:
    """Each institution's own shares (examination of the 65+, of others, assessments, TCM), seeded by its id."""

    def __init__(self, ctx):
        from jkda.regions.models import Institution

        self.ctx = ctx
        self.codes = dict(Institution.objects.values_list("id", "code"))  # keyed by code: ids vary between loads
        self.cache: dict[int, tuple[float, float, float, float]] = {}

    def __call__(self, inst_id: int):
        got = self.cache.get(inst_id)
        if got is None:
            r = self.ctx.rng(f"exam-institution-{self.codes.get(inst_id, inst_id)}")
            got = self.cache[inst_id] = (0.40 + 0.50 * r.random(), 0.10 + 0.10 * r.random(),
                                         0.75 + 0.22 * r.random(), 0.55 + 0.40 * r.random())
        return got


def make_exam(rng: random.Random, age: int, male: bool, diseases: set[str]) -> dict:
    """Plausible values of one examination for a resident of this age and sex with these recorded diseases."""
    htn, dm = "2" in diseases, "3" in diseases
    old = age >= rules.elderly_age()
    a = max(0, age - 25)
    sbp = round(_clip(rng.gauss(110 + 0.55 * a + (5 if male else 0) + (16 if htn else 0), 13), 85, 215))
    dbp = round(_clip(rng.gauss(68 + 0.22 * min(a, 35) - 0.15 * max(0, age - 60) + (4 if male else 0)
                                + (7 if htn else 0), 8), 45, 125))
    dbp = min(dbp, sbp - 20)
    sbp_r = round(_clip(sbp + rng.gauss(0, 4), 85, 220))
    dbp_r = min(round(_clip(dbp + rng.gauss(0, 3), 45, 125)), sbp_r - 20)
    height = _clip(rng.gauss((169.0 if male else 158.0) - 0.08 * max(0, age - 40), 6.0 if male else 5.5), 135, 198)
    target_bmi = _clip(rng.gauss(23.6 + (0.9 if htn else 0) + (1.1 if dm else 0), 3.1), 15.5, 40)
    weight = round(target_bmi * (height / 100) ** 2, 1)
    height = round(height, 1)
    bmi = rules.bmi(_d1(height), _d1(weight))
    b = float(bmi)
    waist = round(_clip(2.9 * b + (14 if male else 7) + rng.gauss(0, 5), 55, 140), 1)
    if dm:
        glucose = _clip(rng.gauss(7.8, 1.9), 4.4, 20)
    elif age >= 40 and rng.random() < 0.05:
        glucose = _clip(rng.gauss(7.4, 0.9), 6.1, 14)  # not yet diagnosed
    else:
        glucose = _clip(rng.gauss(5.0 + 0.008 * a, 0.55), 3.9, 6.9)
    pulse = round(_clip(rng.gauss(75, 9), 50, 120))
    smoker = W_SMOKE[0 if male else 1](rng)
    drinks = W_DRINK[0 if male else 1](rng)
    abnormal = []
    if sbp >= 140 or dbp >= 90:
        abnormal.append("血压偏高")
    if glucose >= 7.0:
        abnormal.append("空腹血糖升高")
    if b >= 28:
        abnormal.append("肥胖")
    elif b >= 24 and len(abnormal) < 2:
        abnormal.append("超重")
    risk = []
    if smoker == "3":
        risk.append("1")
    if drinks in ("3", "4"):
        risk.append("2")
    if abnormal:
        risk += ["3", "4"]
    weight_target = None
    if b >= 24:
        risk.append("5")
        weight_target = _d1(round(23.0 * (height / 100) ** 2, 1))
    vaccine = ""
    if old and rng.random() < 0.3:
        risk.append("6")
        vaccine = "流感疫苗、肺炎球菌多糖疫苗"
    guidance = (["1"] if (htn or dm) else []) + (["2"] if abnormal else [])
    meds = []
    if htn:
        meds.append({"name": rng.choice(_HTN_DRUGS), "usage": "口服", "dose": "1片", "duration": "长期",
                     "adherence": W_ADH_HTN(rng)})
    if dm:
        meds.append({"name": rng.choice(_DM_DRUGS), "usage": "口服", "dose": "0.5g", "duration": "长期",
                     "adherence": W_ADH_DM(rng)})
    symptoms = ["1"] if rng.random() < 0.7 else rng.sample(
        [c for c in ("2", "3", "4", "5", "7", "8", "13", "14", "15", "16", "19", "22", "23")], rng.randint(1, 2))
    start_smoke = rng.randint(16, max(16, min(25, age - 1))) if smoker != "1" else None
    tc = _clip(rng.gauss(4.8 + 0.004 * a, 0.9), 2.5, 9.5)
    tg = _clip(rng.lognormvariate(0.3 + (0.2 if dm else 0), 0.45), 0.3, 12)
    hdl = _clip(rng.gauss(1.2 if male else 1.4, 0.28), 0.6, 2.6)
    ldl = _clip(tc - hdl - tg / 2.2, 0.8, 7)
    stroke = "7" in diseases
    exercise = W_EXERCISE(rng)
    return {
        "symptoms": _JL(symptoms), "temperature": _d1(_clip(rng.gauss(36.5, 0.25), 35.8, 37.4)), "pulse": pulse,
        "respiration": rng.randint(16, 20), "bp_left_sbp": sbp, "bp_left_dbp": dbp, "bp_right_sbp": sbp_r,
        "bp_right_dbp": dbp_r, "height": _d1(height), "weight": _d1(weight), "waist": _d1(waist), "bmi": str(bmi),
        "exercise_frequency": exercise, "exercise_minutes": rng.choice((20, 30, 40, 60)) if exercise != "4" else None,
        "exercise_years": rng.randint(1, 20) if exercise != "4" else None, "diet": _JL(
            ["1"] if rng.random() < 0.6 else rng.sample(["2", "3", "4", "5", "6"], rng.randint(1, 2))),
        "smoking_status": smoker, "cigarettes_per_day": rng.randint(5, 30) if smoker == "3" else None,
        "smoking_start_age": start_smoke,
        "smoking_quit_age": rng.randint(min(start_smoke + 1, age), age) if smoker == "2" else None,
        "drinking_frequency": drinks, "alcohol_per_day": _d1(rng.choice((0.5, 1, 2, 3))) if drinks != "1" else None,
        "drinking_quit": "1" if drinks != "1" else "",
        "drinking_start_age": rng.randint(min(18, age), min(30, age)) if drinks != "1" else None,
        "alcohol_kind": _JL(rng.sample(["1", "2", "4"], 1) if drinks != "1" else []),
        "occupational_exposure": "1", "lips": "1",
        "dentition": _JL(["1"] if rng.random() < (0.3 if old else 0.75) else rng.sample(["2", "3", "4"], 1)),
        "throat": "1", "vision_left": _d1(_clip(rng.gauss(4.9 - 0.01 * a, 0.15), 4.0, 5.3)),
        "vision_right": _d1(_clip(rng.gauss(4.9 - 0.01 * a, 0.15), 4.0, 5.3)),
        "hearing": "1" if rng.random() < (0.85 if old else 0.99) else "2",
        "motor": "1" if rng.random() < (0.94 if old else 0.995) else "2",
        "fundus": "1", "skin": "1", "sclera": "1", "lymph_nodes": "1", "barrel_chest": "1", "breath_sounds": "1",
        "rales": "1", "heart_rate": pulse, "heart_rhythm": "1" if rng.random() < 0.95 else "2", "heart_murmur": "1",
        "abdominal_tenderness": "1", "abdominal_mass": "1", "hepatomegaly": "1", "splenomegaly": "1",
        "shifting_dullness": "1", "oedema": "1" if rng.random() < 0.96 else "4", "dorsalis_pedis": "2",
        "breast": J_EMPTY if male else _JL(["1"]),
        "hemoglobin": round(_clip(rng.gauss(145 if male else 128, 12), 80, 185)),
        "wbc": _d1(_clip(rng.gauss(6.3, 1.5), 3.0, 12.5)), "platelets": round(_clip(rng.gauss(225, 55), 80, 450)),
        "urine_protein": "1" if rng.random() < 0.95 else "3",
        "urine_glucose": "3" if glucose >= 10 else "1", "urine_ketones": "1", "urine_occult_blood": "1",
        "fasting_glucose": _d1(glucose), "ecg": "1" if rng.random() < (0.75 if old else 0.92) else "2",
        "total_cholesterol": _d2(tc) if old else None, "triglycerides": _d2(tg) if old else None,
        "ldl": _d2(ldl) if old else None, "hdl": _d2(hdl) if old else None,
        "alt": round(_clip(rng.gauss(22, 9), 5, 150)) if old else None,
        "ast": round(_clip(rng.gauss(23, 7), 8, 120)) if old else None,
        "albumin": _d1(_clip(rng.gauss(43, 3), 30, 52)) if old else None,
        "total_bilirubin": _d1(_clip(rng.gauss(12, 4), 3, 30)) if old else None,
        "creatinine": _d1(_clip(rng.gauss((80 if male else 62) + 0.3 * max(0, age - 60), 14), 35, 200))
        if old else None,
        "urea": _d1(_clip(rng.gauss(5.5, 1.3), 2.0, 12)) if old else None,
        "potassium": _d1(_clip(rng.gauss(4.1, 0.3), 3.2, 5.3)) if old else None,
        "sodium": _d1(_clip(rng.gauss(140, 2.5), 132, 148)) if old else None,
        "ultrasound_abdomen": ("1" if rng.random() < 0.7 else "2") if old else "",
        "cerebrovascular": _JL(["2"] if stroke else ["1"]), "kidney": _JL(["1"]),
        "heart": _JL(["3"] if "4" in diseases else ["1"]), "vascular": _JL(["1"]), "eye": _JL(["1"]),
        "nervous": _JL(["1"]), "other_system": _JL(["1"]), "medications": _J(meds) if meds else J_EMPTY,
        "evaluation": "2" if abnormal else "1", "abnormality_1": abnormal[0] if abnormal else "",
        "abnormality_2": abnormal[1] if len(abnormal) > 1 else "", "guidance": _JL(guidance),
        "risk_control": _JL(risk), "weight_target": weight_target, "vaccine_suggestion": vaccine,
    }


def make_selfcare(rng: random.Random, age: int) -> tuple[dict, int, str]:
    from jkda.programs.elderly import rules as er

    p = _clip(0.04 + 0.018 * (age - 65), 0.04, 0.6)
    levels = {}
    frail = rng.random() < p
    for item in er.SELFCARE_SCORES:
        if not frail:
            levels[item] = "1" if rng.random() < 0.97 else "2"
        else:
            levels[item] = W_FRAIL(rng)
    total = er.selfcare_total(levels)
    return levels, total, er.selfcare_band(total)


_BASE = W({1: 45, 2: 30, 3: 17, 4: 6, 5: 2})
_Q1 = W({1: 4, 2: 12, 3: 34, 4: 32, 5: 18})


def make_tcm(rng: random.Random, bmi, waist) -> tuple[dict[int, int], dict, dict]:
    from jkda.programs.elderly import rules as er

    answers = {n: (_Q1 if n == 1 else _BASE)(rng) for n in range(1, er.TCM_QUESTIONS + 1)}
    if rng.random() < 0.55:
        for t in rng.sample(er.IMBALANCED, rng.choice((1, 1, 2))):
            lift = rng.choice((1, 1, 2))
            for q in er.TCM_TYPES[t]:
                answers[q] = min(5, answers[q] + lift)
    answers[9] = er.q9_from_bmi(bmi)
    answers[28] = er.q28_from_waist(waist)
    sums, results = er.tcm_results(answers)
    return answers, sums, results


def generate_exams(ctx) -> None:
    from jkda.programs.elderly import rules as er
    from jkda.programs.elderly.models import SelfCareAssessment, TcmConstitution
    from jkda.records.models import Record
    from jkda.regions.models import Staff

    from .models import Exam

    rng = ctx.rng("exam")
    rates = InstitutionRates(ctx)
    names = dict(Staff.objects.values_list("id", "full_name"))
    w_exam = ctx.writer(Exam, EXAM_COLS)
    w_care = ctx.writer(SelfCareAssessment, CARE_COLS)
    tcm_cols = _tcm_cols()
    w_tcm = ctx.writer(TcmConstitution, tcm_cols)
    as_of = ctx.as_of
    earliest = as_of - dt.timedelta(days=364)
    guidance_default = _J(er.DEFAULT_GUIDANCE)
    elderly_age = rules.elderly_age()
    last = 0
    n_exam = n_care = n_tcm = 0
    # ids are given (the writer inserts every column); the sequences are reset after the load on PostgreSQL
    first_id = [(m.objects.aggregate(m=Max("id"))["m"] or 0) + 1 for m in (Exam, SelfCareAssessment, TcmConstitution)]
    while True:
        chunk = list(Record.objects.filter(pk__gt=last, status="active").order_by("pk").annotate(
            past=Cast("resident__past_diseases", TextField())).values_list(
            "pk", "institution_id", "responsible_doctor_id", "established_on", "resident__birth_date",
            "resident__sex", "past")[:CHUNK])
        if not chunk:
            break
        last = chunk[-1][0]
        exams, cares, tcms = [], [], []
        for pk, inst, doc, established, birth, sex, past in chunk:
            age_now = rules.age_years(birth, as_of)
            if age_now < 18:
                continue
            r65, rother, rcare, rtcm = rates(inst)
            old = age_now >= elderly_age
            if rng.random() >= (r65 if old else rother):
                continue
            lo = max(earliest, established)
            if old:
                try:
                    b65 = birth.replace(year=birth.year + elderly_age)
                except ValueError:
                    b65 = dt.date(birth.year + elderly_age, 3, 1)
                lo = max(lo, b65)
            if lo > as_of:
                continue
            day = lo + dt.timedelta(days=rng.randint(0, (as_of - lo).days))
            age = rules.age_years(birth, day)
            male = sex == "1"
            diseases = {c for c in _DISEASE_CODES if f'"{c}"' in (past or "")}
            values = make_exam(rng, age, male, diseases)
            base = (pk, day.isoformat(), inst, doc, names.get(doc, ""), "2017-3", 1)
            if old:
                values["health_status"] = W_HEALTH(rng)
                values["cognition"] = "1" if rng.random() < 0.95 else "2"
                values["mmse_score"] = rng.randint(12, 26) if values["cognition"] == "2" else None
                values["emotion"] = "1" if rng.random() < 0.95 else "2"
                values["depression_score"] = rng.randint(6, 15) if values["emotion"] == "2" else None
                levels, total, band = make_selfcare(rng, age)
                values["selfcare_level"] = band
                if rng.random() < rcare:
                    cares.append(base + tuple(levels[i] for i in er.SELFCARE_SCORES) + (total, band))
                if rng.random() < rtcm:
                    answers, sums, results = make_tcm(rng, values["bmi"], values["waist"])
                    row = [values["bmi"], values["waist"]] + [answers[n] for n in range(1, er.TCM_QUESTIONS + 1)]
                    for t in er.TCM_TYPES:
                        row += [sums[t], results[t], guidance_default if results[t] != er.NO else J_EMPTY]
                    tcms.append(base + tuple(row))
            else:
                for k in ("health_status", "selfcare_level", "cognition", "emotion"):
                    values[k] = ""
                values["mmse_score"] = values["depression_score"] = None
            exams.append(base + tuple(values[c] for c in EXAM_COLS[8:]))
        with transaction.atomic():
            w_exam.write([(n_exam + first_id[0] + i,) + row for i, row in enumerate(exams)])
            w_care.write([(n_care + first_id[1] + i,) + row for i, row in enumerate(cares)])
            w_tcm.write([(n_tcm + first_id[2] + i,) + row for i, row in enumerate(tcms)])
        n_exam += len(exams)
        n_care += len(cares)
        n_tcm += len(tcms)
    reset_sequences([Exam, SelfCareAssessment, TcmConstitution])
    ctx.add("health examinations", n_exam)
    ctx.add("elderly self-care assessments", n_care)
    ctx.add("elderly TCM records", n_tcm)
