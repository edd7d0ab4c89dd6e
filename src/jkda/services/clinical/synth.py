"""Synthetic encounters, consultations and two-way referrals (a synth extension, see synth.extensions).

Within the year before `ctx.as_of`: 5–18% of residents (more of the old, and a rate that differs between
institutions) have 1–3 encounters; a few of the 60+ have a consultation; some are referred from their community
institution up to the township hospital / the centre (a village clinic to its hospital, a station to its centre,
a centre or hospital to another hospital of the county). Older referrals have mostly been answered with a
referral-back; recent ones are still pending; a few were refused.

One pass over the records in id order (values_list in chunks, each chunk written in one transaction); every draw
comes from `ctx.rng("clinical")`, so the same seed gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import transaction
from django.db.models import Max

from jkda.records.models import Record
from jkda.regions.models import Institution, Staff
from jkda.synth.extensions import reset_sequences

from . import rules
from .models import Consultation, Encounter, Referral, ReferralBack

CHUNK = 50_000

BASE = ["id", "record_id", "service_date", "institution_id", "doctor_id", "doctor_name", "form_version", "version"]
ENC_COLS = BASE + ["department", "visit_type", "subjective", "objective", "assessment", "plan"]
CONS_COLS = BASE + ["reason", "opinion", "consultants", "responsible_doctor_name"]
REF_COLS = BASE + ["to_institution_code", "to_institution_id", "to_department", "receiving_doctor", "urgency",
                   "initial_impression", "reason", "main_history", "test_results", "treatment", "contact_phone",
                   "status", "received_on", "received_by_name", "refusal_reason"]
BACK_COLS = BASE + ["referral_id", "diagnosis", "inpatient_number", "test_results", "treatment", "outcome",
                    "recommendations", "contact_phone"]

# (min age, max age, department, S, O, A, P)
ENCOUNTERS = (
    (0, 6, "儿科", "发热1天，体温最高38.5℃，伴流涕、轻咳", "T 38.2℃，咽部充血，双肺呼吸音清", "急性上呼吸道感染",
     "物理降温，多饮水，对症处理；体温超过38.5℃或精神差及时复诊"),
    (0, 6, "儿科", "腹泻2天，每日4～5次稀水样便，无呕吐", "精神可，皮肤弹性好，腹软，肠鸣音活跃", "急性腹泻病",
     "口服补液盐，继续喂养，注意手卫生；3天不好转复诊"),
    (7, 200, "全科", "咽痛、咳嗽3天，咳少量白痰", "咽部充血，扁桃体不大，双肺未闻及干湿啰音", "急性支气管炎",
     "对症止咳化痰，多饮水，注意休息，1周后不愈复诊"),
    (18, 200, "全科", "腰背部酸痛1周，劳累后加重", "腰椎旁压痛，直腿抬高试验阴性", "腰肌劳损",
     "避免久坐弯腰，局部热敷，必要时理疗"),
    (35, 200, "内科", "头晕、乏力3天，未规律服药", "BP 152/94 mmHg，心率78次/分，律齐", "原发性高血压",
     "规律服用降压药，低盐饮食，2周后复测血压"),
    (35, 200, "内科", "口干、多饮1月", "空腹血糖8.6 mmol/L，BMI 26.1", "2型糖尿病",
     "饮食控制，增加运动，二甲双胍口服，1月后复查血糖"),
    (45, 200, "内科", "活动后胸闷，休息数分钟缓解", "BP 138/86 mmHg，心电图示ST段轻度压低", "冠心病待排",
     "建议上级医院进一步检查，避免剧烈活动"),
    (55, 200, "中医科", "失眠多梦2月，食欲欠佳", "舌淡苔薄白，脉细弱", "不寐（心脾两虚）",
     "中药调理，睡前泡脚，规律作息"),
    (60, 200, "全科", "双膝关节疼痛，上下楼加重", "双膝关节骨摩擦感，无红肿", "膝关节骨性关节炎",
     "减少负重，适度活动，外用药物，必要时复诊"),
    (15, 60, "全科", "皮肤瘙痒伴红色丘疹2天", "躯干散在红色丘疹，无渗出", "荨麻疹",
     "避免接触可疑过敏原，口服抗组胺药"),
)
VISIT_WEIGHTS = (("1", 0.45), ("2", 0.45), ("3", 0.05), ("4", 0.05))

# (min age, department, impression, reason, history, tests, treatment; back: diagnosis, treatment, outcome, advice)
REFERRALS = (
    (35, "心内科", "高血压控制不满意", "连续两次随访血压控制不满意，调整药物后仍偏高", "高血压病史5年",
     "BP 168/102 mmHg", "氨氯地平5mg qd", "原发性高血压2级（高危）", "调整降压方案，加用缬沙坦",
     "血压降至138/84 mmHg", "继续规律服药，社区每月随访血压，低盐饮食"),
    (35, "内分泌科", "血糖控制不佳", "空腹血糖反复高于10 mmol/L", "2型糖尿病病史3年", "空腹血糖11.2 mmol/L",
     "二甲双胍0.5g tid", "2型糖尿病", "加用胰岛素治疗，糖尿病教育", "空腹血糖6.8 mmol/L",
     "社区每月随访血糖，指导胰岛素注射，3月后复查糖化血红蛋白"),
    (45, "心内科", "胸痛待查", "反复胸闷胸痛1周", "高血压病史", "心电图ST-T改变", "硝酸甘油含服后缓解",
     "冠心病 稳定型心绞痛", "冠脉造影，药物治疗", "症状缓解出院", "坚持服用抗血小板及他汀类药物，社区随访"),
    (0, "外科", "急性腹痛", "右下腹痛8小时", "既往体健", "血常规白细胞升高", "未用药", "急性阑尾炎",
     "腹腔镜阑尾切除术", "痊愈出院", "切口换药，1周后拆线，注意休息"),
    (60, "神经内科", "脑卒中待排", "突发左侧肢体无力2小时", "高血压病史10年", "BP 176/98 mmHg", "吸氧，监测生命体征",
     "脑梗死", "溶栓及抗血小板治疗，康复训练", "好转出院，左侧肢体肌力4级", "社区康复训练，控制血压，定期随访"),
    (0, "呼吸内科", "肺部感染", "咳嗽、发热5天，抗感染治疗3天无好转", "无特殊", "胸片示右下肺斑片影",
     "头孢类抗生素3天", "社区获得性肺炎", "抗感染治疗7天", "治愈出院", "注意休息，1月后复查胸片"),
)
REFUSALS = ("床位已满，建议转至其他医院", "本院无相应专科", "患者未到诊")


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _targets(rng) -> tuple[dict[int, int], dict[int, tuple[str, str, str]]]:
    """Where each clinical institution refers to, and (code, name, kind) of every institution."""
    rows = list(Institution.objects.order_by("code").values_list("id", "code", "name", "kind", "parent_id",
                                                                 "division__parent_id"))
    info = {r[0]: (r[1], r[2], r[3]) for r in rows}
    clinical = set(Institution.CLINICAL_KINDS)
    by_county: dict[int, dict[str, list[int]]] = {}
    for iid, _code, _name, kind, _parent, county in rows:
        if kind in ("thc", "chc"):
            by_county.setdefault(county, {"thc": [], "chc": []})[kind].append(iid)
    target: dict[int, int] = {}
    for iid, _code, _name, kind, parent, county in rows:
        if kind not in clinical:
            continue
        if kind in ("vc", "chs") and parent in info and info[parent][2] in clinical:
            target[iid] = parent
            continue
        pool = by_county.get(county, {"thc": [], "chc": []})
        choices = [i for i in pool["thc"] if i != iid] or [i for i in pool["chc"] if i != iid]
        if choices:
            target[iid] = rng.choice(choices)
    return target, info


def _doctors() -> dict[int, list[tuple[int, str]]]:
    out: dict[int, list[tuple[int, str]]] = {}
    for sid, inst, name in Staff.objects.filter(role="doctor", institution__isnull=False).order_by("id").values_list(
            "id", "institution_id", "full_name"):
        out.setdefault(inst, []).append((sid, name))
    return out


def _weighted(rng, pairs):
    x = rng.random()
    for value, w in pairs:
        x -= w
        if x < 0:
            return value
    return pairs[-1][0]


def generate_clinical(ctx) -> None:
    as_of = ctx.as_of
    start = as_of - dt.timedelta(days=364)
    inst_rng = ctx.rng("clinical-institutions")
    target, info = _targets(inst_rng)
    factor = {iid: inst_rng.uniform(0.5, 1.5) for iid in sorted(info)}
    doctors = _doctors()
    rng = ctx.rng("clinical")
    w_enc = ctx.writer(Encounter, ENC_COLS)
    w_cons = ctx.writer(Consultation, CONS_COLS)
    w_ref = ctx.writer(Referral, REF_COLS)
    w_back = ctx.writer(ReferralBack, BACK_COLS)
    ids = {m: (m.objects.aggregate(n=Max("id"))["n"] or 0) for m in (Encounter, Consultation, Referral, ReferralBack)}

    def next_id(model) -> int:
        ids[model] += 1
        return ids[model]

    last = 0
    while True:
        chunk = list(Record.objects.filter(id__gt=last, status=Record.Status.ACTIVE).order_by("id").values_list(
            "id", "institution_id", "responsible_doctor_id", "responsible_doctor_name", "established_on",
            "resident__birth_date", "resident__phone")[:CHUNK])
        if not chunk:
            break
        last = chunk[-1][0]
        enc, cons, refs, backs = [], [], [], []
        for rid, inst, doc, doc_name, established, birth, phone in chunk:
            begin = max(start, established, birth)
            if begin > as_of:
                continue
            span = (as_of - begin).days
            age = _age(birth, as_of)
            f = factor.get(inst, 1.0)
            base = (inst, doc, doc_name or "", "2017-3", 1)

            def day(lo=begin, n=span):
                return lo + dt.timedelta(days=rng.randint(0, n))

            if rng.random() < rules.encounter_rate(age) * f:
                n = _weighted(rng, ((1, 0.4), (2, 0.35), (3, 0.25)) if age >= 65 else ((1, 0.7), (2, 0.22), (3, 0.08)))
                fits = [t for t in ENCOUNTERS if t[0] <= age <= t[1]]
                for _ in range(n):
                    t = rng.choice(fits)
                    visit = _weighted(rng, VISIT_WEIGHTS)
                    enc.append((next_id(Encounter), rid, day().isoformat(), *base, t[2], visit, *t[3:]))
            if age >= 60 and rng.random() < 0.004 * f and inst in target:
                t = rng.choice([t for t in REFERRALS if t[0] <= age])
                to = target[inst]
                consultant = rng.choice(doctors.get(to) or [(None, "刘主任")])[1]
                rows = [{"institution": info[to][1], "doctor": consultant}]
                if doctors.get(inst) and rng.random() < 0.5:
                    rows.append({"institution": info[inst][1], "doctor": rng.choice(doctors[inst])[1]})
                reason = f"{t[2]}，请上级医生会诊明确诊治方案"
                opinion = f"考虑{t[7]}，建议{t[8]}，{t[10]}"
                cons.append((next_id(Consultation), rid, day().isoformat(), *base, reason, opinion,
                             json.dumps(rows, ensure_ascii=False), doc_name or ""))
            if inst in target and rng.random() < rules.referral_rate(age) * f:
                t = rng.choice([t for t in REFERRALS if t[0] <= age])
                to = target[inst]
                sent = day()
                waited = (as_of - sent).days
                status = rules.SENT if waited < 2 else _weighted(rng, (
                    (rules.RETURNED, 0.55), (rules.RECEIVED, 0.15), (rules.REFUSED, 0.1), (rules.SENT, 0.2)))
                back_on = sent + dt.timedelta(days=rng.randint(3, 21))
                if status == rules.RETURNED and back_on > as_of:
                    status = rules.RECEIVED
                received = None if status == rules.SENT else min(as_of, sent + dt.timedelta(days=rng.randint(0, 2)))
                receiver = rng.choice(doctors.get(to) or [(None, "")])
                ref_id = next_id(Referral)
                refs.append((ref_id, rid, sent.isoformat(), *base, info[to][0], to, t[1], "",
                             "2" if rng.random() < 0.2 else "1", t[2], t[3], t[4], t[5], t[6], phone or "", status,
                             received.isoformat() if received else None, receiver[1] if received else "",
                             rng.choice(REFUSALS) if status == rules.REFUSED else ""))
                if status == rules.RETURNED:
                    backs.append((next_id(ReferralBack), rid, back_on.isoformat(), to, receiver[0], receiver[1],
                                  "2017-3", 1, ref_id, t[7], "", "", t[8], t[9], t[10], ""))
        with transaction.atomic():
            w_enc.write(enc)
            w_cons.write(cons)
            w_ref.write(refs)
            w_back.write(backs)
        ctx.add("encounters", len(enc))
        ctx.add("consultations", len(cons))
        ctx.add("referrals", len(refs))
        ctx.add("referrals_back", len(backs))
    reset_sequences([Encounter, Consultation, Referral, ReferralBack])  # ids were assigned here
