"""The facts table: after any sequence of writes through the real actions, the precomputed figures equal the
engine's direct computation for every indicator, institution and month; the incremental refresh recomputes only
the marked cells; the command and the demo keep the table built."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from jkda.codes import idnumber
from jkda.indicators import engine, facts
from jkda.indicators.models import Fact, FactDirty, FactMonth
from jkda.programs import actions as P
from jkda.programs.chronic.models import DiabetesFollowup, HypertensionFollowup
from jkda.programs.models import Enrollment
from jkda.records import actions as RA
from jkda.records.models import Record, Resident
from jkda.regions.models import Institution, PopulationBase, Staff
from jkda.services.actions import record_service, update_service
from jkda.services.exam.models import Exam

from .conftest import resident_data

TODAY = facts.periods.today()


@pytest.fixture(autouse=True)
def _this_year_only(request, settings):
    """The engine is slow enough that the comparisons keep to this year, unless a test asks for last year too."""
    settings.JKDA_FACTS_YEARS_BACK = 1 if "two_years" in request.fixturenames else 0


@pytest.fixture
def two_years():
    return facts.kept_years()


def years():
    return facts.kept_years(TODAY)


def all_months():
    return [(y, m) for y in years() for m in range(1, 13) if facts.month_started(y, m, TODAY)]


def assert_facts_equal_engine():
    """Every indicator × clinical institution × month: stored facts == engine.institution_figures."""
    clinical = facts.clinical_institutions()
    indicators = engine.all_indicators()
    checked = 0
    for y, m in all_months():
        direct = engine.institution_figures(indicators, facts.period_of(y, m))
        stored = facts.figures(y, m)
        for ind in indicators:
            for inst in clinical:
                want = direct[ind.code].get(inst, (0, 0))
                got = stored.get(ind.code, {}).get(inst)
                assert got == want, (ind.code, inst, y, m, got, want)
                checked += 1
        # nothing counted outside the clinical institutions
        assert not {i for per in direct.values() for i in per} - clinical
    return checked


def base_data(inst, year, population=1000, **kw):
    return PopulationBase.objects.update_or_create(institution=inst, year=year, defaults={
        "resident_population": population, "aged_65_plus": kw.get("aged_65_plus", 150),
        "aged_0_6": 60, "aged_0_36_months": 30, "live_births": 10, "est_hypertension": 200,
        "est_diabetes": 80, "registered_smi": 5})[0]


@pytest.fixture
def setup(city):
    # the writer acting everywhere in the district: a head of the bureau's subtree (administrators read and write
    # no records whatever is_superuser says, see access.roles)
    city.admin = Staff.objects.create_user(username="district_head", institution=city.bureau, role="head",
                                           full_name="区负责人")
    for inst in (city.centre, city.station, city.hospital, city.clinic):
        for y in (TODAY.year - 1, TODAY.year):
            base_data(inst, y)
    return city


def _day(rng, lo: dt.date, hi: dt.date) -> dt.date:
    if hi <= lo:
        return lo
    return lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))


class Writer:
    """Random writes through the real actions (records, services, programs, base data)."""

    def __init__(self, city, rng):
        self.c, self.rng = city, rng
        self.seq = 0
        self.places = [(city.centre, city.v1), (city.centre, city.v2), (city.station, city.v1),
                       (city.hospital, city.v3), (city.clinic, city.v3)]
        self.doctor = {city.centre.pk: city.doctor, city.station.pk: city.station_doctor,
                       city.hospital.pk: city.town_doctor, city.clinic.pk: city.admin}

    def actor(self, record):
        return self.doctor.get(record.institution_id, self.c.admin)

    def records(self, **kw):
        return list(Record.objects.filter(**kw).select_related("resident").order_by("pk"))

    def establish(self):
        rng = self.rng
        inst, village = rng.choice(self.places)
        age = rng.choice([1, 3, 30, 50, 66, 72, 80])
        birth = dt.date(TODAY.year - age, rng.randint(1, 12), rng.randint(1, 28))
        self.seq += 1
        data = resident_data(id_number=idnumber.make("320506", birth, self.seq * 2 + 1), name=f"测试{self.seq}")
        if rng.random() < 0.5:  # a complete personal basic information part
            data.update(past_diseases=[{"code": "1"}], family_history={"father": ["1"]}, exposure=["1"],
                        disability=["1"], kitchen_exhaust="1", fuel="1", drinking_water="1", toilet="1",
                        livestock_pen="1")
        established = _day(rng, dt.date(TODAY.year - 1, 6, 1), TODAY)
        established = max(established, birth)
        RA.establish_record(self.doctor[inst.pk] if inst.pk != self.c.clinic.pk else self.c.admin,
                            Resident(**data), institution=inst, village=village, established_on=established,
                            responsible_doctor=self.c.doctor if rng.random() < 0.5 else None)

    def close(self):
        open_ = self.records(status="active")
        if open_:
            rec = self.rng.choice(open_)
            RA.close_record(self.actor(rec), rec, reason=self.rng.choice(["1", "2"]),
                            closed_on=_day(self.rng, rec.established_on, TODAY))

    def reopen(self):
        closed = self.records(status="closed")
        if closed:
            rec = self.rng.choice(closed)
            RA.reopen_record(self.c.admin, rec, reason="误结案")

    def transfer(self):
        open_ = self.records(status="active")
        if open_:
            rec = self.rng.choice(open_)
            inst, village = self.rng.choice([p for p in self.places if p[0].pk != rec.institution_id])
            RA.transfer_record(self.c.admin, rec, to_institution=inst, village=village, reason="搬家")

    def enrol(self):
        adults = [r for r in self.records(status="active") if r.resident.age >= 18]
        if adults:
            rec = self.rng.choice(adults)
            P.enrol(self.c.admin, rec, self.rng.choice(["hypertension", "diabetes"]),
                    on=_day(self.rng, rec.established_on, TODAY), source="1")

    def exit(self):
        active = list(Enrollment.objects.active().select_related("record"))
        if active:
            e = self.rng.choice(active)
            P.exit_program(self.c.admin, e, on=_day(self.rng, e.enrolled_on, TODAY), reason="9", note="测试")

    def followup(self):
        active = list(Enrollment.objects.active().filter(program__in=["hypertension", "diabetes"])
                      .select_related("record__resident"))
        if not active:
            return
        e = self.rng.choice(active)
        when = _day(self.rng, e.enrolled_on, TODAY)
        common = {"service_date": when, "method": self.rng.choice(["1", "2", "3"]), "symptoms": ["1"],
                  "adherence": "1", "adverse_reaction": "1"}
        if e.program == "hypertension":
            record_service(HypertensionFollowup, e.record, self.c.admin,
                           {**common, "sbp": self.rng.choice([128, 135, 145, 162]), "dbp": 84})
        else:
            record_service(DiabetesFollowup, e.record, self.c.admin,
                           {**common, "hypoglycaemia": "1",
                            "fasting_glucose": self.rng.choice([Decimal("6.2"), Decimal("8.4")])})

    def exam(self):
        open_ = self.records(status="active")
        if open_:
            rec = self.rng.choice(open_)
            record_service(Exam, rec, self.c.admin, {"service_date": _day(self.rng, rec.established_on, TODAY)})

    def edit_exam(self):
        exam = Exam.objects.filter(record__status="active").order_by("?").first()
        if exam is not None:
            update_service(exam, self.c.admin, {"service_date": _day(self.rng, exam.record.established_on, TODAY)})

    def update_resident(self):
        open_ = self.records(status="active")
        if open_:
            rec = self.rng.choice(open_)
            RA.update_resident(self.c.admin, rec, {"phone": "" if rec.resident.phone else "13800001111"},
                               expected_version=rec.resident.version)

    def base_data(self):
        inst = self.rng.choice([self.c.centre, self.c.station, self.c.hospital, self.c.clinic])
        base_data(inst, self.rng.choice([TODAY.year - 1, TODAY.year]), population=self.rng.choice([800, 1000, 1500]),
                  aged_65_plus=self.rng.choice([100, 150, 300]))

    OPS = ("establish", "establish", "establish", "close", "reopen", "transfer", "enrol", "enrol", "exit",
           "followup", "followup", "followup", "exam", "exam", "edit_exam", "update_resident", "base_data")

    def step(self):
        op = self.rng.choice(self.OPS)
        try:
            getattr(self, op)()
        except (ValidationError, PermissionDenied):
            return op + " (refused)"
        return op


@pytest.mark.parametrize("seed", [1])
def test_facts_equal_direct_computation_after_random_writes(setup, seed):
    rng = random.Random(seed)
    writer = Writer(setup, rng)
    for _ in range(8):
        writer.establish()
    first = facts.refresh()
    assert first.months and all(n == 4 for _y, _m, n in first.months)  # never computed: whole months
    assert not FactDirty.objects.exists()
    assert_facts_equal_engine()
    done = []
    for _round in range(3):
        for _ in range(12):
            done.append(writer.step())
        assert FactDirty.objects.exists()
        result = facts.refresh()
        assert not result.full and result.marks > 0
        checked = assert_facts_equal_engine()
    assert checked == len(all_months()) * len(engine.all_indicators()) * 4
    ops = {op for op in done if "refused" not in op}
    assert {"establish", "followup", "exam", "base_data"} <= ops, done
    # idempotent: a second refresh finds nothing to do and changes nothing
    before = list(Fact.objects.order_by("pk").values_list("indicator", "institution_id", "year", "month",
                                                          "numerator", "denominator"))
    again = facts.refresh()
    assert again.months == [] and again.facts == 0
    assert list(Fact.objects.order_by("pk").values_list("indicator", "institution_id", "year", "month",
                                                        "numerator", "denominator")) == before


def _spy(monkeypatch):
    calls = []
    real = engine.institution_figures

    def spy(indicators, period, institutions=None):
        calls.append((period.code, None if institutions is None else frozenset(institutions)))
        return real(indicators, period, institutions)

    monkeypatch.setattr(engine, "institution_figures", spy)
    return calls


def _record_at(c, institution, village, established_on, n):
    birth = dt.date(1960, 1, 1)
    return RA.establish_record(c.admin, Resident(**resident_data(id_number=idnumber.make("320506", birth, n))),
                               institution=institution, village=village, established_on=established_on)


def test_incremental_refresh_touches_only_the_marked_cells(setup, two_years, monkeypatch):
    c = setup
    rec = _record_at(c, c.centre, c.v1, dt.date(TODAY.year, 1, 2), 11)
    P.enrol(c.doctor, rec, "hypertension", on=dt.date(TODAY.year, 1, 5))
    facts.refresh()
    calls = _spy(monkeypatch)

    # a follow-up dated in March of this year: the centre, from March on, nothing else
    record_service(HypertensionFollowup, rec, c.doctor, {
        "service_date": dt.date(TODAY.year, 3, 10), "method": "1", "symptoms": ["1"], "sbp": 130, "dbp": 80,
        "adherence": "1", "adverse_reaction": "1"})
    marks = set(FactDirty.objects.values_list("institution_id", "year", "month"))
    assert marks == {(c.centre.pk, TODAY.year, 3)}
    result = facts.refresh()
    assert result.months == [(TODAY.year, m, 1) for m in range(3, TODAY.month + 1)]
    assert calls == [(f"{TODAY.year}-{m:02d}-ytd", frozenset({c.centre.pk})) for m in range(3, TODAY.month + 1)]
    assert result.cells == TODAY.month - 2

    # a transfer today: both institutions, this month only
    calls.clear()
    RA.transfer_record(c.admin, rec, to_institution=c.hospital, village=c.v3, reason="搬家")
    result = facts.refresh()
    assert calls == [(f"{TODAY.year}-{TODAY.month:02d}-ytd", frozenset({c.centre.pk, c.hospital.pk}))]

    # a form dated before the transfer: every institution that held the record since then
    calls.clear()
    record_service(HypertensionFollowup, Record.objects.get(pk=rec.pk), c.town_doctor, {
        "service_date": dt.date(TODAY.year, 2, 1), "method": "1", "symptoms": ["1"], "sbp": 130, "dbp": 80,
        "adherence": "1", "adverse_reaction": "1"})
    assert set(FactDirty.objects.values_list("institution_id", "year", "month")) == {
        (c.centre.pk, TODAY.year, 2), (c.hospital.pk, TODAY.year, 2)}
    facts.refresh()
    assert {insts for _p, insts in calls} == {frozenset({c.centre.pk, c.hospital.pk})}
    assert len(calls) == TODAY.month - 1

    # base data of last year: that year, January on, that institution only
    calls.clear()
    base_data(c.clinic, two_years[0], population=1234)
    facts.refresh()
    assert calls == [(f"{two_years[0]}-{m:02d}-ytd", frozenset({c.clinic.pk})) for m in range(1, 13)]
    assert Fact.objects.get(indicator="electronic_record_rate", institution=c.clinic, year=two_years[0],
                            month=12).denominator == 1234
    assert_facts_equal_engine()


def test_writes_before_the_kept_years_and_the_running_month(setup, two_years, monkeypatch):
    c = setup
    facts.refresh()
    calls = _spy(monkeypatch)
    # a record established long ago marks from January of the first kept year, every kept year
    _record_at(c, c.centre, c.v1, dt.date(2015, 6, 1), 7)
    assert set(FactDirty.objects.values_list("year", "month")) == {(y, 1) for y in two_years}
    facts.refresh()
    assert len(calls) == len(all_months())
    # the running month computed on an earlier day is recomputed whole; other months stay
    calls.clear()
    FactMonth.objects.filter(year=TODAY.year, month=TODAY.month).update(as_of=TODAY - dt.timedelta(days=1))
    result = facts.refresh()
    assert calls == [(f"{TODAY.year}-{TODAY.month:02d}-ytd", None)] or calls == [
        (f"{TODAY.year}-{TODAY.month:02d}-ytd", frozenset(facts.clinical_institutions()))]
    assert result.months == [(TODAY.year, TODAY.month, 4)]
    # a month that has not started is never computed
    assert not Fact.objects.filter(year=TODAY.year, month__gt=TODAY.month).exists()
    assert not FactMonth.objects.filter(year=TODAY.year, month__gt=TODAY.month).exists()
    assert_facts_equal_engine()


def test_hand_over_marks_both_institutions(setup, establish):
    c = setup
    establish(institution=c.clinic, village=c.v3, actor=c.admin)
    facts.refresh()
    successor = Institution.objects.create(code="V102", name="新村卫生室", kind="vc", division=c.v3,
                                           parent=c.hospital)
    RA.hand_over_institution(c.admin, c.clinic, successor, reason="合并")
    assert {(i, m) for i, _y, m in FactDirty.objects.values_list("institution_id", "year", "month")} >= {
        (c.clinic.pk, TODAY.month), (successor.pk, TODAY.month)}
    facts.refresh()
    assert_facts_equal_engine()


def test_refresh_command_full_and_incremental(setup, establish):
    from io import StringIO

    establish()
    out = StringIO()
    call_command("indicators", "refresh", "--full", stdout=out)
    assert "全量重建" in out.getvalue() or "full rebuild" in out.getvalue()
    n = Fact.objects.count()
    assert n == len(all_months()) * len(engine.all_indicators()) * 4
    out = StringIO()
    call_command("indicators", "refresh", stdout=out)
    assert Fact.objects.count() == n
    assert FactMonth.objects.filter(year=TODAY.year, month=TODAY.month, as_of=TODAY).exists()
    assert_facts_equal_engine()


def test_refresh_command_refuses_a_bad_year(setup):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as exc:
        call_command("indicators", "refresh", "--year", "1800")
    assert "2000" in str(exc.value)


def test_refresh_of_one_year_keeps_the_marks_of_the_other(setup, two_years):
    c = setup
    facts.refresh()
    base_data(c.centre, two_years[0], population=4321)
    base_data(c.station, two_years[1], population=4321)
    result = facts.refresh(years=[two_years[1]])
    assert {y for y, _m, _n in result.months} == {two_years[1]}
    assert set(FactDirty.objects.values_list("institution_id", "year")) == {(c.centre.pk, two_years[0])}
    facts.refresh()
    assert not FactDirty.objects.exists()
    assert Fact.objects.get(indicator="electronic_record_rate", institution=c.centre, year=two_years[0],
                            month=12).denominator == 4321
