"""The record's life: establish, update with history, transfer, close, reopen, hand over; no deletes."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from jkda.records import actions
from jkda.records.models import Household, Record, RecordEvent, Resident

from .conftest import make_id, resident_data


def test_establish_derives_birth_date_and_sex(establish):
    idn = make_id(birth=dt.date(1948, 2, 29), male=False)
    rec = establish(id_number=idn)
    r = rec.resident
    assert r.birth_date == dt.date(1948, 2, 29) and r.sex == "2"
    assert r.name_pinyin == "zhangsanfeng" and r.name_initials == "zsf"
    assert rec.status == "active" and rec.established_by_name == "王医生"
    assert rec.events.get().kind == RecordEvent.Kind.ESTABLISHED
    assert r.form_version == "2017-3"


def test_mismatched_birth_date_and_sex_are_refused(establish):
    idn = make_id(birth=dt.date(1960, 1, 1), male=True)
    with pytest.raises(ValidationError) as exc:
        establish(id_number=idn, birth_date=dt.date(1961, 1, 1), sex="2")
    assert {"birth_date", "sex"} <= set(exc.value.error_dict)
    assert Resident.objects.count() == 0 and Record.objects.count() == 0


def test_resident_without_id_number(establish):
    rec = establish(id_number="", name="李小宝", birth_date=dt.date(2026, 1, 3), sex="1")
    assert rec.resident.id_number is None
    rec2 = establish(id_number="", name="王小宝", birth_date=dt.date(2026, 2, 3), sex="2")
    assert rec2.number != rec.number


def test_without_id_number_birth_date_is_required(establish):
    with pytest.raises(ValidationError) as exc:
        establish(id_number="", name="无名")
    assert "birth_date" in exc.value.error_dict and "sex" in exc.value.error_dict


@pytest.mark.parametrize("field,value", [
    ("birth_date", dt.date(2099, 1, 1)),
    ("ethnicity", "77"),
    ("payment", ["1", "42"]),
    ("drug_allergy", ["1", "2"]),
    ("phone", "12345"),
    ("past_diseases", [{"code": "2"}]),
    ("past_diseases", [{"code": "2", "date": "2099-01"}]),
    ("family_history", {"uncle": ["2"]}),
    ("operations", [{"name": "阑尾切除", "date": "not a date"}]),
])
def test_bad_values_are_refused_with_a_message(establish, field, value):
    extra = {"id_number": ""} if field == "birth_date" else {}
    with pytest.raises(ValidationError) as exc:
        establish(**{field: value, "sex": "1", **extra} if field == "birth_date" else {field: value})
    assert field in exc.value.error_dict
    assert all(exc.value.error_dict[field])


def test_other_item_must_be_named(establish):
    with pytest.raises(ValidationError) as exc:
        establish(drug_allergy=["5"])
    assert "drug_allergy_other" in exc.value.error_dict
    rec = establish(drug_allergy=["2", "5"], drug_allergy_other="头孢")
    assert rec.resident.drug_allergy == ["2", "5"]


def test_full_form_round_trip(establish):
    rec = establish(
        work_unit="吴中区第一中学", contact_name="张二", contact_phone="0512-66554433", ethnicity="03", abo="4", rh="2",
        education="2", occupation="1", marital_status="2", payment=["1", "5"], exposure=["2"],
        exposure_detail="苯", past_diseases=[{"code": "2", "date": "2015-03"}, {"code": "3", "date": "2018-11"}],
        operations=[{"name": "阑尾切除术", "date": "2001-05-02"}], injuries=[], transfusions=[],
        family_history={"father": ["2", "7"], "mother": ["1"], "siblings": [], "children": ["1"]},
        genetic_disease="", disability=["1"], kitchen_exhaust="2", fuel="3", drinking_water="1", toilet="1",
        livestock_pen="1", registered_address="苏州市吴中区木渎镇",
    )
    r = Resident.objects.get(pk=rec.resident_id)
    assert r.past_diseases[1] == {"code": "3", "date": "2018-11"}
    assert r.family_history["father"] == ["2", "7"]
    assert r.get_abo_display() == "AB型"


def test_duplicate_id_number_points_to_the_existing_record(establish):
    idn = make_id()
    first = establish(id_number=idn)
    with pytest.raises(actions.DuplicateIdNumber) as exc:
        establish(id_number=idn, name="李四")
    assert exc.value.record == first
    assert first.number in exc.value.messages[0]
    # lower-case x is the same number
    assert Resident.objects.count() == 1


def test_database_refuses_duplicate_id_even_past_the_check(establish):
    idn = make_id()
    establish(id_number=idn)
    r = Resident(**resident_data(id_number=idn))
    with pytest.raises(IntegrityError):
        r.save()


def test_update_keeps_history_and_refuses_stale_edits(city, establish):
    rec = establish()
    v = rec.resident.version
    actions.update_resident(city.doctor, rec, {"phone": "13800000000", "abo": "1"}, expected_version=v)
    rec.refresh_from_db()
    assert rec.resident.phone == "13800000000" and rec.resident.version == v + 1
    ev = rec.events.filter(kind="updated").get()
    assert ev.changes["phone"] == ["13912345678", "13800000000"] and ev.actor == city.doctor
    # simple-history keeps full snapshots with who and when
    assert rec.resident.history.count() == 2
    assert rec.resident.history.first().history_user is None or rec.resident.history.first().phone == "13800000000"
    # the second user edits from the old version: refused, nothing overwritten
    with pytest.raises(actions.StaleEdit):
        actions.update_resident(city.manager, rec, {"phone": "13700000000"}, expected_version=v)
    rec.resident.refresh_from_db()
    assert rec.resident.phone == "13800000000"


def test_update_validates_like_establish(city, establish):
    rec = establish()
    with pytest.raises(ValidationError):
        actions.update_resident(city.doctor, rec, {"birth_date": dt.date(1900, 1, 1)},
                                expected_version=rec.resident.version)
    with pytest.raises(ValidationError):
        actions.update_resident(city.doctor, rec, {"number": "1"}, expected_version=rec.resident.version)


def test_transfer_keeps_number_and_history(city, establish):
    rec = establish()
    number = rec.number
    actions.transfer_record(city.doctor, rec, to_institution=city.hospital, village=city.v3, reason="迁居木渎镇")
    rec.refresh_from_db()
    assert rec.number == number and rec.institution == city.hospital and rec.village == city.v3
    ev = rec.events.get(kind="transferred")
    assert ev.from_institution == city.centre and ev.to_institution == city.hospital
    # the centre no longer manages it
    with pytest.raises(PermissionDenied):
        actions.transfer_record(city.doctor, rec, to_institution=city.centre, reason="x")


def test_transfer_needs_reason_and_a_clinic(city, establish):
    rec = establish()
    with pytest.raises(ValidationError):
        actions.transfer_record(city.doctor, rec, to_institution=city.hospital, reason=" ")
    with pytest.raises(ValidationError):
        actions.transfer_record(city.doctor, rec, to_institution=city.bureau, reason="x")
    with pytest.raises(ValidationError):
        actions.transfer_record(city.doctor, rec, to_institution=city.centre, reason="x")


def test_close_and_reopen(city, establish):
    rec = establish()
    with pytest.raises(ValidationError):
        actions.close_record(city.manager, rec, reason="1", closed_on=dt.date(2099, 1, 1))
    with pytest.raises(ValidationError):
        actions.close_record(city.manager, rec, reason="7", closed_on=dt.date(2025, 1, 1))
    actions.close_record(city.manager, rec, reason="1", closed_on=dt.date(2025, 6, 1), note="病故")
    rec.refresh_from_db()
    assert rec.status == "closed" and rec.close_reason == "1" and rec.closed_on == dt.date(2025, 6, 1)
    assert Record.objects.filter(institution=city.centre, status="active").count() == 0
    assert Record.objects.count() == 1  # never deleted
    with pytest.raises(ValidationError):
        actions.close_record(city.manager, rec, reason="2", closed_on=dt.date(2025, 6, 1))
    with pytest.raises(ValidationError):
        actions.transfer_record(city.manager, rec, to_institution=city.hospital, reason="x")
    actions.reopen_record(city.manager, rec, reason="误结案")
    rec.refresh_from_db()
    assert rec.status == "active" and rec.closed_on is None
    assert [e.kind for e in rec.events.order_by("id")] == ["established", "closed", "reopened"]


def test_no_code_path_deletes(establish):
    rec = establish()
    for obj in (rec, rec.resident, rec.events.first()):
        with pytest.raises(ValidationError):
            obj.delete()
    with pytest.raises(ValidationError):
        Record.objects.all().delete()
    with pytest.raises(ValidationError):
        Resident.objects.filter(pk=rec.resident_id).delete()
    assert Record.objects.count() == 1


def test_read_only_roles_and_outsiders_cannot_write(city, establish):
    rec = establish()
    with pytest.raises(PermissionDenied):
        actions.update_resident(city.bureau_user, rec, {"phone": "13800000000"}, expected_version=1)
    with pytest.raises(PermissionDenied):
        actions.close_record(city.town_doctor, rec, reason="1", closed_on=dt.date(2025, 1, 1))
    with pytest.raises(PermissionDenied):
        establish(actor=city.station_doctor)  # the station may not establish for its centre


def test_centre_may_work_on_station_records(city, establish):
    rec = establish(actor=city.station_doctor, institution=city.station)
    actions.update_resident(city.doctor, rec, {"phone": "13800000001"}, expected_version=1)


def test_hand_over_whole_institution(city, establish):
    recs = [establish(institution=city.station) for _ in range(3)]
    closed = establish(institution=city.station)
    actions.close_record(city.manager, closed, reason="2", closed_on=dt.date(2025, 1, 1))
    hh = actions.create_household(city.manager, institution=city.station, village=city.v1, address="新家路2号",
                                  head=recs[0])
    n = actions.hand_over_institution(city.manager, city.station, city.centre, reason="站点撤并")
    assert n == 4
    assert Record.objects.filter(institution=city.station).count() == 0
    assert Record.objects.filter(institution=city.centre).count() == 4
    assert Household.objects.get(pk=hh.pk).institution == city.centre
    city.station.refresh_from_db()
    assert not city.station.active and city.station.successor == city.centre
    assert RecordEvent.objects.filter(kind="handed_over").count() == 4
    assert Record.objects.get(pk=closed.pk).status == "closed"


def test_hand_over_is_all_or_nothing(city, establish, monkeypatch):
    for _ in range(3):
        establish(institution=city.station)

    def boom(*a, **k):
        raise RuntimeError("power cut")

    monkeypatch.setattr(RecordEvent.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        actions.hand_over_institution(city.manager, city.station, city.centre)
    assert Record.objects.filter(institution=city.station).count() == 3
    city.station.refresh_from_db()
    assert city.station.active


def test_doctor_cannot_hand_over(city):
    with pytest.raises(PermissionDenied):
        actions.hand_over_institution(city.doctor, city.station, city.centre)


def test_households(city, establish):
    head = establish(name="王大")
    wife = establish(name="刘二", id_number=make_id(male=False))
    hh = actions.create_household(city.doctor, institution=city.centre, village=city.v1, address="新家路3号",
                                  head=head)
    actions.add_member(city.doctor, hh, wife, relation="10")
    hh.refresh_from_db()
    assert hh.head == head.resident
    assert {(m.name, m.relation_to_head) for m in hh.members.all()} == {("王大", "02"), ("刘二", "10")}
    with pytest.raises(ValidationError):
        actions.add_member(city.doctor, hh, wife, relation="02")  # a second head
    other = actions.create_household(city.doctor, institution=city.centre, village=city.v1, address="新家路4号")
    with pytest.raises(ValidationError):
        actions.add_member(city.doctor, other, wife, relation="02")  # already in a household
    actions.remove_member(city.doctor, hh, wife)
    actions.add_member(city.doctor, other, wife, relation="02")
    assert other.number != hh.number and other.number.startswith(city.v1.code)


def test_duplicate_outside_scope_names_only_the_institution(city, establish):
    idn = make_id()
    first = establish(id_number=idn, name="张三丰")
    with pytest.raises(actions.DuplicateIdNumber) as exc:
        establish(actor=city.town_doctor, institution=city.hospital, village=city.v3, id_number=idn, name="张三丰")
    message = exc.value.messages[0]
    assert exc.value.record is None
    assert first.number not in message and "张三丰" not in message and city.centre.name in message
