"""Synthetic tuberculosis patients: a handful per institution notified over the past year, with the first home
visit (most within 72 hours, some late, fewer on time in the weaker institutions), supervised treatment visits on
the schedule of rules.py and, for finished courses, the outcome with doses taken against doses due."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from jkda.programs.mental.synth import RowMaker, day_between, institution_quality, pick
from jkda.records.models import Record

from . import rules

PROGRAM = "tb"
SUPERVISORS = (("2", 60), ("1", 30), ("3", 8), ("4", 2))
EXIT_BY_STOP = {"1": "3", "2": "1", "3": "5", "4": "4"}


def select_tb_patients(ctx) -> list[tuple]:
    """2-6 adult patients per institution (reservoir sampling in one pass over the active adult records)."""
    rng = ctx.rng("tb-select")
    adult_born = dt.date(ctx.as_of.year - 15, ctx.as_of.month, min(ctx.as_of.day, 28))
    qs = (Record.objects.filter(status="active", resident__birth_date__lte=adult_born, established_on__lte=ctx.as_of)
          .order_by("id").values_list("id", "institution_id"))
    want: dict[int, int] = {}
    seen: dict[int, int] = {}
    chosen: dict[int, list[int]] = {}
    for rid, inst in qs.iterator(chunk_size=20_000):
        if inst not in want:
            want[inst] = rng.randint(2, 6)
            seen[inst] = 0
            chosen[inst] = []
        seen[inst] += 1
        bucket = chosen[inst]
        if len(bucket) < want[inst]:
            bucket.append(rid)
        else:
            j = rng.randrange(seen[inst])
            if j < want[inst]:
                bucket[j] = rid
    ids = sorted(i for b in chosen.values() for i in b)
    return list(Record.objects.filter(id__in=ids).order_by("id").values_list(
        "id", "institution_id", "responsible_doctor_id", "responsible_doctor_name", "established_on",
        "resident__past_diseases"))


def generate_tb(ctx) -> None:
    from jkda.programs.models import Enrollment

    from .models import TbFirstVisit, TbFollowup, TbOutcome

    as_of = ctx.as_of
    patients = select_tb_patients(ctx)
    rng = ctx.rng("tb")
    quality = institution_quality(ctx.rng("tb-institutions"), {p[1] for p in patients})
    mk_enrol, mk_first, mk_fu, mk_out = (RowMaker(Enrollment), RowMaker(TbFirstVisit), RowMaker(TbFollowup),
                                         RowMaker(TbOutcome))
    enrol_rows, first_rows, fu_rows, out_rows = [], [], [], []
    for rid, inst, doc, doc_name, established, past in patients:
        common = {"record_id": rid, "institution_id": inst, "doctor_id": doc, "doctor_name": doc_name or "",
                  "form_version": "2017-3", "version": 1}
        q = quality[inst]
        notified = day_between(rng, max(established, as_of - dt.timedelta(days=330)), as_of - dt.timedelta(days=1))
        source = "1" if '"code": "9"' in str(past) else "2"
        enrol = {"record_id": rid, "program": PROGRAM, "enrolled_on": notified, "source": source,
                 "institution_id": inst, "version": 1, "note": "疾控中心推送"}
        if rng.random() > 0.97:
            enrol_rows.append(mk_enrol(**enrol))
            continue  # notified, not yet visited: on the work list
        n_time = dt.time(rng.randint(8, 17), rng.choice((0, 15, 30, 45)))
        hours = rng.randint(4, 72) if rng.random() < q else rng.randint(73, 200)
        visited_at = dt.datetime.combine(notified, n_time) + dt.timedelta(hours=hours)
        visit_on = min(visited_at.date(), as_of)
        v_time = visited_at.time() if visit_on == visited_at.date() else None
        ptype = "1" if rng.random() < 0.85 else "2"
        supervisor = pick(rng, SUPERVISORS)
        usage = "1" if rng.random() < 0.9 else "2"
        start = notified
        late = rules.first_visit_late(notified, visit_on, n_time, v_time)
        regimen = "2HRZE/4HR" if ptype == "1" else "2HRZES/6HRE"
        first_next = rules.next_visit(visit_on, start, ptype, supervisor)
        smoke = rng.choice((0, 0, 0, 10, 20))
        first_rows.append(mk_first(
            **common, service_date=visit_on, method="2", visit_time=v_time.isoformat() if v_time else None,
            notified_on=notified, notified_time=n_time.isoformat(), late=late, patient_type=ptype,
            sputum=pick(rng, (("1", 45), ("2", 50), ("3", 5))), resistance=pick(rng, (("2", 80), ("3", 18), ("1", 2))),
            symptoms=sorted(rng.sample(["1", "2", "3", "4", "5"], rng.randint(1, 2)), key=int),
            regimen=regimen, usage=usage, drugs="异烟肼、利福平、吡嗪酰胺、乙胺丁醇", formulation=["1"],
            supervisor=supervisor, treatment_start=start, own_room=pick(rng, (("1", 7), ("2", 3))),
            ventilation=pick(rng, (("1", 6), ("2", 3), ("3", 1))), smoking_now=smoke, smoking_target=0,
            drinking_now=None, drinking_target=None, medicine_place="区结核病定点医院",
            medicine_date=visit_on + dt.timedelta(days=rng.randint(1, 7)),
            sputum_dates=[{"date": rules.add_months(start, m).isoformat()} for m in (2, 5, 6)],
            education=[c for c in "123456789"], next_visit=first_next,
        ))
        poor = rng.random() < (0.12 if q > 0.8 else 0.3)
        end = rules.course_end(start, ptype)
        stop_reason = "1"
        if rng.random() < 0.05:
            stop_reason = pick(rng, (("2", 1), ("3", 2), ("4", 1)))
            end = day_between(rng, visit_on + dt.timedelta(days=20), end)
        last, nxt, missed_total, visits = visit_on, first_next, 0, 1
        while True:
            on = nxt + dt.timedelta(days=rng.randint(-2, 1) if rng.random() < q else rng.randint(3, 20))
            if on <= last or on > min(as_of, end):
                break
            missed = rng.randint(3, 9) if poor else (0 if rng.random() < 0.7 else rng.randint(1, 2))
            missed_total += missed
            sup = supervisor
            nxt = rules.next_visit(on, start, ptype, sup)
            adverse = rng.random() < 0.06
            fu_rows.append(mk_fu(
                **common, service_date=on, treatment_month=rules.treatment_month(on, start),
                phase=rules.phase(on, start, ptype), method=pick(rng, (("2", 6), ("1", 3), ("3", 1))),
                supervisor=sup, symptoms=["0"] if rng.random() < 0.7 else ["1"], smoking_now=smoke // 2,
                smoking_target=0, regimen=regimen, usage=usage, drugs="异烟肼、利福平", formulation=["1"],
                missed_doses=missed, adverse="1" if adverse else "2", adverse_detail="胃肠道反应" if adverse else "",
                complications="2", advice="按时服药，定期复查痰涂片", next_visit=nxt,
            ))
            visits += 1
            last = on
        if end <= as_of and rng.random() < (0.95 if q > 0.8 else 0.7):
            due = max(1, rules.doses_due(start, end, usage))
            taken = max(0, due - missed_total)
            reported = min(as_of, end + dt.timedelta(days=rng.randint(0, 10)))
            out_rows.append(mk_out(
                **common, service_date=reported, stop_date=end, stop_reason=stop_reason,
                visits_due=visits + rng.randint(0, 2), visits_done=visits, doses_due=due, doses_taken=taken,
                regular=rules.is_regular(taken, due),
            ))
            enrol.update(exited_on=end, exit_reason=EXIT_BY_STOP[stop_reason], exit_note="停止治疗")
        enrol_rows.append(mk_enrol(**enrol))
    with transaction.atomic():
        ctx.writer(Enrollment, mk_enrol.columns).write(enrol_rows)
        ctx.writer(TbFirstVisit, mk_first.columns).write(first_rows)
        ctx.writer(TbFollowup, mk_fu.columns).write(fu_rows)
        ctx.writer(TbOutcome, mk_out.columns).write(out_rows)
        for mk in (mk_enrol, mk_first, mk_fu, mk_out):
            mk.reset_sequence()
    ctx.add("tb_enrolments", len(enrol_rows))
    ctx.add("tb_first_visits", len(first_rows))
    ctx.add("tb_followups", len(fu_rows))
    ctx.add("tb_outcomes", len(out_rows))
