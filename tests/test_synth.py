"""The synthetic city: deterministic by seed, valid by the same rules as the web forms, plausible coverage and
households, and numbering that later web establishment continues."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from jkda.codes import idnumber
from jkda.records import actions
from jkda.records.models import Household, HouseholdCounter, NumberCounter, Record, Resident
from jkda.records.names import pinyin_of
from jkda.regions.models import Institution, PopulationBase, Staff
from jkda.synth.generator import SynthError, demo_usernames, generate

AS_OF = dt.date(2025, 6, 30)
SIZE = 300


class _Rollback(Exception):
    pass


def _snapshot() -> list[tuple]:
    return list(Record.objects.order_by("id").values_list(
        "number", "resident__name", "resident__id_number", "resident__birth_date", "resident__phone",
        "resident__household__number", "established_on", "status"))


def _generate_and_roll_back(**kwargs) -> list[tuple]:
    """Run the generator and undo it, so the next run starts from a fresh database again."""
    snap = []
    try:
        with transaction.atomic():
            generate(**kwargs)
            snap = _snapshot()
            raise _Rollback
    except _Rollback:
        pass
    assert not Resident.objects.exists() and not Institution.objects.exists()
    return snap


@pytest.fixture
def synth(db):
    return generate("S", 7, residents=SIZE, as_of=AS_OF)


def test_same_seed_same_city(db):
    first = _generate_and_roll_back(scenario="S", seed=11, residents=SIZE, as_of=AS_OF)
    second = _generate_and_roll_back(scenario="S", seed=11, residents=SIZE, as_of=AS_OF)
    other = _generate_and_roll_back(scenario="S", seed=12, residents=SIZE, as_of=AS_OF)
    assert len(first) == SIZE
    assert first == second
    assert [r[1] for r in first] != [r[1] for r in other]
    assert [r[2] for r in first] != [r[2] for r in other]


def test_summary_and_demo_accounts(synth):
    assert synth.residents == synth.records == SIZE == Resident.objects.count() == Record.objects.count()
    assert synth.households == Household.objects.count() > SIZE // 5
    assert synth.institutions == Institution.objects.count() == 22
    assert synth.closed_records == Record.objects.filter(status="closed").count()
    assert synth.demo_usernames and demo_usernames() == synth.demo_usernames
    for user in Staff.objects.filter(username__in=synth.demo_usernames):
        assert not user.has_usable_password()
    assert not Staff.objects.filter(password="").exists()
    assert not Staff.objects.exclude(username__in=synth.demo_usernames).filter(
        password__regex=r"^[^!]").exists()


def test_id_numbers_valid_unique_and_matching(synth):
    residents = list(Resident.objects.all())
    with_id = [r for r in residents if r.id_number]
    assert len(with_id) > SIZE * 0.95
    assert len({r.id_number for r in with_id}) == len(with_id)
    local = 0
    for r in with_id:
        info = idnumber.parse(r.id_number, today=AS_OF)
        assert info.birth_date == r.birth_date
        assert info.sex == r.sex
        assert r.id_last6 == r.id_number[-6:]
        local += r.id_number.startswith("3205")
    assert local > len(with_id) * 0.6  # mostly the city's own counties, some from elsewhere
    assert local < len(with_id)
    for r in residents:
        assert r.birth_date < AS_OF
        assert (r.name_pinyin, r.name_initials) == pinyin_of(r.name)


def test_residents_pass_the_form_rules(synth):
    sample = list(Resident.objects.order_by("id"))[::7]
    for r in sample:
        r.full_clean()  # the same checks as the web form and the import


def test_record_numbers_in_creation_order_per_village(synth):
    records = list(Record.objects.select_related("village").order_by("id"))
    numbers = [r.number for r in records]
    assert len(set(numbers)) == len(numbers)
    by_village = defaultdict(list)
    for r in records:
        assert len(r.number) == 17 and r.number.isdigit()
        assert r.number.startswith(r.village.code)
        assert r.number_last8 == r.number[-8:]
        assert r.established_on <= AS_OF
        assert r.established_on >= r.resident.birth_date
        assert r.responsible_doctor_name and r.established_by_name
        by_village[r.village.code].append(r)
    for code, recs in by_village.items():
        serials = [int(r.number[12:]) for r in recs]  # in id (creation) order
        assert serials == list(range(1, len(recs) + 1)), code
        dates = [r.established_on for r in recs]
        assert dates == sorted(dates)
        assert NumberCounter.objects.get(pk=code).last_serial == len(recs)


def test_closed_records_have_reason_and_date(synth):
    closed = list(Record.objects.filter(status="closed"))
    for r in closed:
        assert r.close_reason in ("1", "2")
        assert r.established_on < r.closed_on <= AS_OF
    assert not Record.objects.filter(status="active", closed_on__isnull=False).exists()


def test_sixteen_digit_scheme(db, settings):
    settings.JKDA_RECORD_NUMBER_DIGITS = 16
    generate("S", 3, residents=60, as_of=AS_OF)
    assert {len(n) for n in Record.objects.values_list("number", flat=True)} == {16}


def test_coverage_differs_by_institution(synth):
    year = AS_OF.year
    clinical = Institution.objects.filter(kind__in=Institution.CLINICAL_KINDS)
    assert clinical.count() == 18
    rates = {}
    for inst in clinical:
        figures = {p.year: p for p in PopulationBase.objects.filter(institution=inst)}
        assert set(figures) == {year, year - 1}, inst  # base data for this year and the last
        for p in figures.values():
            p.full_clean()
            assert p.resident_population > 0
            assert p.est_hypertension > p.est_diabetes > 0 or p.resident_population < 30
        active = Record.objects.filter(institution=inst, status="active").count()
        pop = figures[year].resident_population
        assert active <= pop  # the real population is never below the records
        rates[inst.code] = active / pop
    assert min(rates.values()) < 0.3
    assert sum(1 for r in rates.values() if r < 0.6) >= 2
    assert sum(1 for r in rates.values() if r >= 0.6) > len(rates) / 2


def test_population_figures_plausible_at_scale(db):
    generate("S", 5, residents=4000, as_of=AS_OF)
    totals = Counter()
    for p in PopulationBase.objects.filter(year=AS_OF.year):
        for name in PopulationBase.FIGURES:
            totals[name] += getattr(p, name)
    pop = totals["resident_population"]
    assert 0.6 < Record.objects.filter(status="active").count() / pop < 0.9  # the city's rate is plausible
    assert 0.10 < totals["aged_65_plus"] / pop < 0.20
    assert 0.14 < totals["est_hypertension"] / pop < 0.24  # 18-25% of adults
    assert 0.06 < totals["est_diabetes"] / pop < 0.10
    assert 0.003 < totals["registered_smi"] / pop < 0.006
    residents = list(Resident.objects.all())
    old = sum(1 for r in residents if (AS_OF - r.birth_date).days >= 65 * 365.25)
    assert 0.09 < old / len(residents) < 0.19
    hypertension = sum(1 for r in residents if any(d["code"] == "2" for d in r.past_diseases))
    assert 0.05 < hypertension / len(residents) < 0.2


def test_households(synth):
    members = defaultdict(list)
    for r in Resident.objects.all():
        assert r.household_id is not None
        members[r.household_id].append(r)
    for hh in Household.objects.all():
        people = members[hh.pk]
        assert 1 <= len(people) <= 5
        heads = [r for r in people if r.relation_to_head == "02"]
        assert len(heads) == 1 and hh.head_id == heads[0].pk
        assert all(r.current_address == hh.address for r in people)
        assert hh.number.startswith(hh.village.code) and len(hh.number) == 17
        spouses = [r for r in people if r.relation_to_head == "10"]
        assert len(spouses) <= 1
        if spouses:
            assert spouses[0].sex != heads[0].sex
        for child in (r for r in people if r.relation_to_head in ("20", "30")):
            assert child.sex == ("1" if child.relation_to_head == "20" else "2")
            assert child.birth_date > heads[0].birth_date or spouses
        records = Record.objects.filter(resident__household=hh)
        assert {r.village_id for r in records} == {hh.village_id}
    for counter in HouseholdCounter.objects.all():
        assert counter.last_serial == Household.objects.filter(village__code=counter.village_code).count()


def test_institutions_hierarchy_and_staff(synth):
    for inst in Institution.objects.all():
        assert inst.path == inst.compute_path()
        if inst.parent_id:
            inst.clean()
    for inst in Institution.objects.filter(kind__in=Institution.CLINICAL_KINDS):
        assert inst.staff.filter(role="doctor").exists(), inst
    for rec in Record.objects.select_related("responsible_doctor")[:100]:
        assert rec.responsible_doctor.institution_id == rec.institution_id


def test_web_establishment_continues_numbering(synth):
    rec = Record.objects.order_by("-number").select_related("village", "institution").first()
    village = rec.village
    last = NumberCounter.objects.get(pk=village.code).last_serial
    doctor = Staff.objects.filter(institution=rec.institution, role="doctor").first()
    new = actions.establish_record(
        doctor,
        Resident(name="新居民", id_number=idnumber.make("110101", dt.date(1951, 3, 3), 997), phone="13900000000",
                 current_address="苏州市测试路1号", residence_type="1", payment=["2"], drug_allergy=["1"]),
        institution=rec.institution, village=village,
    )
    assert new.number == f"{village.code}{last + 1:05d}"
    hh = actions.create_household(doctor, institution=rec.institution, village=village, address="苏州市测试路1号")
    assert hh.number == f"{village.code}{HouseholdCounter.objects.get(pk=village.code).last_serial:05d}"
    assert Household.objects.filter(number=hh.number).count() == 1


def test_foreign_keys_hold(synth):
    """The rows are written with raw multi-row inserts: every reference must still point at a row."""
    connection.check_constraints(table_names=[Household._meta.db_table, Resident._meta.db_table,
                                              Record._meta.db_table, PopulationBase._meta.db_table])


def test_records_carry_their_residents_search_keys(synth):
    """The generator writes the record's copies of name, pinyin and initials that the search reads."""
    from django.db.models import F, Q

    assert Record.objects.count() >= SIZE // 2
    differ = Record.objects.filter(~Q(resident_name=F("resident__name"))
                                   | ~Q(resident_pinyin=F("resident__name_pinyin"))
                                   | ~Q(resident_initials=F("resident__name_initials")))
    assert not differ.exists()
    assert not Record.objects.filter(resident_initials="").exists()


def test_refuses_a_database_that_is_not_empty(synth):
    with pytest.raises(SynthError, match="empty"):
        generate("S", 8, residents=10, as_of=AS_OF)


def test_command(db):
    out = StringIO()
    call_command("synth", scenario="S", seed=2, residents=120, as_of=AS_OF, stdout=out)
    text = out.getvalue()
    assert "120 residents" in text and "institutions" in text
    assert Resident.objects.count() == 120
    with pytest.raises(CommandError):
        call_command("synth", scenario="S", seed=2, residents=120, as_of=AS_OF, stdout=StringIO())
