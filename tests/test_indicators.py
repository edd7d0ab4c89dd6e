"""The indicator engine on a small hand-built district, every expected figure worked out here by hand.

The period is the calendar year 2025 (as of 31 December 2025). Two institutions report: the centre (C001, with its
station S001 reporting apart) and the township hospital (T101)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import models
from hypothesis import given
from hypothesis import strategies as st

from jkda.indicators import engine, periods
from jkda.programs import actions as P
from jkda.programs.child import models as child
from jkda.programs.chronic.models import DiabetesFollowup, HypertensionFollowup
from jkda.programs.elderly.models import SelfCareAssessment, TcmConstitution
from jkda.programs.maternal.models import PostpartumVisit, PrenatalFirst
from jkda.programs.mental.models import SmiFollowup
from jkda.programs.models import Enrollment
from jkda.programs.tb.models import TbFirstVisit, TbOutcome
from jkda.records import actions as RA
from jkda.records.models import Record, RecordEvent, Resident
from jkda.regions.models import PopulationBase
from jkda.services.actions import record_service
from jkda.services.exam.models import Exam

from .conftest import make_id, resident_data

Y2025 = periods.parse("2025")
COMPLETE = {"past_diseases": [{"code": "1"}], "family_history": {"father": ["1"]}, "exposure": ["1"],
            "disability": ["1"], "kitchen_exhaust": "1", "fuel": "1", "drinking_water": "1", "toilet": "1",
            "livestock_pen": "1", "education": "5", "occupation": "1", "marital_status": "2"}


def at(year, month, day):
    return dt.date(year, month, day)


@pytest.fixture
def district(city):
    """Base data for 2025 and a way to establish records on a given day."""
    PopulationBase.objects.create(institution=city.centre, year=2025, resident_population=10, aged_65_plus=4,
                                  aged_0_6=4, aged_0_36_months=2, live_births=2, est_hypertension=8,
                                  est_diabetes=4, registered_smi=2)
    PopulationBase.objects.create(institution=city.hospital, year=2025, resident_population=8, aged_65_plus=2,
                                  aged_0_6=1, aged_0_36_months=1, live_births=1, est_hypertension=2,
                                  est_diabetes=1, registered_smi=1)

    def make(on=None, where="centre", birth=dt.date(1975, 4, 1), male=True, **fields):
        inst = getattr(city, where)
        village = {"centre": city.v1, "hospital": city.v3, "station": city.v1}[where]
        actor = {"centre": city.doctor, "hospital": city.town_doctor, "station": city.station_doctor}[where]
        data = resident_data(id_number=make_id(birth=birth, male=male), **fields)
        return RA.establish_record(actor, Resident(**data), institution=inst, village=village,
                                   established_on=on or at(2025, 1, 2), responsible_doctor=actor)

    city.make = make
    return city


def quick(model, record, on, **fields):
    """A stored form without the web form's checks (the engine only counts); required numbers get a 1."""
    values = {"record": record, "service_date": on, "institution_id": record.institution_id}
    for f in model._meta.concrete_fields:
        if f.name in fields or f.name in values or f.primary_key or f.null or f.has_default():
            continue
        if isinstance(f, models.DateField):
            values[f.name] = on
        elif isinstance(f, (models.IntegerField, models.DecimalField)):
            values[f.name] = 1
    values.update(fields)
    obj = model(**values)
    models.Model.save(obj)
    return obj


def figures(code, level="institution", period=Y2025):
    table = engine.compute_one(code, period, level)
    return {r.code: (r.numerator, r.denominator) for r in table.rows}, (table.total.numerator,
                                                                           table.total.denominator)


# --- periods ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code,start,end", [
    ("2025", at(2025, 1, 1), at(2025, 12, 31)), ("2025H1", at(2025, 1, 1), at(2025, 6, 30)),
    ("2025h2", at(2025, 7, 1), at(2025, 12, 31)), ("2025Q1", at(2025, 1, 1), at(2025, 3, 31)),
    ("2024-02", at(2024, 2, 1), at(2024, 2, 29)), ("2025-05-ytd", at(2025, 1, 1), at(2025, 5, 31)),
    ("2025-03-01..2025-04-15", at(2025, 3, 1), at(2025, 4, 15)),
])
def test_periods(code, start, end):
    p = periods.parse(code)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize("code,message", [
    ("2025Q5", "未知"), ("2025-13", "月份"), ("1999", "年份"), ("2025-04-15..2025-03-01", "结束"), ("", "未知"),
])
def test_bad_periods_say_why(code, message):
    with pytest.raises(periods.PeriodError) as exc:
        periods.parse(code)
    assert message in str(exc.value)


def test_running_period_is_taken_as_of_today():
    p = periods.parse(f"{periods.today().year}")
    assert p.as_of == periods.today()


# --- records: closed records, transfers mid-period ---------------------------------------------------------------

def test_record_rates_with_closed_records_and_transfers(district):
    c = district
    c.make(**COMPLETE)                                           # centre, complete and qualified, counted
    b = c.make(on=at(2025, 2, 1))                                # closed in June 2025: not counted
    RA.close_record(c.doctor, b, reason="2", closed_on=at(2025, 6, 30), note="迁往外地")
    cc = c.make(on=at(2025, 3, 1), **COMPLETE)                   # closed in 2026: counted for 2025
    RA.close_record(c.doctor, cc, reason="1", closed_on=at(2026, 2, 1), note="病故")
    c.make(on=at(2026, 1, 5))                                    # established after the period: not counted
    e = c.make(on=at(2025, 1, 1), **COMPLETE)                    # moved to the hospital in July 2025
    RA.transfer_record(c.doctor, e, to_institution=c.hospital, village=c.v3, reason="搬家")
    RecordEvent.objects.filter(record=e, kind="transferred").update(at=dt.datetime(2025, 7, 15, 3, tzinfo=dt.UTC))
    f = c.make(where="hospital", on=at(2025, 1, 1))              # moved to the centre in 2026: hospital's in 2025
    RA.transfer_record(c.town_doctor, f, to_institution=c.centre, village=c.v1, reason="搬家")
    RecordEvent.objects.filter(record=f, kind="transferred").update(at=dt.datetime(2026, 3, 1, 3, tzinfo=dt.UTC))
    assert Record.objects.get(pk=f.pk).institution_id == c.centre.pk

    rows, total = figures("electronic_record_rate")
    assert rows["C001"] == (2, 10)          # a, cc
    assert rows["T101"] == (2, 8)           # e (moved in), f (still there on 31 December)
    assert total == (4, 18)
    # complete records: a, cc, e (f was established without the optional items)
    rows, total = figures("record_establishment_rate")
    assert rows["C001"] == (2, 10) and rows["T101"] == (1, 8)
    # qualified among records: denominators are the records counted above
    rows, _ = figures("qualified_record_rate")
    assert rows["C001"] == (2, 2) and rows["T101"] == (1, 2)
    # the same records behind the figures
    behind = engine.records_behind("electronic_record_rate", Y2025, [c.hospital.pk])
    assert set(behind.values_list("pk", flat=True)) == {e.pk, f.pk}
    # the county sums numerators and denominators, never rates
    table = engine.compute_one("electronic_record_rate", Y2025, "county")
    assert (table.rows[0].numerator, table.rows[0].denominator) == (4, 18)
    assert table.rows[0].percent == Decimal("22.22")
    # townships: the centre's street and the hospital's town, ranked by exact rate (2/10 < 2/8)
    table = engine.compute_one("electronic_record_rate", Y2025, "township")
    assert [(r.code, r.rank, r.percent) for r in table.rows] == [
        ("320506101", 1, Decimal("25.00")), ("320506001", 2, Decimal("20.00"))]


def test_usage_rate_uses_the_services_of_the_12_months_before_the_end(district):
    c = district
    used = c.make(on=at(2024, 1, 2))
    old = c.make(on=at(2024, 1, 2))
    again = c.make(on=at(2024, 1, 2))
    quick(Exam, used, at(2025, 3, 1))
    quick(Exam, old, at(2024, 12, 31))                   # outside (2025-01-01 is the first day that counts)
    quick(Exam, again, at(2025, 1, 1))                   # inside ...
    Record.objects.filter(pk=used.pk).update(last_service_on=at(2025, 3, 1))
    Record.objects.filter(pk=old.pk).update(last_service_on=at(2024, 12, 31))
    Record.objects.filter(pk=again.pk).update(last_service_on=at(2026, 2, 1))  # ... and served again since
    rows, _ = figures("record_usage_rate")
    assert rows["C001"] == (2, 3)


# --- hypertension and diabetes: 3 vs 4 follow-ups, the 65+ threshold, a 65th birthday within the year ----------

def htn(on, sbp, dbp, method="1"):
    return {"service_date": on, "method": method, "symptoms": ["1"], "sbp": sbp, "dbp": dbp, "adherence": "1",
            "adverse_reaction": "1", "drugs": [{"name": "苯磺酸氨氯地平片", "times": "1", "dose": "5mg"}]}


def dm(on, glucose):
    return {"service_date": on, "method": "1", "symptoms": ["1"], "fasting_glucose": Decimal(glucose),
            "adherence": "1", "adverse_reaction": "1", "hypoglycaemia": "1"}


def test_hypertension_and_diabetes(district):
    c = district
    q = [at(2025, 2, 10), at(2025, 5, 10), at(2025, 8, 10), at(2025, 11, 10)]

    def patient(birth, program="hypertension"):
        rec = c.make(on=at(2024, 6, 1), birth=birth)
        P.enrol(c.doctor, rec, program, on=at(2024, 6, 2), source="1")
        return rec

    p1 = patient(dt.date(1975, 4, 1))        # 4 face-to-face, latest 138/88: standard, controlled
    for d in q[:3]:
        record_service(HypertensionFollowup, p1, c.doctor, htn(d, 150, 95))
    record_service(HypertensionFollowup, p1, c.doctor, htn(q[3], 138, 88))
    p2 = patient(dt.date(1955, 3, 1))        # 3 follow-ups only; 145/85 at 70 is controlled (limit 150/90)
    for d in q[:3]:
        record_service(HypertensionFollowup, p2, c.doctor, htn(d, 145, 85))
    p3 = patient(dt.date(1960, 8, 1))        # turns 65 on 1 August 2025
    for d in q[:2]:
        record_service(HypertensionFollowup, p3, c.doctor, htn(d, 145, 85))   # at 64: not controlled
    for d in q[2:]:
        record_service(HypertensionFollowup, p3, c.doctor, htn(d, 145, 85))   # at 65: controlled
    p4 = patient(dt.date(1970, 1, 1))        # one phone call among four: 3 face-to-face; 150/95 not controlled
    for d in q[:3]:
        record_service(HypertensionFollowup, p4, c.doctor, htn(d, 130, 80))
    record_service(HypertensionFollowup, p4, c.doctor, htn(q[3], 150, 95, method="3"))
    gone = patient(dt.date(1965, 1, 1))      # left the program in 2025: not under management at the year's end
    P.exit_program(c.doctor, Enrollment.objects.get(record=gone), on=at(2025, 9, 1), reason="7")

    assert HypertensionFollowup.objects.filter(record=p3, controlled=True).count() == 2
    rows, _ = figures("hypertension_management_rate")
    assert rows["C001"] == (4, 8)
    rows, _ = figures("hypertension_standard_management_rate")
    assert rows["C001"] == (2, 4)            # p1, p3
    rows, _ = figures("hypertension_control_rate")
    assert rows["C001"] == (3, 4)            # p1, p2 (65+ limit), p3 (latest, after the birthday); not p4
    # a half-year needs 2 follow-ups: p1, p2, p3, p4 all had 2 face-to-face visits by 30 June; on 30 June the
    # patient who left in September was still under management, without follow-ups
    rows, _ = figures("hypertension_standard_management_rate", period=periods.parse("2025H1"))
    assert rows["C001"] == (4, 5)
    # in the first half p3 (64 then) was not controlled, p4 was
    rows, _ = figures("hypertension_control_rate", period=periods.parse("2025H1"))
    assert rows["C001"] == (2, 5)            # p2 (145/85 at 70) and p4 (130/80); p1 150/95, p3 145/85 at 64

    d1 = patient(dt.date(1970, 2, 2), "diabetes")
    d2 = patient(dt.date(1970, 3, 3), "diabetes")
    record_service(DiabetesFollowup, d1, c.doctor, dm(q[0], "8.0"))
    record_service(DiabetesFollowup, d1, c.doctor, dm(q[1], "6.9"))
    record_service(DiabetesFollowup, d2, c.doctor, dm(q[0], "6.9"))
    record_service(DiabetesFollowup, d2, c.doctor, dm(q[1], "7.0"))
    rows, _ = figures("diabetes_control_rate")
    assert rows["C001"] == (1, 2)
    rows, _ = figures("diabetes_management_rate")
    assert rows["C001"] == (2, 4)


# --- elderly: the 65th birthday within the year ------------------------------------------------------------------

def test_elderly_management_counts_who_turns_65_in_the_year(district):
    c = district
    old = c.make(birth=dt.date(1950, 1, 1))
    turning = c.make(birth=dt.date(1960, 12, 31))   # 65 on the year's last day: in the year's 65+ population
    young = c.make(birth=dt.date(1961, 1, 1))       # 65 only in 2026
    examined_only = c.make(birth=dt.date(1940, 1, 1))
    for rec in (old, turning, young):
        quick(Exam, rec, at(2025, 12, 31), guidance=["1"])
        quick(SelfCareAssessment, rec, at(2025, 12, 31))
    quick(Exam, examined_only, at(2025, 5, 1))
    quick(TcmConstitution, old, at(2025, 6, 1))
    quick(TcmConstitution, old, at(2024, 6, 1))
    rows, _ = figures("elderly_health_management_rate")
    assert rows["C001"] == (2, 4)                   # old, turning / aged_65_plus of the base data
    rows, _ = figures("elderly_tcm_management_rate")
    assert rows["C001"] == (1, 4)
    behind = engine.records_behind("elderly_health_management_rate", Y2025, [c.centre.pk], numerator=False)
    assert set(behind.values_list("pk", flat=True)) == {old.pk, turning.pk, examined_only.pk}


# --- severe mental disorder ---------------------------------------------------------------------------------------

def test_smi_standard_management(district):
    c = district
    recs = [c.make(birth=dt.date(1980, 1, i + 1)) for i in range(3)]
    for rec in recs:
        Enrollment.objects.create(record=rec, program="smi", enrolled_on=at(2024, 1, 1), institution=c.centre)
    for n, rec in zip((4, 3, 5), recs, strict=True):
        for i in range(n):
            quick(SmiFollowup, rec, at(2025, 1 + 2 * i, 3))
    rows, _ = figures("smi_standard_management_rate")
    assert rows["C001"] == (2, 2)                   # 4 and 5 follow-ups / registered patients (base data: 2)


# --- children, vaccination, maternal, TB -------------------------------------------------------------------------

def test_child_indicators(district):
    c = district
    newborn = c.make(on=at(2025, 3, 20), birth=at(2025, 3, 1))
    unvisited = c.make(on=at(2025, 6, 20), birth=at(2025, 6, 1))
    older = c.make(on=at(2023, 3, 1), birth=at(2022, 2, 1))
    too_old = c.make(on=at(2018, 3, 1), birth=at(2018, 1, 1))   # 7 on 31 December 2025
    quick(child.NewbornVisit, newborn, at(2025, 3, 8))
    quick(child.InfantCheck, newborn, at(2025, 6, 1), month_age="3")
    quick(child.PreschoolCheck, older, at(2025, 2, 2), month_age="36")
    quick(child.PreschoolCheck, too_old, at(2025, 2, 2), month_age="72")
    quick(child.ChildTcm, newborn, at(2025, 9, 1), month_age="6")
    quick(child.ChildTcm, older, at(2025, 2, 1), month_age="36")   # 46 months at the year's end: not 0–36
    quick(child.VaccinationCertificate, newborn, at(2025, 3, 2))
    quick(child.VaccineDose, newborn, at(2025, 3, 1), vaccine="HepB", dose_number=1)
    quick(child.VaccineDose, unvisited, at(2025, 6, 1), vaccine="HepB", dose_number=1)
    quick(child.VaccineDose, newborn, at(2025, 3, 2), vaccine="BCG", dose_number=1)
    quick(child.VaccineDose, newborn, at(2025, 4, 5), vaccine="HepB", dose_number=2)
    assert figures("newborn_visit_rate")[0]["C001"] == (1, 2)           # / live births
    assert figures("child_health_management_rate")[0]["C001"] == (2, 4)  # newborn, older / aged 0–6
    assert figures("child_tcm_management_rate")[0]["C001"] == (1, 2)
    assert figures("vaccination_certificate_rate")[0]["C001"] == (1, 3)  # among 0–6 with a record
    assert figures("vaccine_hepb_coverage")[0]["C001"] == (2, 2)        # both born (due) in 2025
    assert figures("vaccine_bcg_coverage")[0]["C001"] == (1, 2)
    # later doses: HepB 2 is due at 1 month (April and July 2025), HepB 3 at 6 months (September and December)
    assert figures("vaccine_hepb_dose2_coverage")[0]["C001"] == (1, 2)
    assert figures("vaccine_hepb_dose3_coverage")[0]["C001"] == (0, 2)
    # in the first half only April's HepB 2 and no HepB 3 had fallen due
    assert figures("vaccine_hepb_dose2_coverage", period=periods.parse("2025H1"))[0]["C001"] == (1, 1)
    assert figures("vaccine_hepb_dose3_coverage", period=periods.parse("2025H1"))[0]["C001"] == (0, 0)


def test_maternal_indicators(district):
    c = district
    mothers = [c.make(birth=dt.date(1995, 1, i + 1), male=False) for i in range(3)]
    early, late, other_year = mothers
    for rec, weeks, delivered, visit in ((early, 12, at(2025, 5, 1), at(2025, 5, 20)),
                                         (late, 13, at(2025, 8, 1), at(2025, 9, 15)),
                                         (other_year, 10, at(2024, 11, 1), at(2024, 11, 10))):
        e = Enrollment.objects.create(record=rec, program="maternal", enrolled_on=delivered - dt.timedelta(days=200),
                                      institution=c.centre)
        quick(PrenatalFirst, rec, delivered - dt.timedelta(days=190), enrollment=e, gestational_weeks=weeks)
        quick(PostpartumVisit, rec, visit, enrollment=e, delivery_date=delivered, discharge_date=delivered)
    assert figures("early_pregnancy_registration_rate")[0]["C001"] == (1, 2)
    # early: day 19 after discharge counts; late: day 45 does not
    assert figures("postpartum_visit_rate")[0]["C001"] == (1, 2)


def test_tb_indicators(district):
    c = district
    a, b, d = (c.make(birth=dt.date(1980, 5, i + 1)) for i in range(3))
    for rec in (a, b):
        Enrollment.objects.create(record=rec, program="tb", enrolled_on=at(2025, 2, 1), institution=c.centre)
    Enrollment.objects.create(record=d, program="tb", enrolled_on=at(2024, 2, 1), institution=c.centre)
    quick(TbFirstVisit, a, at(2025, 2, 3))
    quick(TbOutcome, d, at(2025, 8, 1), stop_date=at(2025, 8, 1), stop_reason="1", regular=True)
    quick(TbOutcome, a, at(2025, 9, 1), stop_date=at(2025, 9, 1), stop_reason="1", regular=False)
    quick(TbOutcome, b, at(2025, 9, 1), stop_date=at(2025, 9, 1), stop_reason="2", regular=False)
    assert figures("tb_management_rate")[0]["C001"] == (1, 2)
    assert figures("tb_regular_medication_rate")[0]["C001"] == (1, 2)


# --- the catalogue, levels and ranks ------------------------------------------------------------------------------

def test_every_indicator_computes_at_every_level(district):
    district.make(**COMPLETE)
    codes = [i.code for i in engine.all_indicators()]
    assert len(codes) == len(set(codes)) >= 26
    for level in engine.LEVELS:
        tables = engine.compute(codes, Y2025, level)
        for table in tables.values():
            assert table.total.numerator == sum(r.numerator for r in table.rows)
            assert table.total.denominator == sum(r.denominator for r in table.rows)


def test_unknown_indicator_and_level():
    with pytest.raises(engine.IndicatorError):
        engine.get("nope")
    with pytest.raises(engine.IndicatorError):
        engine.unit_map("province")


def fig(code, num, den):
    return engine.Figure(code, code, "institution", num, den)


def test_ties_share_a_rank_and_empty_denominators_come_last():
    rows = engine.rank([fig("a", 1, 3), fig("b", 2, 6), fig("c", 1, 2), fig("d", 0, 0), fig("e", 1, 4)])
    assert [(r.code, r.rank) for r in rows] == [("c", 1), ("a", 2), ("b", 2), ("e", 4), ("d", None)]


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 50)), min_size=1, max_size=30))
def test_ranks_are_consistent_with_the_rates(pairs):
    rows = engine.rank([fig(str(i), min(n, d), d) for i, (n, d) in enumerate(pairs)])
    for better, worse in zip(rows, rows[1:], strict=False):
        assert better.rate >= worse.rate
        assert (better.rank == worse.rank) == (better.rate == worse.rate)
        assert better.percent >= worse.percent


@given(st.integers(0, 10**7), st.integers(1, 10**7))
def test_percent_rounds_half_up_from_the_exact_rate(n, d):
    exact = Fraction(n, d) * 100
    p = engine.percent(Fraction(n, d))
    assert abs(Fraction(p) - exact) <= Fraction(1, 200)


def test_a_city_holds_its_districts_whatever_their_codes(district):
    from jkda.regions.models import Division

    city_div = Division.objects.create(code="320500", name="苏州市", level="city")
    Division.objects.filter(code="320506").update(parent=city_div)
    district.make()
    inside = engine.institutions_within(city_div)
    assert {district.centre.pk, district.station.pk, district.hospital.pk, district.clinic.pk} <= inside
    table = engine.compute_one("electronic_record_rate", Y2025, "city", within=city_div)
    assert [(r.code, r.numerator, r.denominator) for r in table.rows] == [("320500", 1, 18)]


def test_indicators_command_prints_json_and_text_and_refuses_bad_input(district):
    import io
    import json

    from django.core.management import CommandError, call_command

    district.make(**COMPLETE)
    out = io.StringIO()
    call_command("indicators", "--period", "2025", "--level", "institution", "--indicator",
                 "electronic_record_rate", "--json", stdout=out)
    [table] = json.loads(out.getvalue())
    assert table["total"] == {"numerator": 1, "denominator": 18, "rate": 5.56}
    assert {r["code"]: (r["numerator"], r["denominator"]) for r in table["rows"]}["C001"] == (1, 10)
    out = io.StringIO()
    call_command("indicators", "--period", "2025", "--indicator", "electronic_record_rate", stdout=out)
    assert "电子建档率" in out.getvalue() and "5.56%" in out.getvalue()
    with pytest.raises(CommandError, match="未知期间"):
        call_command("indicators", "--period", "2025Q9")
    with pytest.raises(CommandError, match="999999"):
        call_command("indicators", "--period", "2025", "--within", "999999")
