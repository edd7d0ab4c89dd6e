"""Shared fixtures: a small district with a bureau, a centre and its station, a township hospital and its
village clinic, staff at each, and a factory for valid residents."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from jkda.codes import idnumber
from jkda.records import actions
from jkda.records.models import Resident
from jkda.regions.models import Division, Institution, Staff

PASSWORD = "Jkda-test-pass-2026"


@pytest.fixture
def city(db):
    """A county with two townships, each with villages, and the institutions that serve them."""
    county = Division.objects.create(code="320506", name="吴中区", level="county")
    street = Division.objects.create(code="320506001", name="长桥街道", level="township", parent=county)
    town = Division.objects.create(code="320506101", name="木渎镇", level="township", parent=county)
    v1 = Division.objects.create(code="320506001001", name="新家社区", level="village", parent=street)
    v2 = Division.objects.create(code="320506001002", name="龙西社区", level="village", parent=street)
    v3 = Division.objects.create(code="320506101101", name="金星村", level="village", parent=town)
    bureau = Institution.objects.create(code="B320506", name="吴中区卫生健康局", kind="bureau", division=county)
    centre = Institution.objects.create(code="C001", name="长桥社区卫生服务中心", kind="chc", division=street,
                                        parent=bureau)
    station = Institution.objects.create(code="S001", name="新家社区卫生服务站", kind="chs", division=v1,
                                         parent=centre)
    hospital = Institution.objects.create(code="T101", name="木渎镇卫生院", kind="thc", division=town, parent=bureau)
    clinic = Institution.objects.create(code="V101", name="金星村卫生室", kind="vc", division=v3, parent=hospital)

    def staff(username, inst, role="doctor", **kw):
        return Staff.objects.create_user(username=username, password=PASSWORD, institution=inst, role=role,
                                         full_name=kw.pop("full_name", username), **kw)

    class City:
        pass

    c = City()
    c.county, c.street, c.town, c.v1, c.v2, c.v3 = county, street, town, v1, v2, v3
    c.bureau, c.centre, c.station, c.hospital, c.clinic = bureau, centre, station, hospital, clinic
    c.doctor = staff("doctor", centre, full_name="王医生")
    c.station_doctor = staff("station_doctor", station, full_name="李医生")
    c.town_doctor = staff("town_doctor", hospital, full_name="赵医生")
    c.manager = staff("manager", centre, role="record_manager", full_name="钱管理")
    c.bureau_user = staff("bureau", bureau, role="bureau", full_name="孙科长")
    c.admin = Staff.objects.create_superuser(username="admin", password=PASSWORD, full_name="系统管理员")
    return c


_seq = itertools.count(1)


def make_id(birth=dt.date(1960, 5, 17), male=True, address="320506") -> str:
    n = next(_seq) % 500
    return idnumber.make(address, birth, n * 2 + (1 if male else 0))


def resident_data(**overrides) -> dict:
    data = {
        "name": "张三丰",
        "current_address": "苏州市吴中区新家路1号",
        "residence_type": "1",
        "phone": "13912345678",
        "payment": ["2"],
        "drug_allergy": ["1"],
        "id_number": make_id(),
    }
    data.update(overrides)
    return data


@pytest.fixture
def establish(city):
    """establish(**fields) → a Record at the centre, village v1, by the centre's doctor."""

    def _establish(actor=None, institution=None, village=None, **fields):
        return actions.establish_record(
            actor or city.doctor, Resident(**resident_data(**fields)),
            institution=institution or city.centre, village=village or city.v1,
        )

    return _establish


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (Chinese), whatever an earlier test activated."""
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    """Argon2 is the production hasher (see test_settings); tests hash with MD5 to stay fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def login_verified(client, user):
    """Log a user in with a confirmed TOTP device and a verified session (administrators need the second factor)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client
