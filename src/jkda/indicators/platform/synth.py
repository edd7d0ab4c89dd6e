"""Synthetic platform registrations, usage events and uploads for the six months up to the reference date.

Each district draws a profile (`ctx.rng("platform:<county code>")`): how many of its institutions registered, which
business functions it took up at all (a function it did not take up stays "not implemented"; the last district
never took up remote consultation, so every city shows one), how active its institutions and doctors are, how
regularly they upload and how many of the required document subsets they cover. Registered doctors are the
institutions' doctors and heads. Everything is written with the synth table writer in a few statements.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from jkda.regions.models import Division, Institution, Staff
from jkda.synth.extensions import reset_sequences

from .models import (
    BusinessFunction,
    DocumentSubset,
    PlatformDoctor,
    PlatformInstitution,
    Source,
    UploadBatch,
    UploadBatchSubset,
    UploadKind,
    UsageEvent,
)
from .stats import clicks_per_doctor, district_of

MONTHS = 6
# chance a district took up a function at all, and the usual uses per active institution and month
TAKE_UP = {"tcm_differentiation": 0.85, "remote_consultation": 0.6, "knowledge_base": 0.9, "remote_education": 0.75}
USES = {"tcm_differentiation": (3, 40), "remote_consultation": (1, 6)}
RECORDS_PER_DAY = {UploadKind.HEALTH_REFORM: (1, 12), UploadKind.HEALTH_RECORD: (5, 120), UploadKind.EMR: (10, 300)}
EMR_KINDS = {"chc", "thc"}  # village clinics and stations write no EMR of their own


def _months(as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    out = []
    first = as_of.replace(day=1)
    for _i in range(MONTHS):
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        out.append((first, min(nxt - dt.timedelta(days=1), as_of)))
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return sorted(out)


def _at(rng, start: dt.date, end: dt.date) -> dt.datetime:
    day = start + dt.timedelta(days=rng.randint(0, (end - start).days))
    minutes = rng.randint(8 * 60, 17 * 60 + 30)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min) + dt.timedelta(minutes=minutes,
                                                                                     seconds=rng.randint(0, 59)))


def generate_platform(ctx) -> None:
    insts = list(Institution.objects.filter(kind__in=Institution.CLINICAL_KINDS).annotate(d=district_of())
                 .exclude(d=None).order_by("code").values_list("id", "code", "kind", "d"))
    if not insts:
        return
    functions = list(BusinessFunction.objects.filter(active=True).values_list("id", "code"))
    per_doctor = clicks_per_doctor()
    districts = dict(Division.objects.filter(id__in={i[3] for i in insts}).values_list("id", "code"))
    order = sorted(districts, key=districts.get)
    profiles = {}
    for d in order:
        rng = ctx.rng(f"platform:{districts[d]}")
        taken = {code for _id, code in functions if rng.random() < TAKE_UP.get(code, 0.7)}
        if d == order[-1]:
            taken.discard("remote_consultation")
        profiles[d] = {
            "register": rng.uniform(0.55, 1.0), "active": rng.uniform(0.35, 0.95), "zeal": rng.uniform(0.4, 1.6),
            "functions": taken, "regularity": rng.uniform(0.3, 1.0), "coverage": rng.uniform(0.5, 1.0),
            "uploads": {k for k in UploadKind.values if k == UploadKind.HEALTH_RECORD or rng.random() < 0.8},
        }
    months = _months(ctx.as_of)
    start = months[0][0]

    staff = defaultdict(list)
    for sid, inst_id, name, username in Staff.objects.filter(
            institution_id__in=[i[0] for i in insts], role__in=("doctor", "head"), is_active=True) \
            .order_by("id").values_list("id", "institution_id", "full_name", "username"):
        staff[inst_id].append((sid, name or username))

    registrations, doctors, registered = [], [], {}
    for inst_id, code, kind, d in insts:
        rng = ctx.rng(f"platform:register:{code}")
        if kind not in EMR_KINDS and rng.random() > profiles[d]["register"]:
            continue
        on = start - dt.timedelta(days=rng.randint(30, 900)) if rng.random() < 0.9 else \
            start + dt.timedelta(days=rng.randint(0, max(0, (ctx.as_of - start).days)))
        registrations.append((inst_id, on.isoformat(), None))
        registered[inst_id] = on
        for sid, name in staff.get(inst_id, []):
            doctors.append((inst_id, sid, name, on.isoformat(), None))

    events = []
    for inst_id, code, _kind, d in insts:
        if inst_id not in registered:
            continue
        profile = profiles[d]
        people = staff.get(inst_id) or [(None, "")]
        for fid, fcode in functions:
            if fcode not in profile["functions"]:
                continue
            rng = ctx.rng(f"platform:usage:{code}:{fcode}")
            for first, last in months:
                if last < registered[inst_id] or rng.random() > profile["active"]:
                    continue
                first = max(first, registered[inst_id])
                if fcode in per_doctor:
                    goal = float(per_doctor[fcode])
                    for sid, name in people:
                        for _n in range(max(0, round(rng.gauss(goal * profile["zeal"], goal / 2)))):
                            events.append((fid, inst_id, sid, name, _at(rng, first, last), 1, Source.SYSTEM))
                else:
                    lo, hi = USES.get(fcode, (1, 10))
                    for _n in range(rng.randint(lo, hi)):
                        sid, name = rng.choice(people)
                        events.append((fid, inst_id, sid, name, _at(rng, first, last), 1, Source.SYSTEM))

    catalogue = defaultdict(list)
    for sid, kind in DocumentSubset.objects.filter(required=True).order_by("kind", "order", "code") \
            .values_list("id", "kind"):
        catalogue[kind].append(sid)
    # Per district and kind: the document subsets its systems can produce and the working days its link to the
    # regional platform worked; an institution uploads on most of those days, a sample of the district's subsets.
    covered, link_days = {}, {}
    for d in order:
        profile = profiles[d]
        rng = ctx.rng(f"platform:uploads:{districts[d]}")
        for upload_kind in UploadKind.values:
            subsets = catalogue.get(upload_kind, [])
            covered[d, upload_kind] = rng.sample(subsets, max(1, round(len(subsets) * profile["coverage"]))) \
                if subsets else []
            days = []
            for first, last in months:
                day = first
                while day <= last:
                    if day.weekday() < 5 and rng.random() < profile["regularity"]:
                        days.append(day)
                    day += dt.timedelta(days=1)
            link_days[d, upload_kind] = days
    next_id = (UploadBatch.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    batches, links = [], []
    for inst_id, code, kind, d in insts:
        for upload_kind in UploadKind.values:
            if upload_kind not in profiles[d]["uploads"] or (upload_kind == UploadKind.EMR and kind not in EMR_KINDS):
                continue
            rng = ctx.rng(f"platform:upload:{code}:{upload_kind}")
            district_subsets = covered[d, upload_kind]
            lo, hi = RECORDS_PER_DAY[upload_kind]
            for day in link_days[d, upload_kind]:
                if rng.random() < 0.2:
                    continue
                batches.append((next_id, upload_kind, inst_id, day.isoformat(), rng.randint(lo, hi), Source.SYSTEM))
                if district_subsets:
                    for sid in rng.sample(district_subsets, rng.randint(1, len(district_subsets))):
                        links.append((next_id, sid))
                next_id += 1

    with transaction.atomic():
        ctx.writer(PlatformInstitution, ["institution_id", "registered_on", "left_on"]).write(registrations)
        ctx.writer(PlatformDoctor, ["institution_id", "staff_id", "name", "registered_on", "left_on"]).write(doctors)
    for i in range(0, len(events), 50_000):
        with transaction.atomic():
            ctx.writer(UsageEvent, ["function_id", "institution_id", "doctor_id", "doctor_name", "at", "count",
                                    "source"]).write(events[i:i + 50_000])
    with transaction.atomic():
        ctx.writer(UploadBatch, ["id", "kind", "institution_id", "day", "records", "source"]).write(batches)
        ctx.writer(UploadBatchSubset, ["batch_id", "subset_id"]).write(links)
    reset_sequences([UploadBatch])
    ctx.add("platform institutions", len(registrations))
    ctx.add("platform doctors", len(doctors))
    ctx.add("platform usage events", len(events))
    ctx.add("platform upload batches", len(batches))
