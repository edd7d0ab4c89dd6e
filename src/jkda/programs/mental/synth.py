"""Synthetic severe mental disorder patients: enrolment, supplementary form with consent, a year of follow-ups.

About 0.4-0.5 % of the residents are under management (every active record whose past diseases list a severe
mental disorder, topped up with patients found by screening or transferred in). Most signed the consent; those who
did are followed up by the rule (stable: every 3 months, otherwise within 2 weeks), less faithfully in the weaker
institutions. Risk levels are mostly 0-1. Every stored classification and next-visit date comes from rules.py.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import models, transaction

from jkda.records.models import Record, Resident
from jkda.synth.extensions import reset_sequences

from . import rules

PROGRAM = "smi"
CHUNK = 2000
RISK_WEIGHTS = (("0", 72), ("1", 15), ("2", 6), ("3", 4), ("4", 2), ("5", 1))
DIAGNOSIS_WEIGHTS = (("1", 68), ("2", 3), ("3", 4), ("4", 12), ("5", 5), ("6", 8))
DRUGS = {
    "1": (("利培酮片", "2", "2mg"), ("奥氮平片", "1", "10mg"), ("阿立哌唑片", "1", "10mg"), ("氯氮平片", "2", "100mg")),
    "4": (("碳酸锂缓释片", "2", "0.3g"), ("丙戊酸镁缓释片", "2", "0.25g"), ("喹硫平片", "2", "100mg")),
    "5": (("丙戊酸钠缓释片", "2", "0.5g"), ("卡马西平片", "2", "0.1g")),
}
RELATIONS = (("2", 45), ("1", 30), ("3", 15), ("4", 7), ("5", 3))


class RowMaker:
    """Rows for TableWriter with every column: the given values over each field's default ("" for text).

    Ids are allocated after the table's highest id (TableWriter writes explicit ids); `reset_sequence()` moves the
    PostgreSQL sequence past them once the rows are written."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.columns, self.defaults = ["id"], [None]
        self.next_id = (model.objects.aggregate(m=models.Max("id"))["m"] or 0) + 1
        for f in model._meta.concrete_fields:
            if f.primary_key or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                continue
            self.columns.append(f.attname)
            if f.has_default():
                value = f.get_default()
                value = json.dumps(value) if isinstance(f, models.JSONField) else value
            elif f.null:
                value = None
            else:
                value = ""
            self.defaults.append(value)
        self.index = {c: i for i, c in enumerate(self.columns)}

    def __call__(self, **values) -> tuple:
        row = list(self.defaults)
        row[0] = self.next_id
        self.next_id += 1
        for k, v in values.items():
            if isinstance(v, (list, dict)):
                v = json.dumps(v, ensure_ascii=False)
            elif isinstance(v, dt.date):
                v = v.isoformat()
            elif isinstance(v, bool):
                pass
            row[self.index[k]] = v
        return tuple(row)

    def reset_sequence(self) -> None:
        reset_sequences([self.model])


def pick(rng, weights):
    total = sum(w for _c, w in weights)
    x = rng.random() * total
    for code, w in weights:
        x -= w
        if x < 0:
            return code
    return weights[-1][0]


def day_between(rng, lo: dt.date, hi: dt.date) -> dt.date:
    if hi <= lo:
        return lo
    return lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))


def institution_quality(rng, inst_ids) -> dict[int, float]:
    """Per institution, the chance a due visit happens on time (most 0.85-0.97, a fifth weak at 0.35-0.6)."""
    out = {}
    for i in sorted(inst_ids):
        out[i] = rng.uniform(0.35, 0.6) if rng.random() < 0.2 else rng.uniform(0.85, 0.97)
    return out


def select_patients(ctx, share_lo: float, share_hi: float, code: str, label: str, min_age: int = 15):
    """(chosen record rows, codes-on-record ids): every active record listing `code`, topped up to the share."""
    rng = ctx.rng(f"{label}-select")
    total = Resident.objects.count()
    target = round(total * rng.uniform(share_lo, share_hi))
    adult_born = dt.date(ctx.as_of.year - min_age, ctx.as_of.month, min(ctx.as_of.day, 28))
    base = Record.objects.filter(status="active", resident__birth_date__lte=adult_born,
                                 established_on__lte=ctx.as_of)
    flagged = list(base.filter(resident__past_diseases__icontains=f'"code": "{code}"').order_by("id")
                   .values_list("id", flat=True))
    flagged_set = set(flagged)
    chosen = list(flagged)
    need = target - len(chosen)
    if need > 0:
        others = [i for i in base.order_by("id").values_list("id", flat=True).iterator(chunk_size=20_000)
                  if i not in flagged_set]
        chosen += sorted(rng.sample(others, min(need, len(others))))
    chosen.sort()
    rows = []
    for start in range(0, len(chosen), 5000):
        part = chosen[start:start + 5000]
        rows += list(Record.objects.filter(id__in=part).order_by("id").values_list(
            "id", "institution_id", "responsible_doctor_id", "responsible_doctor_name", "established_on",
            "resident__birth_date", "resident__sex", "resident__name", "resident__current_address"))
    return rows, flagged_set


def generate_smi(ctx) -> None:
    from jkda.programs.models import Enrollment

    from .models import SmiFollowup, SmiProfile

    as_of = ctx.as_of
    year_start = as_of - dt.timedelta(days=365)
    patients, flagged = select_patients(ctx, 0.004, 0.005, "8", "smi")
    rng = ctx.rng("smi")
    quality = institution_quality(ctx.rng("smi-institutions"), {p[1] for p in patients})
    mk_enrol, mk_profile, mk_fu = RowMaker(Enrollment), RowMaker(SmiProfile), RowMaker(SmiFollowup)
    w_enrol = ctx.writer(Enrollment, mk_enrol.columns)
    w_profile = ctx.writer(SmiProfile, mk_profile.columns)
    w_fu = ctx.writer(SmiFollowup, mk_fu.columns)
    n_enrol = n_profile = n_fu = 0
    for start in range(0, len(patients), CHUNK):
        enrol_rows, profile_rows, fu_rows = [], [], []
        for rid, inst, doc, doc_name, established, birth, _sex, name, address in patients[start:start + CHUNK]:
            common = {"record_id": rid, "institution_id": inst, "doctor_id": doc, "doctor_name": doc_name or "",
                      "form_version": "2017-3", "version": 1}
            earliest = max(established, birth + dt.timedelta(days=15 * 365))
            if rng.random() < 0.7:
                enrolled = day_between(rng, earliest, max(earliest, year_start))
            else:
                enrolled = day_between(rng, max(earliest, year_start), as_of)
            source = "1" if rid in flagged else pick(rng, (("2", 3), ("3", 5), ("4", 2)))
            enrol_rows.append(mk_enrol(record_id=rid, program=PROGRAM, enrolled_on=enrolled, source=source,
                                       institution_id=inst, version=1))
            n_enrol += 1
            if rng.random() > 0.95:
                continue  # no supplementary form yet: due on the work list
            filled = min(as_of, enrolled + dt.timedelta(days=rng.randrange(0, 15)))
            agreed = rng.random() < 0.92
            diagnosis = pick(rng, DIAGNOSIS_WEIGHTS)
            signer = "2" if rng.random() < 0.6 else "1"
            guardian = name[0] + rng.choice("国建秀丽桂英志明")
            onset = day_between(rng, birth + dt.timedelta(days=14 * 365), max(birth + dt.timedelta(days=14 * 365),
                                                                           enrolled - dt.timedelta(days=365)))
            diagnosed = min(filled, onset + dt.timedelta(days=rng.randrange(30, 400)))
            danger = [rng.random() < 0.05 for _ in range(6)]
            profile_rows.append(mk_profile(
                **common, service_date=filled, guardian_name=guardian, guardian_relation=pick(rng, RELATIONS),
                guardian_phone="13" + "".join(str(rng.randrange(10)) for _ in range(9)),
                guardian_address=address, consent="1" if agreed else "0", consent_signer=signer,
                consent_signature=guardian if signer == "2" else name, consent_date=filled, first_onset=onset,
                diagnosis=diagnosis, past_symptoms=sorted(rng.sample(["1", "3", "5", "7", "10", "11"], 2), key=int),
                outpatient=pick(rng, (("1", 1), ("2", 4), ("3", 5))), first_drug_date=diagnosed,
                admissions=rng.choice((0, 0, 1, 1, 2, 3)), diagnosing_hospital="市广济医院",
                diagnosis_date=diagnosed, last_effect=pick(rng, (("1", 2), ("2", 6), ("3", 2), ("4", 1))),
                danger_nuisance=int(danger[0]), danger_trouble=int(danger[1]), danger_disaster=int(danger[2]),
                danger_self_harm=int(danger[4]), danger_suicide=int(danger[5]),
                lockup=pick(rng, (("1", 97), ("3", 3))), economy=pick(rng, (("1", 2), ("2", 7), ("3", 1))),
            ))
            n_profile += 1
            if not agreed:
                continue
            q = quality[inst]
            visit = max(filled, year_start) + dt.timedelta(days=rng.randrange(0, 20))
            base_risk = pick(rng, RISK_WEIGHTS)
            drug_pool = DRUGS.get(diagnosis, DRUGS["1"])
            while visit <= as_of:
                risk = base_risk if rng.random() < 0.7 else pick(rng, RISK_WEIGHTS)
                florid = int(risk) >= 3 and rng.random() < 0.5 or rng.random() < 0.01
                symptoms = [] if int(risk) == 0 and rng.random() < 0.75 else sorted(
                    rng.sample(["1", "2", "3", "4", "5", "10", "11"], rng.randint(1, 2)), key=int)
                insight = "1" if not symptoms and rng.random() < 0.85 else pick(rng, (("1", 2), ("2", 5), ("3", 2)))
                social = [pick(rng, (("1", 6), ("2", 3), ("3", 1 if symptoms else 0))) for _ in range(5)]
                adverse = rng.random() < 0.08
                serious_adverse = adverse and rng.random() < 0.1
                physical = pick(rng, (("1", 85), ("2", 14), ("3", 1)))
                cls = rules.classify(int(risk), florid=florid, serious_adverse=serious_adverse,
                                     serious_physical=physical == "3", symptoms=symptoms, insight=insight,
                                     social=social)
                nxt = rules.next_visit(visit, cls)
                drug = rng.choice(drug_pool)
                fu_rows.append(mk_fu(
                    **common, service_date=visit, method=pick(rng, (("1", 4), ("2", 5), ("3", 1))), risk=risk,
                    symptoms=symptoms, florid=florid, insight=insight, sleep=pick(rng, (("1", 6), ("2", 3), ("3", 1))),
                    appetite=pick(rng, (("1", 7), ("2", 2), ("3", 1))), personal_care=social[0],
                    housework=social[1], work=social[2], learning=social[3], social=social[4],
                    danger_nuisance=int(int(risk) in (1, 2) and rng.random() < 0.5),
                    danger_trouble=int(int(risk) >= 3), danger_self_harm=int(int(risk) == 4 and rng.random() < 0.3),
                    lockup="1", admission="1" if cls == "1" and rng.random() < 0.3 else "0",
                    lab="1", adherence=pick(rng, (("1", 75), ("2", 18), ("3", 7))),
                    adverse="2" if adverse else "1", adverse_detail="嗜睡、体重增加" if adverse else "",
                    adverse_serious=serious_adverse, physical=physical,
                    effect=pick(rng, (("1", 2), ("2", 6), ("3", 3), ("4", 1 if cls == "1" else 0))),
                    referral="2" if cls == "1" else "1", referral_reason="病情不稳定" if cls == "1" else "",
                    referral_to="市广济医院精神科" if cls == "1" else "",
                    drugs=[{"name": drug[0], "usage": drug[1], "dose": drug[2]}],
                    rehab=["1", "4"] if cls == "3" else ["1"], classification=cls, next_visit=nxt,
                ))
                n_fu += 1
                if rng.random() < q:
                    visit = nxt - dt.timedelta(days=rng.randrange(0, 8))
                else:
                    visit = nxt + dt.timedelta(days=rng.randrange(20, 120))
        with transaction.atomic():
            w_enrol.write(enrol_rows)
            w_profile.write(profile_rows)
            w_fu.write(fu_rows)
    for mk in (mk_enrol, mk_profile, mk_fu):
        mk.reset_sequence()
    ctx.add("smi_enrolments", n_enrol)
    ctx.add("smi_profiles", n_profile)
    ctx.add("smi_followups", n_fu)
