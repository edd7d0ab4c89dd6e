"""Maternal health management: registration of a pregnancy, the four forms and their rules, the due list, the web
pages and the API, in Chinese; and the synthetic pregnancies."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from jkda.programs import actions as program_actions
from jkda.programs.maternal import rules as R
from jkda.programs.maternal.models import Postpartum42d, PostpartumVisit, PrenatalFirst, PrenatalFollowup
from jkda.programs.models import Enrollment
from jkda.programs.registry import PROGRAMS
from jkda.programs.worklist import due_items
from jkda.records.models import Record, Resident
from jkda.records.rules import today
from jkda.services.actions import record_service, update_service
from jkda.services.base import age_in_years
from jkda.synth.generator import generate

from .conftest import make_id

TODAY = today()
DAY = dt.timedelta(days=1)


def years_ago(n: int) -> dt.date:
    return dt.date(TODAY.year - n, 3, 10)


@pytest.fixture
def woman(establish):
    return establish(name="李秀英", id_number=make_id(birth=years_ago(28), male=False))


@pytest.fixture
def pregnant(city, woman):
    """LMP 130 days ago, enrolled 60 days after it (the day of the first check)."""
    lmp = TODAY - 130 * DAY
    program_actions.enrol(city.doctor, woman, "maternal", on=lmp + 60 * DAY)
    woman.lmp = lmp
    return woman


def first(city, record, **data):
    values = {"service_date": record.lmp + 60 * DAY, "lmp": record.lmp, "gravidity": 1}
    values.update(data)
    return record_service(PrenatalFirst, record, city.doctor, values)


def messages_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def refused(model, record, data) -> dict[str, str]:
    """The English messages of a refused form, by field ("__all__" for the form's own), and nothing saved."""
    before = model.objects.count()
    with translation.override("en"):
        with pytest.raises(ValidationError) as exc:
            record_service(model, record, None, dict(data))
        out = {k: " ".join(str(m) for m in v) for k, v in exc.value.message_dict.items()} \
            if hasattr(exc.value, "error_dict") else {"__all__": " ".join(exc.value.messages)}
    assert model.objects.count() == before
    return out


# --- registration ----------------------------------------------------------------------------------------------

def test_program_registered():
    p = PROGRAMS["maternal"]
    assert not p.by_age and p.due is not None and p.eligible is not None
    with translation.override("zh-hans"):
        assert str(p.label) == "孕产妇健康管理"


@pytest.mark.parametrize(("birth", "male", "refused"), [
    (28, True, "women only"),
    (14, False, "aged 15–55"),
    (57, False, "aged 15–55"),
])
def test_enrolment_refuses_men_and_ages_outside_15_55(city, establish, birth, male, refused):
    record = establish(id_number=make_id(birth=years_ago(birth), male=male))
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        program_actions.enrol(city.doctor, record, "maternal", on=TODAY)
    assert refused in messages_of(exc.value)
    assert not Enrollment.objects.filter(record=record).exists()


def test_enrolment_of_a_woman_and_one_pregnancy_at_a_time(city, woman):
    e = program_actions.enrol(city.doctor, woman, "maternal", on=TODAY)
    assert e.program == "maternal" and e.is_active
    with pytest.raises(ValidationError):
        program_actions.enrol(city.doctor, woman, "maternal", on=TODAY)


def test_forms_need_an_enrolment(city, woman):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        record_service(PrenatalFirst, woman, city.doctor, {"service_date": TODAY, "gestational_weeks": 10})
    assert "not enrolled" in messages_of(exc.value)


# --- the first check -------------------------------------------------------------------------------------------

def test_first_check_computes_weeks_edd_age_and_bmi(city, pregnant):
    obj = first(city, pregnant, height="160.0", weight="56.0", gestational_weeks=30)
    assert (obj.gestational_weeks, obj.gestational_days) == (8, 4)   # from the LMP, not the entered 30
    assert obj.edd == pregnant.lmp + 280 * DAY
    assert obj.age == age_in_years(years_ago(28), obj.service_date)
    assert str(obj.bmi) == "21.9"
    assert obj.enrollment == Enrollment.objects.get(record=pregnant, program="maternal")
    assert obj.is_early
    assert "8+4" in obj.summary()


@pytest.mark.parametrize(("day", "early"), [(90, True), (91, False)])
def test_first_check_early_boundary_12_6_vs_13_0(city, woman, day, early):
    lmp = TODAY - 120 * DAY
    program_actions.enrol(city.doctor, woman, "maternal", on=lmp + day * DAY)
    obj = record_service(PrenatalFirst, woman, city.doctor, {"service_date": lmp + day * DAY, "lmp": lmp})
    assert obj.is_early is early
    assert (obj.gestational_weeks, obj.gestational_days) == ((12, 6) if early else (13, 0))


def test_first_check_without_lmp_uses_entered_weeks(city, pregnant):
    on = TODAY - 5 * DAY
    obj = record_service(PrenatalFirst, pregnant, city.doctor, {"service_date": on, "gestational_weeks": 11,
                                                                 "gestational_days": 3})
    assert obj.lmp is None and obj.edd == on - 80 * DAY + 280 * DAY
    assert obj.is_early


@pytest.mark.parametrize(("values", "field", "text"), [
    ({"lmp_days_before": 20}, "lmp", "between 4 and 44 weeks"),                 # 2+6 weeks
    ({"lmp_days_before": 45 * 7}, "lmp", "between 4 and 44 weeks"),
    ({"lmp": None, "gestational_weeks": 45}, "gestational_weeks", "between 4 and 44 weeks"),
    ({"lmp": None, "gestational_weeks": 3}, "gestational_weeks", "between 4 and 44 weeks"),
    ({"lmp": None}, "gestational_weeks", "last menstrual period or the gestational weeks"),
    ({"lmp_days_before": -1}, "lmp", "cannot be after"),
    ({"gravidity": 2, "parity_vaginal": 1, "parity_caesarean": 1}, "parity_vaginal", "gravidity minus one"),
    ({"sbp": 80, "dbp": 90}, "dbp", "lower than the systolic"),
    ({"heart": "2"}, "heart_detail", "Describe the abnormality"),
    ({"referral": "2"}, "referral_reason", "reason for the referral"),
    ({"past_history": ["1", "5"]}, "past_history", "cannot be ticked together"),
    ({"hb": "500"}, "hb", "between"),
])
def test_first_check_refusals(city, pregnant, values, field, text):
    data = {"service_date": TODAY - DAY, "lmp": pregnant.lmp}
    if "lmp_days_before" in values:
        data["lmp"] = TODAY - DAY - values.pop("lmp_days_before") * DAY
    data.update(values)
    errors = refused(PrenatalFirst, pregnant, data)
    assert text in errors[field]


def test_one_first_check_per_pregnancy(city, pregnant):
    first(city, pregnant)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        first(city, pregnant, service_date=TODAY - DAY)
    assert "already has its first prenatal check" in messages_of(exc.value)


def test_form_refused_for_a_man_enrolled_by_mistake(city, establish):
    man = establish(id_number=make_id(birth=years_ago(30), male=True))
    Enrollment.objects.create(record=man, program="maternal", enrolled_on=TODAY, institution=city.centre)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        record_service(PrenatalFirst, man, city.doctor, {"service_date": TODAY, "gestational_weeks": 10})
    assert "women only" in messages_of(exc.value)


# --- follow-ups ------------------------------------------------------------------------------------------------

def test_followup_before_the_first_check_refused(city, pregnant):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        record_service(PrenatalFollowup, pregnant, city.doctor, {"service_date": TODAY, "gestational_weeks": 14})
    assert "first prenatal check of this pregnancy before a follow-up" in messages_of(exc.value)
    first(city, pregnant)  # dated LMP + 60
    errors = refused(PrenatalFollowup, pregnant, {"service_date": pregnant.lmp + 50 * DAY})
    assert "before the first prenatal check" in errors["service_date"]


def test_followup_weeks_from_the_lmp_and_visit_number(city, pregnant):
    first(city, pregnant)
    obj = record_service(PrenatalFollowup, pregnant, city.doctor, {
        "service_date": pregnant.lmp + 115 * DAY, "sbp": 110, "dbp": 70, "fetal_heart_rate": 145})
    assert (obj.gestational_weeks, obj.gestational_days, obj.visit_number) == (16, 3, 2)
    assert "16+3" in obj.summary()
    errors = refused(PrenatalFollowup, pregnant, {"service_date": TODAY, "gestational_weeks": 50})
    assert "between 4 and 44 weeks" in errors["gestational_weeks"]
    errors = refused(PrenatalFollowup, pregnant, {"service_date": TODAY, "classification": "2"})
    assert "Describe the abnormality" in errors["classification_detail"]


def test_update_keeps_the_rules(city, pregnant):
    first(city, pregnant)
    obj = record_service(PrenatalFollowup, pregnant, city.doctor, {"service_date": TODAY})
    with pytest.raises(ValidationError):
        update_service(obj, city.doctor, {"service_date": pregnant.lmp}, expected_version=1)
    obj = update_service(obj, city.doctor, {"fetal_heart_rate": 150}, expected_version=1)
    assert obj.version == 2 and obj.enrollment_id is not None


# --- postpartum -------------------------------------------------------------------------------------------------

def test_postpartum_visit_before_delivery_refused(city, pregnant):
    first(city, pregnant)
    errors = refused(PostpartumVisit, pregnant, {"service_date": TODAY - 3 * DAY, "delivery_date": TODAY - DAY})
    assert errors["service_date"] == f"Postpartum home visit cannot be before the delivery ({TODAY - DAY})."
    errors = refused(PostpartumVisit, pregnant, {"service_date": TODAY - 3 * DAY, "delivery_date": TODAY - 6 * DAY,
                                                 "discharge_date": TODAY - 2 * DAY})
    assert "before the discharge" in errors["service_date"]
    errors = refused(PostpartumVisit, pregnant, {"service_date": TODAY, "delivery_date": pregnant.lmp + 10 * DAY})
    assert "before the first prenatal check" in errors["delivery_date"]
    errors = refused(Postpartum42d, pregnant, {"service_date": TODAY - 3 * DAY, "delivery_date": TODAY - DAY})
    assert "cannot be before the delivery" in errors["service_date"]


def test_postpartum_and_42_day_check_close_the_pregnancy(city, woman):
    lmp = TODAY - 330 * DAY
    program_actions.enrol(city.doctor, woman, "maternal", on=lmp + 70 * DAY)
    record_service(PrenatalFirst, woman, city.doctor, {"service_date": lmp + 70 * DAY, "lmp": lmp})
    delivery = lmp + 275 * DAY
    visit = record_service(PostpartumVisit, woman, city.doctor, {
        "service_date": delivery + 6 * DAY, "delivery_date": delivery, "discharge_date": delivery + 3 * DAY})
    assert visit.on_time and "3" in visit.summary()
    e = Enrollment.objects.get(record=woman, program="maternal")
    assert e.is_active
    check = record_service(Postpartum42d, woman, city.doctor, {"service_date": delivery + 45 * DAY,
                                                               "delivery_date": delivery})
    assert check.in_window
    e.refresh_from_db()
    assert e.exited_on == delivery + 45 * DAY and e.exit_reason == "7" and e.exit_note
    assert PROGRAMS["maternal"].due(Record.objects.filter(pk=woman.pk), TODAY) == []
    # a new pregnancy is a new enrolment; its forms do not see the old one's
    program_actions.enrol(city.doctor, woman, "maternal", on=TODAY)
    with pytest.raises(ValidationError):
        record_service(PrenatalFollowup, woman, city.doctor, {"service_date": TODAY})


def test_42_day_check_referred_keeps_the_enrolment(city, woman):
    lmp = TODAY - 330 * DAY
    program_actions.enrol(city.doctor, woman, "maternal", on=lmp + 70 * DAY)
    delivery = lmp + 275 * DAY
    errors = refused(Postpartum42d, woman, {"service_date": delivery + 45 * DAY, "delivery_date": delivery,
                                            "disposal": "2"})
    assert "reason for the referral" in errors["referral_reason"]
    record_service(Postpartum42d, woman, city.doctor, {"service_date": delivery + 45 * DAY, "delivery_date": delivery,
                                                       "disposal": "2", "referral_reason": "子宫复旧不良",
                                                       "classification": "2", "classification_detail": "子宫"})
    assert Enrollment.objects.get(record=woman, program="maternal").is_active


# --- due list ---------------------------------------------------------------------------------------------------

def test_due_list(city, establish, pregnant):
    other = establish(name="王芳", id_number=make_id(birth=years_ago(25), male=False))
    program_actions.enrol(city.doctor, other, "maternal", on=TODAY - 2 * DAY)
    records = Record.objects.all()
    items = due_items(records, TODAY, program="maternal")
    by = {(i.record_id, i.kind) for i in items}
    assert (other.pk, "prenatal_first") in by and (pregnant.pk, "prenatal_first") in by
    first(city, pregnant)
    items = [i for i in due_items(records, TODAY, program="maternal") if i.record_id == pregnant.pk]
    assert [(i.kind, i.category) for i in items] == [
        ("prenatal_followup", "prenatal")] * 4 + [("postpartum_visit", "postpartum"), ("postpartum_42d", "postpartum")]
    assert items[0].due_on == pregnant.lmp + 112 * DAY and items[0].window_end == pregnant.lmp + 146 * DAY
    assert items[-1].due_on == pregnant.lmp + (280 + 42) * DAY
    record_service(PrenatalFollowup, pregnant, city.doctor, {"service_date": TODAY})  # 18+4: counts as visit 2
    items = [i for i in due_items(records, TODAY, category="prenatal") if i.record_id == pregnant.pk]
    assert len(items) == 3


def test_due_queries_do_not_grow_with_records(city, establish, django_assert_max_num_queries):
    for i in range(6):
        r = establish(id_number=make_id(birth=years_ago(22 + i), male=False))
        program_actions.enrol(city.doctor, r, "maternal", on=TODAY - 70 * DAY)
        record_service(PrenatalFirst, r, city.doctor, {"service_date": TODAY - 70 * DAY, "gestational_weeks": 9})
    with django_assert_max_num_queries(6):
        items = PROGRAMS["maternal"].due(Record.objects.all(), TODAY)
    assert len(items) == 6 * 6


def test_worklist_page_shows_the_due_items_in_chinese(client, city, pregnant):
    first(city, pregnant)
    client.force_login(city.doctor)
    body = client.get("/worklist/", {"program": "maternal", "scope": "institution"}).content.decode()
    assert "李秀英" in body and "第2次产前随访" in body


# --- web and API --------------------------------------------------------------------------------------------------

def test_web_form_in_chinese_and_create(client, city, pregnant):
    client.force_login(city.doctor)
    url = f"/records/{pregnant.number}/services/prenatal_first/new/"
    body = client.get(url).content.decode()
    for label in ("第1次产前检查服务记录表", "末次月经", "预产期", "孕次", "乙型肝炎表面抗原", "梅毒血清学试验",
                  "总体评估"):
        assert label in body, label
    post = {"service_date": (pregnant.lmp + 60 * DAY).isoformat(), "lmp": pregnant.lmp.isoformat(),
            "gravidity": "2", "parity_vaginal": "1", "parity_caesarean": "0", "spontaneous_abortions": "0",
            "induced_abortions": "0", "fetal_deaths": "0", "stillbirths": "0", "neonatal_deaths": "0",
            "birth_defects": "0", "referral": "1", "past_history": ["1"], "hbsag": "1", "heart": "1"}
    resp = client.post(url, post)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    obj = PrenatalFirst.objects.get()
    assert obj.edd == pregnant.lmp + 280 * DAY and obj.gestational_weeks == 8
    detail = client.get(resp["Location"]).content.decode()
    assert "预产期" in detail and obj.edd.isoformat() in detail
    page = client.get(f"/records/{pregnant.number}/services/prenatal_followup/new/").content.decode()
    for label in ("第2~5次产前随访服务记录表", "宫底高度", "胎心率", "第5次", "主诉"):
        assert label in page, label
    assert re.search(r'<option value="2" selected>第2次</option>', page)  # 18+4 weeks: the 16–20 visit
    # a follow-up dated before the first check: the form shows the Chinese message
    resp = client.post(f"/records/{pregnant.number}/services/prenatal_followup/new/", {
        "service_date": (pregnant.lmp + 40 * DAY).isoformat(), "classification": "1", "referral": "1"})
    assert resp.status_code == 200
    assert "随访日期早于第1次产前检查" in resp.content.decode()


def test_web_postpartum_visit_refused_before_delivery_in_chinese(client, city, pregnant):
    client.force_login(city.doctor)
    first(city, pregnant)
    resp = client.post(f"/records/{pregnant.number}/services/postpartum_visit/new/", {
        "service_date": (TODAY - 3 * DAY).isoformat(), "delivery_date": (TODAY - DAY).isoformat(),
        "classification": "1", "referral": "1"})
    assert resp.status_code == 200
    assert "不能早于分娩日期" in resp.content.decode()
    assert not PostpartumVisit.objects.exists()


def test_web_enrolment_of_a_man_refused_in_chinese(client, city, establish):
    man = establish(id_number=make_id(birth=years_ago(30), male=True))
    client.force_login(city.doctor)
    resp = client.post(f"/records/{man.number}/programs/enrol/", {"program": "maternal", "source": "2",
                                                                  "enrolled_on": TODAY.isoformat()}, follow=True)
    assert "仅适用于女性" in resp.content.decode()


def test_api_create_read_and_refuse(client, city, pregnant):
    client.force_login(city.doctor)
    url = f"/api/records/{pregnant.number}/services/prenatal_first"
    resp = client.post(url, {"service_date": (pregnant.lmp + 84 * DAY).isoformat(), "lmp": pregnant.lmp.isoformat(),
                             "gravidity": 1, "hb": "118.0", "abo": "1", "rh": "2"}, content_type="application/json")
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["edd"] == (pregnant.lmp + 280 * DAY).isoformat()
    assert (data["gestational_weeks"], data["gestational_days"]) == (12, 0)
    assert "enrollment" not in data
    read = client.get(f"/api/services/prenatal_first/{data['id']}").json()
    assert read["lmp"] == pregnant.lmp.isoformat()
    resp = client.post(f"/api/records/{pregnant.number}/services/postpartum_visit",
                       {"service_date": (TODAY - 3 * DAY).isoformat(), "delivery_date": (TODAY - DAY).isoformat()},
                       content_type="application/json")
    assert resp.status_code == 422
    assert "分娩" in json.dumps(resp.json(), ensure_ascii=False)
    resp = client.post(f"/api/records/{pregnant.number}/services/prenatal_followup",
                       {"service_date": TODAY.isoformat(), "gestational_weeks": 2}, content_type="application/json")
    assert resp.status_code == 422
    timeline = client.get(f"/api/records/{pregnant.number}/services").json()
    assert [t["kind"] for t in timeline] == ["prenatal_first"]
    assert timeline[0]["title"] == "第1次产前检查服务记录表"


# --- synthetic data -------------------------------------------------------------------------------------------------

AS_OF = dt.date(2025, 6, 30)


class _Rollback(Exception):
    pass


def _maternal_snapshot() -> dict:
    def rows(model, *cols):
        return sorted(model.objects.values_list("record__number", *cols))

    return {
        "enrol": sorted(Enrollment.objects.filter(program="maternal").values_list(
            "record__number", "enrolled_on", "exited_on", "exit_note")),
        "first": rows(PrenatalFirst, "service_date", "lmp", "gestational_weeks", "hb"),
        "follow": rows(PrenatalFollowup, "service_date", "visit_number", "gestational_weeks"),
        "pp": rows(PostpartumVisit, "service_date", "delivery_date"),
        "c42": rows(Postpartum42d, "service_date", "delivery_date"),
    }


def _generate(seed: int) -> tuple[dict, dict]:
    out = {}
    try:
        with transaction.atomic():
            summary = generate("S", seed, residents=4000, as_of=AS_OF)
            out = _maternal_snapshot()
            out["_check"] = _consistency()
            raise _Rollback
    except _Rollback:
        pass
    assert not Resident.objects.exists()
    return out, summary.services


def _consistency() -> dict:
    """Rules the synthetic data must keep, checked while it exists."""
    women = Record.objects.filter(pk__in=Enrollment.objects.filter(program="maternal").values("record_id"))
    assert not women.exclude(resident__sex="2").exists()
    for e in Enrollment.objects.filter(program="maternal").select_related("record__resident"):
        age = e.record.resident_age(e.enrolled_on)
        assert 19 <= age <= 41
    early = {}
    for f in PrenatalFirst.objects.select_related("enrollment"):
        assert f.enrollment.record_id == f.record_id and f.enrollment.enrolled_on == f.service_date
        assert (f.gestational_weeks, f.gestational_days) == R.gestational_age(f.lmp, f.service_date)
        assert f.edd == R.edd(f.lmp)
        assert AS_OF - dt.timedelta(days=365) <= f.service_date <= AS_OF
        early.setdefault(f.institution.code, []).append(f.is_early)
        f.full_clean()  # the stored values pass the form's own rules
    firsts = {f.enrollment_id: f for f in PrenatalFirst.objects.all()}
    for fu in PrenatalFollowup.objects.all():
        f = firsts[fu.enrollment_id]
        assert f.service_date < fu.service_date <= AS_OF
        assert (fu.gestational_weeks, fu.gestational_days) == R.gestational_age(f.lmp, fu.service_date)
        assert R.window_for_weeks(fu.gestational_weeks).visit == fu.visit_number
    for model in (PostpartumVisit, Postpartum42d):
        for v in model.objects.all():
            assert v.delivery_date <= v.discharge_date <= v.service_date <= AS_OF
            assert firsts[v.enrollment_id].service_date < v.delivery_date
            v.full_clean()
    for c in Postpartum42d.objects.select_related("enrollment"):
        assert c.enrollment.exited_on == c.service_date
    return {"early": early}


def test_synth_pregnancies_deterministic_and_consistent(db):
    a, counts = _generate(21)
    b, _ = _generate(21)
    c, _ = _generate(22)
    assert a == b
    assert a["first"] != c["first"]
    assert counts["prenatal_first"] == len(a["first"]) == counts["maternal_enrolments"]
    # roughly 0.5–0.9% of the records a year, most registered early, later visits and deliveries
    n = len(a["enrol"])
    assert 10 <= n <= 80, n
    assert a["follow"] and a["pp"] and a["c42"]
    early = [x for xs in a["_check"]["early"].values() for x in xs]
    assert 0.6 <= sum(early) / len(early) < 1
    assert any(note for *_x, note in a["enrol"])
    assert re.fullmatch(r"\d{17}", a["first"][0][0])


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_synth_pregnancy_plans_keep_the_rules(share):
    """Thousands of drawn pregnancies (all early or all late registrations) keep the schedule's rules."""
    import random

    from jkda.programs.maternal.synth import _pregnancy

    rng = random.Random(5)
    prof = {"early": share, "visit": 0.9, "postpartum": 0.9, "on_time": 0.8, "check42": 0.9}
    seen = {"lost": 0, "pp": 0, "c42": 0}
    for _ in range(3000):
        plan = _pregnancy(rng, prof, AS_OF, dt.date(1995, 1, 1))
        if plan is None:
            continue
        lmp = dt.date.fromisoformat(plan["first_row"][6])
        assert R.is_early(*R.gestational_age(lmp, plan["first_on"])) is (share == 1.0)
        for on, row in plan["followups"]:
            assert plan["first_on"] < on <= AS_OF
            assert R.window_for_weeks(R.gestational_age(lmp, on)[0]).visit == row[0]
        exit_on = plan["exit"][0] if plan["exit"] else None
        if plan["exit"] and plan["exit"][1] == "9" and not plan["c42"]:
            seen["lost"] += 1
            assert plan["pp"] is None and all(on < exit_on for on, _row in plan["followups"])
        if plan["pp"]:
            seen["pp"] += 1
            assert dt.date.fromisoformat(plan["pp"][1][1]) <= plan["pp"][0] <= AS_OF
        if plan["c42"]:
            seen["c42"] += 1
            assert exit_on == plan["c42"][0] <= AS_OF
    assert all(seen.values()), seen
