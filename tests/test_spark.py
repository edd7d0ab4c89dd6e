"""The indicator catalogue on Spark (local mode) gives the engine's figures, indicator by indicator, on a small
hand-built district with closed records, transfers during and after the period and every program's forms."""

from __future__ import annotations

import datetime as dt
import json

import pytest

pytest.importorskip("pyspark")

from django.core.management import call_command  # noqa: E402

from jkda.indicators import engine, periods  # noqa: E402
from jkda.indicators import spark as S  # noqa: E402
from jkda.programs import actions as P  # noqa: E402
from jkda.programs.child import models as child  # noqa: E402
from jkda.programs.chronic.models import DiabetesFollowup, HypertensionFollowup  # noqa: E402
from jkda.programs.elderly.models import SelfCareAssessment, TcmConstitution  # noqa: E402
from jkda.programs.maternal.models import PostpartumVisit, PrenatalFirst  # noqa: E402
from jkda.programs.mental.models import SmiFollowup  # noqa: E402
from jkda.programs.models import Enrollment  # noqa: E402
from jkda.programs.tb.models import TbFirstVisit, TbOutcome  # noqa: E402
from jkda.records import actions as RA  # noqa: E402
from jkda.records.models import Record, RecordEvent  # noqa: E402
from jkda.services.actions import record_service  # noqa: E402
from jkda.services.exam.models import Exam  # noqa: E402

from .test_indicators import COMPLETE, at, district, dm, htn, quick  # noqa: E402, F401 - district is a fixture

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark_session():
    spark = S.session("local[2]", shuffle_partitions=2)
    yield spark
    spark.stop()


def build(c):
    """A bit of everything the catalogue counts, at the centre and the township hospital."""
    a = c.make(**COMPLETE)
    closed = c.make(on=at(2025, 2, 1))
    RA.close_record(c.doctor, closed, reason="2", closed_on=at(2025, 6, 30), note="迁往外地")
    later_closed = c.make(on=at(2025, 3, 1), **COMPLETE)
    RA.close_record(c.doctor, later_closed, reason="1", closed_on=at(2026, 2, 1), note="病故")
    c.make(on=at(2026, 1, 5))
    moved = c.make(on=at(2025, 1, 1), **COMPLETE)          # to the hospital in July 2025
    RA.transfer_record(c.doctor, moved, to_institution=c.hospital, village=c.v3, reason="搬家")
    RecordEvent.objects.filter(record=moved, kind="transferred").update(at=dt.datetime(2025, 7, 15, 3, tzinfo=dt.UTC))
    back = c.make(where="hospital", on=at(2025, 1, 1))      # to the centre in 2026: the hospital's in 2025
    RA.transfer_record(c.town_doctor, back, to_institution=c.centre, village=c.v1, reason="搬家")
    RecordEvent.objects.filter(record=back, kind="transferred").update(at=dt.datetime(2026, 3, 1, 3, tzinfo=dt.UTC))
    quick(Exam, back, at(2025, 6, 1), guidance=["1"])
    Record.objects.filter(pk=a.pk).update(last_service_on=at(2025, 3, 1))
    Record.objects.filter(pk=back.pk).update(last_service_on=at(2026, 2, 1))

    q = [at(2025, 2, 10), at(2025, 5, 10), at(2025, 8, 10), at(2025, 11, 10)]
    for birth, program, n in ((dt.date(1975, 4, 1), "hypertension", 4), (dt.date(1955, 3, 1), "hypertension", 3),
                              (dt.date(1960, 8, 1), "hypertension", 4), (dt.date(1970, 2, 2), "diabetes", 2)):
        rec = c.make(on=at(2024, 6, 1), birth=birth)
        P.enrol(c.doctor, rec, program, on=at(2024, 6, 2), source="1")
        for i, d in enumerate(q[:n]):
            if program == "hypertension":
                record_service(HypertensionFollowup, rec, c.doctor, htn(d, 150 - 5 * i, 95 - 3 * i))
            else:
                record_service(DiabetesFollowup, rec, c.doctor, dm(d, "6.9" if i else "8.0"))

    for birth in (dt.date(1950, 1, 1), dt.date(1960, 12, 31), dt.date(1940, 1, 1)):
        rec = c.make(birth=birth, where="hospital")
        quick(Exam, rec, at(2025, 12, 31), guidance=["1"] if birth.year != 1940 else [])
        quick(SelfCareAssessment, rec, at(2025, 12, 31))
        quick(TcmConstitution, rec, at(2025, 6, 1))

    for i, n in enumerate((4, 3)):
        rec = c.make(birth=dt.date(1980, 1, i + 1))
        Enrollment.objects.create(record=rec, program="smi", enrolled_on=at(2024, 1, 1), institution=c.centre)
        for k in range(n):
            quick(SmiFollowup, rec, at(2025, 1 + 2 * k, 3))

    newborn = c.make(on=at(2025, 3, 20), birth=at(2025, 3, 1))
    unvisited = c.make(on=at(2025, 6, 20), birth=at(2025, 6, 1), where="hospital")
    older = c.make(on=at(2023, 3, 1), birth=at(2022, 2, 1))
    quick(child.NewbornVisit, newborn, at(2025, 3, 8))
    quick(child.InfantCheck, newborn, at(2025, 6, 1), month_age="3")
    quick(child.PreschoolCheck, older, at(2025, 2, 2), month_age="36")
    quick(child.ChildTcm, newborn, at(2025, 9, 1), month_age="6")
    quick(child.VaccinationCertificate, newborn, at(2025, 3, 2))
    for rec, vaccine, on in ((newborn, "HepB", at(2025, 3, 1)), (unvisited, "HepB", at(2025, 6, 1)),
                             (newborn, "BCG", at(2025, 3, 2)), (older, "MMR", at(2023, 2, 1))):
        quick(child.VaccineDose, rec, on, vaccine=vaccine, dose_number=1)

    for i, (weeks, delivered, visit, discharged) in enumerate((
            (12, at(2025, 5, 1), at(2025, 5, 20), None),             # day 19 after delivery (no discharge date)
            (13, at(2025, 8, 1), at(2025, 9, 1), at(2025, 8, 5)),    # day 27 after discharge
            (10, at(2025, 10, 1), at(2025, 11, 15), at(2025, 10, 3)))):  # day 43: too late
        rec = c.make(birth=dt.date(1995, 1, i + 1), male=False)
        e = Enrollment.objects.create(record=rec, program="maternal", enrolled_on=delivered - dt.timedelta(days=200),
                                      institution=c.centre)
        quick(PrenatalFirst, rec, delivered - dt.timedelta(days=190), enrollment=e, gestational_weeks=weeks)
        quick(PostpartumVisit, rec, visit, enrollment=e, delivery_date=delivered, discharge_date=discharged)

    t1, t2 = (c.make(birth=dt.date(1980, 5, i + 1)) for i in range(2))
    for rec in (t1, t2):
        Enrollment.objects.create(record=rec, program="tb", enrolled_on=at(2025, 2, 1), institution=c.centre)
    quick(TbFirstVisit, t1, at(2025, 2, 3))
    quick(TbOutcome, t1, at(2025, 9, 1), stop_date=at(2025, 9, 1), stop_reason="1", regular=True)
    quick(TbOutcome, t2, at(2025, 9, 1), stop_date=at(2025, 9, 1), stop_reason="1", regular=False)


def test_spark_gives_the_engines_figures_for_every_indicator(district, spark_session, tmp_path):  # noqa: F811
    build(district)
    result = S.export(tmp_path / "export")
    assert result.rows["records_record"] == Record.objects.count()
    # records, residents and forms are partitioned by the county of the managing institution
    assert (tmp_path / "export" / "records_record" / "county=320506").is_dir()
    assert {"records_resident", "records_record", "exam_exam"} <= set(result.partitioned)
    source = S.Source(tmp_path / "export", spark_session)
    indicators = engine.all_indicators()
    year = engine.institution_figures(indicators, periods.parse("2025"))
    got = S.institution_figures(indicators, periods.parse("2025"), source)
    assert set(got) == {i.code for i in indicators}
    for ind in indicators:
        assert got[ind.code] == year[ind.code], ind.code
    # the data set reaches what it is meant to reach: moves, a non-trivial numerator in most families
    assert year["electronic_record_rate"][district.hospital.pk][0] >= 3
    families_counted = {ind.family.code for ind in indicators if any(n for n, _d in year[ind.code].values())}
    assert len(families_counted) >= 10
    # the roll-up and ranks take Spark's figures unchanged
    tables = S.compute_levels(["electronic_record_rate"], periods.parse("2025"), ["county"], source)
    direct = engine.compute(["electronic_record_rate"], periods.parse("2025"), "county")
    got_row, want_row = tables["county"]["electronic_record_rate"].rows[0], direct["electronic_record_rate"].rows[0]
    assert (got_row.code, got_row.numerator, got_row.denominator) == (want_row.code, want_row.numerator,
                                                                      want_row.denominator)


def test_a_local_session_has_the_larger_driver_heap(spark_session):
    """Local mode runs every task in the driver: it starts with LOCAL_DRIVER_MEMORY, not Spark's 1 GB."""
    assert spark_session.sparkContext.getConf().get("spark.driver.memory") == S.LOCAL_DRIVER_MEMORY
    heap = spark_session.sparkContext._jvm.java.lang.Runtime.getRuntime().maxMemory()
    assert heap > 1.5 * 1024 ** 3


@pytest.mark.parametrize("value", ["", "a'b", "back\\slash", "50%_x", "中文\n换行", '"quoted"'])
def test_string_literals_survive_sparks_parser(spark_session, value):
    assert spark_session.sql(f"SELECT {S.literal(value)} AS v").collect()[0].v == value


def test_literals_of_every_parameter_kind(spark_session):
    row = spark_session.sql(
        f"SELECT {S.literal(dt.date(2025, 12, 31))} + {S.literal(dt.timedelta(days=28))} AS d, "
        f"{S.literal(dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))))} AS t, "
        f"{S.literal(True)} AS b, {S.literal(None)} AS n").collect()[0]
    assert row.d == dt.date(2026, 1, 28)
    assert row.b is True and row.n is None
    with pytest.raises(S.SparkError):
        S.literal(dt.timedelta(hours=3))


def test_the_sql_is_the_engines_own(db):
    """No indicator is declared twice: Spark runs the engine's querysets compiled for PostgreSQL."""
    period = periods.parse("2025")
    querysets = S.catalogue_querysets(engine.all_indicators(), period)
    families = {ind.family.code for ind in engine.all_indicators()}
    assert len(querysets) == 2 * len(families) + 1      # stayed + moved per family, and the base data
    text = S.to_sql(querysets[0])
    assert '"records_record"' in text and "%s" not in text and "::" not in text
    assert "records_record" in S.catalogue_tables(period)


def test_command_prints_the_figures(district, spark_session, tmp_path, capsys):  # noqa: F811
    district.make(**COMPLETE)
    call_command("spark_indicators", "--period", "2025", "--level", "institution", "--indicator",
                 "electronic_record_rate", "--export", str(tmp_path / "x"), "--json")
    data = json.loads(capsys.readouterr().out)
    rows = {r["code"]: (r["numerator"], r["denominator"]) for r in data[0]["rows"]}
    assert rows["C001"] == (1, 10)
