"""Search by name, pinyin, ID number, phone and record number, within the user's scope."""

import datetime as dt

import pytest

from jkda.records import actions
from jkda.records.search import classify, search_records

from .conftest import make_id


@pytest.fixture
def people(city, establish):
    return {
        "zsf": establish(name="张三丰", phone="13912345678", id_number=make_id(dt.date(1950, 1, 2))),
        "zsl": establish(name="张三李", phone="13912340000", id_number=make_id(dt.date(1970, 3, 4))),
        "lm": establish(name="李明", phone="0512-66778899", id_number=make_id(dt.date(1980, 5, 6), male=False)),
        "station": establish(name="赵四", phone="13600000000", institution=city.station, actor=city.station_doctor),
        "town": establish(name="张三丰", institution=city.hospital, village=city.v3, actor=city.town_doctor),
    }


def names(qs):
    return sorted(r.resident.name for r in qs)


def test_pinyin_initials_and_full_pinyin(city, people):
    assert [r.number for r in search_records(city.doctor, "zsf")] == [people["zsf"].number]
    assert [r.number for r in search_records(city.doctor, "zhangsanfeng")] == [people["zsf"].number]
    assert [r.number for r in search_records(city.doctor, "ZSF")] == [people["zsf"].number]
    assert names(search_records(city.doctor, "zs")) == ["张三丰", "张三李", "赵四"]
    assert names(search_records(city.doctor, "zhangsan")) == ["张三丰", "张三李"]


def test_name_exact_and_prefix(city, people):
    assert names(search_records(city.doctor, "张三丰")) == ["张三丰"]
    assert names(search_records(city.doctor, "张三")) == ["张三丰", "张三李"]


def test_id_number_whole_and_last_six(city, people):
    idn = people["lm"].resident.id_number
    assert [r.number for r in search_records(city.doctor, idn)] == [people["lm"].number]
    assert [r.number for r in search_records(city.doctor, idn[-6:])] == [people["lm"].number]
    assert [r.number for r in search_records(city.doctor, idn.lower())] == [people["lm"].number]


def test_record_number_whole_and_last_eight(city, people):
    n = people["zsl"].number
    assert [r.number for r in search_records(city.doctor, n)] == [n]
    assert [r.number for r in search_records(city.doctor, n[-8:])] == [n]
    assert [r.number for r in search_records(city.doctor, f"{n[-8:-5]}-{n[-5:]}")] == [n]


def test_phone(city, people):
    assert names(search_records(city.doctor, "13912345678")) == ["张三丰"]
    assert names(search_records(city.doctor, "0512-66778899")) == ["李明"]


def test_scope(city, people):
    # the centre sees its station; the station does not see the centre; the town sees only its own
    assert "赵四" in names(search_records(city.doctor, ""))
    assert names(search_records(city.station_doctor, "")) == ["赵四"]
    assert [r.number for r in search_records(city.town_doctor, "zsf")] == [people["town"].number]
    # the district bureau sees all its institutions
    assert len(search_records(city.bureau_user, "zsf")) == 2
    assert len(search_records(city.admin, "zsf")) == 0  # the superuser flag opens no records (access.roles)


def test_filters(city, people):
    actions.close_record(city.manager, people["zsl"], reason="1", closed_on=dt.date(2025, 1, 1))
    assert names(search_records(city.doctor, "zhangsan", status="active")) == ["张三丰"]
    assert names(search_records(city.doctor, "zhangsan", status="closed")) == ["张三李"]
    assert names(search_records(city.doctor, "", sex="2")) == ["李明"]
    assert "张三丰" in names(search_records(city.doctor, "", age_min=65))
    assert "李明" not in names(search_records(city.doctor, "", age_min=65))
    assert names(search_records(city.doctor, "", institution_id=city.station.id)) == ["赵四"]


def test_nonsense_finds_nothing(city, people):
    assert list(search_records(city.doctor, "!!@@")) == []
    assert classify("") == []


def test_surnames_take_their_surname_reading(city, establish):
    rec = establish(name="曾小明")
    assert rec.resident.name_pinyin == "zengxiaoming" and rec.resident.name_initials == "zxm"
    assert [r.number for r in search_records(city.doctor, "zengxiaoming")] == [rec.number]


def test_prefix_lookup_uses_an_index(city, people, tmp_path):
    """The prefix queries within the user's institutions are ranges on (institution, key), not a scan of every
    resident with that prefix city-wide (2M in a city)."""
    from django.db import connection

    from jkda.access.scope import visible_institution_ids
    from jkda.exchange.residents import ResidentImport
    from jkda.records.models import Record

    from .test_import import write_csv
    from .test_import_indexes import people as others

    # the institution holds many records besides the two found, as a real one does: then the planner prefers the
    # range on the key to reading all of the institution's records, whatever statistics it has
    assert ResidentImport(str(write_csv(tmp_path / "others.csv", others(400, "甲")))).run().imported == 400
    qs = search_records(city.doctor, "zhangs")
    assert len(qs) == 2
    insts = visible_institution_ids(city.doctor)
    for query, index in (("zhangs", "record_inst_pinyin"), ("zs", "record_inst_initials"), ("张", "record_inst_name")):
        lookup = classify(query)[-1]
        plan = Record.objects.filter(lookup, institution_id__in=insts).explain()
        if connection.vendor == "postgresql":
            # a few rows make a sequential scan cheapest: the plan must still be able to use the index. The
            # statistics are this test's own (earlier tests' churn may have had autovacuum analyse the table while
            # it held other rows, and then another index can look as cheap)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE records_record")
                cursor.execute("SET LOCAL enable_seqscan = off")
            plan = Record.objects.filter(lookup, institution_id__in=insts).explain()
        assert index in plan, plan


def test_renamed_resident_is_found_by_the_new_name_only(city, people):
    """The record's copies of the search keys follow a change of name made through the basic-information form."""
    from jkda.records import actions

    rec = people["lm"]
    actions.update_resident(city.doctor, rec, {"name": "王小明"}, expected_version=rec.resident.version)
    rec.refresh_from_db()
    assert (rec.resident_name, rec.resident_pinyin, rec.resident_initials) == ("王小明", "wangxiaoming", "wxm")
    for query in ("王小明", "wxm", "wangxiao", "王"):
        assert [r.number for r in search_records(city.doctor, query)] == [rec.number], query
    for query in ("李明", "lm", "liming"):
        assert rec.number not in [r.number for r in search_records(city.doctor, query)], query


@pytest.mark.django_db
def test_resident_and_record_carry_no_unused_indexes():
    """Every index of the two tables an import writes serves a lookup (records.0008): no single-column index on the
    record's institution (the (institution, ...) indexes serve it) and, on PostgreSQL, no LIKE companion
    (varchar_pattern_ops) beside the equality indexes; the three search-key indexes keep theirs."""
    from django.db import connection

    with connection.cursor() as cursor:
        record = connection.introspection.get_constraints(cursor, "records_record")
        resident = connection.introspection.get_constraints(cursor, "records_resident")
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename IN ('records_record', 'records_resident') "
                           "AND indexdef LIKE '%%varchar_pattern_ops%%' ORDER BY indexname")
            assert [r[0] for r in cursor.fetchall()] == ["record_inst_initials", "record_inst_name",
                                                          "record_inst_pinyin"]
    assert not [n for n, c in record.items() if c["index"] and c["columns"] == ["institution_id"]]
    # each looked-up column keeps exactly one index
    for table, columns in ((record, ("number", "number_last8", "status", "resident_id")),
                           (resident, ("name", "id_number", "id_last6", "phone"))):
        for column in columns:
            assert len([n for n, c in table.items() if c["columns"] == [column] and (c["index"] or c["unique"])
                        and not c["primary_key"]]) == 1, column
