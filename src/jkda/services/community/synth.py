"""Synthetic institution-level services: per clinical institution, the last calendar year and the current year to
date of health education (notice boards and their updates, printed materials, audio-visual showings,
consultations, talks), infectious-disease report cards (a few late) and health supervision reports and visits.

Each institution draws from its own generator (`ctx.rng("community:<code>")`) and gets an adherence level, so
some institutions stay below the yearly minimums and timeliness differs between institutions. Everything is
written with the fast table writer: a handful of queries, no per-row save.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from jkda.records.models import Record
from jkda.regions.models import Institution, PopulationBase, Staff
from jkda.synth.extensions import reset_sequences

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

THEMES = [
    "高血压防治", "糖尿病防治", "合理膳食", "控烟限酒", "结核病防治", "艾滋病防治", "预防接种", "心理健康",
    "老年人健康管理", "孕产妇保健", "儿童保健", "传染病防控", "慢性阻塞性肺疾病", "脑卒中预防", "口腔健康",
    "食品安全", "中医药健康管理", "健康素养66条", "突发公共卫生事件应急", "合理用药", "职业病防治", "全民健身",
    "病毒性肝炎防治", "手足口病预防", "流感预防", "碘缺乏病防治", "骨质疏松预防", "睡眠健康",
]
PLACES = ["中心会议室", "健康教育室", "社区活动中心", "村委会", "广场", "老年活动室", "小学", "集市"]
AUDIENCES = [["1"], ["4"], ["8"], ["3"], ["6"], ["1", "4"], ["2"], ["7"]]
MATERIAL_FORMS = ["1", "2", "3", "4", "5"]
# Disease weights of the report cards (roughly the notified incidence seen in primary care).
DISEASE_WEIGHTS = [
    ("C01", 30), ("C11", 14), ("B05", 10), ("B18", 8), ("B27", 6), ("C10", 10), ("C02", 3), ("B24", 3),
    ("B17", 2), ("B06", 2), ("B03", 1), ("C04", 2), ("B32", 4), ("B12", 1), ("B30", 0.3), ("A02", 0.2),
    ("B02", 0.2), ("B11", 0.5), ("C03", 0.5),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
LEVELS = (("good", 0.65), ("fair", 0.22), ("poor", 0.13))
# per level: (share of the minimum reached: low, high)
SHARE = {"good": (1.0, 1.25), "fair": (0.8, 1.0), "poor": (0.45, 0.8)}
ON_TIME = {"good": (0.9, 0.99), "fair": (0.75, 0.9), "poor": (0.5, 0.75)}

ACT_COLS = ["id", "institution_id", "activity_date", "place", "activity_kind", "board_id", "theme", "organiser",
            "audience", "participants", "materials", "summary_evaluation", "attachments", "form_version", "version"]
BOARD_COLS = ["id", "institution_id", "name", "location", "area", "set_up_on", "retired_on", "form_version", "version"]
MAT_COLS = ["id", "institution_id", "title_text", "material_form", "copies", "provided_on", "form_version", "version"]
IDR_COLS = ["id", "institution_id", "card_number", "patient_name", "guardian_name", "patient_record_id", "id_number",
            "sex", "birth_date", "age_years", "phone", "address", "disease", "disease_class", "urgent", "case_type",
            "onset_date", "diagnosed_at", "reported_at", "reporting_doctor", "note", "status", "cancel_reason",
            "form_version", "version"]
SUP_COLS = ["id", "institution_id", "found_on", "kind", "place", "content", "reported_to", "reported_on", "reporter",
            "handling", "form_version", "version"]
VISIT_COLS = ["id", "institution_id", "visit_date", "kind", "place", "content", "problems", "inspector", "note",
              "form_version", "version"]
REPORT_RATE = 0.005  # report cards a year per resident of the area, at a centre (stations and clinics: less)


def _level(rng: random.Random) -> str:
    x = rng.random()
    for name, p in LEVELS:
        if x < p:
            return name
        x -= p
    return LEVELS[-1][0]


def _count(rng, minimum: int, level: str, fraction: float) -> int:
    lo, hi = SHARE[level]
    return max(0, round(minimum * rng.uniform(lo, hi) * fraction))


def _spread(rng, n: int, start: dt.date, end: dt.date) -> list[dt.date]:
    """n dates spread over [start, end]: one per equal slice, drawn inside it (so intervals stay regular)."""
    days = (end - start).days + 1
    if n <= 0 or days <= 0:
        return []
    out = []
    for i in range(n):
        lo = start + dt.timedelta(days=days * i // n)
        hi = start + dt.timedelta(days=max(days * (i + 1) // n - 1, days * i // n))
        out.append(lo + dt.timedelta(days=rng.randint(0, (hi - lo).days)))
    return out


class _Rows:
    """Builds activity rows of one institution and period."""

    def __init__(self, rng, inst_id, staff):
        self.rng, self.inst_id, self.staff = rng, inst_id, staff

    def __call__(self, day, act_kind, theme, board=None, people=None, mats=None):
        rng = self.rng
        return (self.inst_id, day.isoformat(), rng.choice(PLACES), act_kind, board, theme, rng.choice(self.staff),
                json.dumps(rng.choice(AUDIENCES)), people, json.dumps(mats or []),
                "活动按计划完成，居民反映良好。", "签到表、照片", "2017-3", 1)


def _numbered(model, rows: list[tuple]) -> list[tuple]:
    """Rows with explicit ids after the table's largest (the writer inserts ids; sequences are reset after)."""
    start = (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    return [(start + i, *row) for i, row in enumerate(rows)]


def _reset_sequences() -> None:
    reset_sequences([NoticeBoard, PrintedMaterial, EducationActivity, InfectiousReport, SupervisionReport,
                     SupervisionVisit])


def _aware(day: dt.date, minutes: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min) + dt.timedelta(minutes=minutes))


def _dt(value: dt.datetime):
    from jkda.synth.generator import TableWriter

    return TableWriter._plain(None, value)


def generate_community(ctx) -> None:
    insts = list(Institution.objects.filter(kind__in=Institution.CLINICAL_KINDS).order_by("code")
                 .values_list("id", "code", "kind", "name"))
    if not insts:
        return
    names: dict[int, list[str]] = defaultdict(list)
    for inst_id, name in Staff.objects.filter(institution_id__in=[i[0] for i in insts], role="doctor") \
            .order_by("id").values_list("institution_id", "full_name"):
        names[inst_id].append(name)
    as_of = ctx.as_of
    periods = [(dt.date(as_of.year - 1, 1, 1), dt.date(as_of.year - 1, 12, 31)), (dt.date(as_of.year, 1, 1), as_of)]
    levels = {}
    boards, materials = [], []
    for inst_id, code, kind, _name in insts:
        rng = ctx.rng(f"community:{code}:boards")
        levels[inst_id] = _level(ctx.rng(f"community:{code}:level"))
        n_boards = rules.minimums(kind)["boards"] or 1
        if levels[inst_id] == "poor" and n_boards > 1:
            n_boards -= 1
        for b in range(n_boards):
            set_up = dt.date(as_of.year - rng.randint(2, 6), rng.randint(1, 12), 1)
            place = rng.choice(["门诊大厅", "院内走廊", "大门外", "村委会旁", "广场"])
            boards.append((inst_id, f"宣传栏{b + 1}", place,
                           str(rng.choice([2, 2.5, 3, 4])), set_up.isoformat(), None, "2017-3", 1))
    boards = _numbered(NoticeBoard, boards)
    with transaction.atomic():
        ctx.writer(NoticeBoard, BOARD_COLS).write(boards)
    ctx.add("notice boards", len(boards))
    board_ids: dict[int, list[int]] = defaultdict(list)
    for row in boards:
        board_ids[row[1]].append(row[0])

    acts = []
    for inst_id, code, kind, inst_name in insts:
        level = levels[inst_id]
        mins = rules.minimums(kind)
        staff = names.get(inst_id) or [inst_name]
        for start, end in periods:
            if end < start:
                continue
            rng = ctx.rng(f"community:{code}:education:{start.year}")
            fraction = ((end - start).days + 1) / ((dt.date(start.year, 12, 31) - start).days + 1)
            centre = mins["talks"] is not None and mins["consultations"] is not None
            themes = rng.sample(THEMES, len(THEMES))
            n_mat = _count(rng, mins["material_kinds"] or 4, level, fraction)
            for i in range(n_mat):
                day = start + dt.timedelta(days=rng.randint(0, (end - start).days))
                materials.append((inst_id, f"{themes[i % len(themes)]}{['', '（二）', '（三）'][i // len(themes) % 3]}",
                                  rng.choice(MATERIAL_FORMS), rng.choice([200, 300, 500, 1000]), day.isoformat(),
                                  "2017-3", 1))
            row = _Rows(rng, inst_id, staff)
            n_av = _count(rng, mins["av_kinds"] or 2, level, fraction) if centre else rng.randint(0, 2)
            for i, day in enumerate(_spread(rng, n_av, start, end)):
                acts.append(row(day, C.AUDIO_VISUAL, themes[i % len(themes)] + "（视频）", people=rng.randint(10, 60)))
            n_cons = _count(rng, mins["consultations"] or 3, level, fraction) if centre else rng.randint(0, 2)
            for day in _spread(rng, n_cons, start, end):
                theme = rng.choice(THEMES)
                acts.append(row(day, C.CONSULTATION, theme, people=rng.randint(50, 300),
                                mats=[{"name": theme, "count": str(rng.randint(50, 200))}]))
            for day in _spread(rng, _count(rng, mins["talks"], level, fraction), start, end):
                acts.append(row(day, C.TALK, rng.choice(THEMES), people=rng.randint(20, 80)))
            for board in board_ids.get(inst_id, []):
                for day in _spread(rng, _count(rng, mins["board_updates"], level, fraction), start, end):
                    acts.append(row(day, C.BOARD_UPDATE, rng.choice(THEMES), board=board))
            for day in _spread(rng, n_mat // 2, start, end):
                theme = rng.choice(THEMES)
                acts.append(row(day, C.PRINTED, theme, mats=[{"name": theme, "count": str(rng.randint(100, 500))}]))
    with transaction.atomic():
        ctx.writer(PrintedMaterial, MAT_COLS).write(_numbered(PrintedMaterial, materials))
        ctx.writer(EducationActivity, ACT_COLS).write(_numbered(EducationActivity, acts))
    ctx.add("printed materials", len(materials))
    ctx.add("education activities", len(acts))
    _infectious(ctx, insts, names, levels, periods)
    _supervision(ctx, insts, names, levels, periods)


def _infectious(ctx, insts, names, levels, periods) -> None:
    stats = {i: (n, lo, hi) for i, n, lo, hi in Record.objects.filter(status="active").values_list("institution_id")
             .annotate(n=Count("id"), lo=Min("id"), hi=Max("id")).order_by()}
    population = dict(PopulationBase.objects.filter(year__lte=ctx.as_of.year).order_by("institution_id", "year")
                      .values_list("institution_id", "resident_population"))  # the latest year wins
    codes, weights = zip(*DISEASE_WEIGHTS, strict=True)
    plans = []  # (inst_id, code, year serial, rng, candidate record id or None)
    for inst_id, code, kind, _name in insts:
        n_rec, lo, hi = stats.get(inst_id, (0, 0, 0))
        rate = REPORT_RATE * (1 if kind in rules.CENTRE_KINDS else 0.3)
        for start, end in periods:
            rng = ctx.rng(f"community:{code}:idr:{start.year}")
            fraction = ((end - start).days + 1) / 365
            expected = max(n_rec, population.get(inst_id) or 0) * rate * fraction
            n = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
            for serial in range(1, n + 1):
                rid = rng.randint(lo, hi) if n_rec and rng.random() < 0.6 else None
                plans.append((inst_id, code, start, end, serial, rid))
    wanted = {p[5] for p in plans if p[5]}
    residents = {}
    wanted_list = sorted(wanted)
    for i in range(0, len(wanted_list), 5000):
        for row in Record.objects.filter(id__in=wanted_list[i:i + 5000]).values_list(
                "id", "institution_id", "resident__name", "resident__sex", "resident__birth_date",
                "resident__id_number", "resident__phone", "resident__current_address"):
            residents[row[0]] = row
    rows = []
    now = timezone.now()
    for inst_id, code, start, end, serial, rid in plans:
        rng = ctx.rng(f"community:{code}:idr:{start.year}:{serial}")
        disease = rng.choices(codes, weights)[0]
        urgent = rules.is_urgent(disease)
        diag_day = start + dt.timedelta(days=rng.randint(0, (end - start).days))
        diagnosed = _aware(diag_day, rng.randint(8 * 60, 17 * 60))
        lo_p, hi_p = ON_TIME[levels[inst_id]]
        limit = rules.deadline_hours(urgent) * 60
        if rng.random() < rng.uniform(lo_p, hi_p):
            delay = rng.randint(5, limit)
        else:
            delay = limit + rng.randint(1, 72 * 60)
        reported = min(diagnosed + dt.timedelta(minutes=delay), now)
        r = residents.get(rid) if rid else None
        if r is not None and r[1] == inst_id:
            _id, _i, name, sex, birth, idn, phone, address = r
            age = None
            birth_s = birth.isoformat() if birth else None
        else:
            rid = None
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", rng.choice(GIVEN)])
            sex, birth_s, idn, phone, address = rng.choice("12"), None, "", "", "本辖区"
            age = rng.randint(1, 85)
        onset = diag_day - dt.timedelta(days=rng.randint(0, 5))
        if birth_s and onset < dt.date.fromisoformat(birth_s):
            onset = dt.date.fromisoformat(birth_s)
        rows.append((inst_id, f"{code}-{start.year}-{serial:05d}", name, "", rid, idn or "", sex, birth_s, age,
                     phone or "", address or "", disease, rules.disease_class(disease), urgent,
                     rng.choice(["2", "3", "3", "3", "1"]), onset.isoformat(), _dt(diagnosed), _dt(reported),
                     rng.choice(names.get(inst_id) or ["报告医生"]), "", C.VALID, "", "2017-3", 1))
    with transaction.atomic():
        ctx.writer(InfectiousReport, IDR_COLS).write(_numbered(InfectiousReport, rows))
    ctx.add("infectious disease report cards", len(rows))


def _supervision(ctx, insts, names, levels, periods) -> None:
    reports, visits = [], []
    kinds = [k for k in C.SUP_KIND.codes if k != "9"]
    for inst_id, code, kind, inst_name in insts:
        staff = names.get(inst_id) or [inst_name]
        centre = kind in rules.CENTRE_KINDS
        for start, end in periods:
            rng = ctx.rng(f"community:{code}:supervision:{start.year}")
            fraction = ((end - start).days + 1) / 365
            n_visits = round((rng.randint(4, 8) if centre else rng.randint(2, 4)) * fraction
                             * (0.5 if levels[inst_id] == "poor" else 1))
            for day in _spread(rng, n_visits, start, end):
                k = rng.choice(kinds)
                visits.append((inst_id, day.isoformat(), k, rng.choice(["辖区小学", "农贸市场", "集中供水站",
                                                                       "个体诊所", "小餐馆", "企业"]),
                               f"{C.SUP_KIND.label(k, 'zh-hans')}巡查", rng.choice(["", "", "未发现问题",
                                                                                 "证照不全"]),
                               rng.choice(staff), "", "2017-3", 1))
            n_rep = round(rng.randint(1, 6) * fraction) if levels[inst_id] != "poor" else rng.randint(0, 1)
            for day in _spread(rng, n_rep, start, end):
                k = rng.choice(kinds)
                reported = min(day + dt.timedelta(days=rng.randint(0, 2)), end)
                reports.append((inst_id, day.isoformat(), k, rng.choice(["村卫生室附近", "集市", "学校", "居民区"]),
                                f"发现{C.SUP_KIND.label(k, 'zh-hans')}相关问题", "区卫生监督所", reported.isoformat(),
                                rng.choice(staff), "已报告，监督所已处理", "2017-3", 1))
    with transaction.atomic():
        ctx.writer(SupervisionVisit, VISIT_COLS).write(_numbered(SupervisionVisit, visits))
        ctx.writer(SupervisionReport, SUP_COLS).write(_numbered(SupervisionReport, reports))
        _reset_sequences()
    ctx.add("supervision visits", len(visits))
    ctx.add("supervision reports", len(reports))
