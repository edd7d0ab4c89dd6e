"""The services core with a real form (the encounter): latest-service date, "in use", stale edits, the generic
pages and API, the registry check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from jkda.records.models import Record
from jkda.records.rules import today
from jkda.services import actions
from jkda.services.base import age_label, check_registry, model_for, service_models
from jkda.services.clinical.models import Encounter
from jkda.services.timeline import in_use, months_before, usage_window_start

SOAP = {"subjective": "头晕三天", "assessment": "高血压"}


def enc(record, actor, days_ago, **over):
    return actions.record_service(Encounter, record, actor,
                                  {"service_date": today() - dt.timedelta(days=days_ago), **SOAP, **over})


def test_registry_is_consistent():
    assert check_registry() == []
    kinds = [m.kind for m in service_models()]
    assert len(kinds) == len(set(kinds)) and {"exam", "hypertension_followup", "encounter"} <= set(kinds)
    assert model_for("encounter") is Encounter


def test_latest_service_date_only_moves_forward_and_in_use(city, establish):
    rec = establish()
    assert not in_use(rec, today())
    enc(rec, city.doctor, 30)
    enc(rec, city.doctor, 200)  # filled late: does not lower the date
    rec.refresh_from_db()
    assert rec.last_service_on == today() - dt.timedelta(days=30) and in_use(rec, today())
    later = today() + dt.timedelta(days=400)
    assert not in_use(rec, later)


@pytest.mark.parametrize("as_of,start", [
    (dt.date(2026, 6, 30), dt.date(2025, 6, 30)), (dt.date(2024, 2, 29), dt.date(2023, 2, 28)),
    (dt.date(2026, 3, 31), dt.date(2025, 3, 31)),
])
def test_usage_window(as_of, start):
    assert usage_window_start(as_of) == start == months_before(as_of, 12)


def test_in_use_boundary(city, establish):
    rec = establish()
    as_of = today()
    Record.objects.filter(pk=rec.pk).update(last_service_on=usage_window_start(as_of))
    rec.refresh_from_db()
    assert not in_use(rec, as_of)  # exactly twelve months ago: out
    Record.objects.filter(pk=rec.pk).update(last_service_on=usage_window_start(as_of) + dt.timedelta(days=1))
    rec.refresh_from_db()
    assert in_use(rec, as_of)


def test_recompute_after_a_bulk_load(city, establish):
    rec = establish()
    obj = enc(rec, city.doctor, 10)
    Record.objects.filter(pk=rec.pk).update(last_service_on=None)
    assert actions.recompute_last_service() >= 1
    rec.refresh_from_db()
    assert rec.last_service_on == obj.service_date


def test_stale_edit_and_system_fields(city, establish):
    rec = establish()
    obj = enc(rec, city.doctor, 5)
    actions.update_service(obj, city.doctor, {"plan": "复查血压"}, expected_version=1)
    with pytest.raises(ValidationError) as exc:
        actions.update_service(obj, city.doctor, {"plan": "别的"}, expected_version=1)
    assert exc.value.code == "stale"
    with pytest.raises(ValidationError):
        actions.record_service(Encounter, rec, city.doctor, {"nosuch": 1, **SOAP, "service_date": today()})


def test_generic_pages_and_api(client, city, establish):
    rec = establish()
    client.force_login(city.doctor)
    page = client.get(f"/records/{rec.number}/").content.decode()
    assert 'id="new-encounter"' in page and 'id="no-services"' in page
    r = client.post(f"/records/{rec.number}/services/encounter/new/", {
        "service_date": (today() + dt.timedelta(days=1)).isoformat(), **SOAP})
    assert "服务日期不能晚于今天" in r.content.decode()
    r = client.post(f"/records/{rec.number}/services/encounter/new/", {"service_date": today().isoformat(), **SOAP})
    assert r.status_code == 302
    obj = Encounter.objects.get()
    page = client.get(f"/records/{rec.number}/").content.decode()
    assert 'id="timeline"' in page and "动态使用" in page
    r = client.get(f"/api/records/{rec.number}/services")
    assert [(e["kind"], e["id"]) for e in r.json()] == [("encounter", obj.pk)]
    r = client.patch(f"/api/services/encounter/{obj.pk}", {"version": 1, "plan": "两周后复诊"},
                     content_type="application/json")
    assert r.status_code == 200 and r.json()["version"] == 2
    r = client.patch(f"/api/services/encounter/{obj.pk}", {"version": 1, "plan": "x"},
                     content_type="application/json")
    assert r.status_code == 409
    r = client.post(f"/api/records/{rec.number}/services/encounter", {"service_date": "2026-02-30", **SOAP},
                    content_type="application/json")
    assert r.status_code == 422 and "service_date" in str(r.json())
    client.force_login(city.town_doctor)  # outside the jurisdiction: not found
    assert client.get(f"/services/encounter/{obj.pk}/").status_code == 404
    assert client.get(f"/api/services/encounter/{obj.pk}").status_code == 404


@pytest.mark.parametrize("birth,on,label", [
    (dt.date(2026, 1, 1), dt.date(2026, 1, 20), "19天"), (dt.date(2025, 1, 31), dt.date(2026, 1, 30), "11月龄"),
    (dt.date(2020, 5, 5), dt.date(2026, 5, 5), "6岁"),
])
def test_age_label(birth, on, label):
    with translation.override("zh-hans"):
        assert age_label(birth, on) == label
