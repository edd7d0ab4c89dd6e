"""The JSON API: OpenAPI schema, token auth, search/read/create/update, lifecycle, households."""

import datetime as dt
import json

import pytest
from django.core.management import call_command

from jkda.access.models import ApiToken

from .conftest import make_id, resident_data


@pytest.fixture
def api(client, city):
    token = ApiToken.issue(city.doctor)

    def call(method, path, body=None, token_=token):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token_}"} if token_ else {}
        kwargs = {"content_type": "application/json", "data": json.dumps(body, default=str)} if body is not None else {}
        return getattr(client, method)(f"/api{path}", **kwargs, **headers)

    return call


def new_record_payload(city, **over):
    data = resident_data(**over)
    return {"resident": data, "institution_code": city.centre.code, "village_code": city.v1.code}


def test_openapi_schema_is_served(client, db):
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 200
    schema = resp.json()
    assert "/api/records" in schema["paths"] and "/api/records/{number}/close" in schema["paths"]
    # the resident schema is derived from the model declaration: every form field is there
    props = schema["components"]["schemas"]["ResidentOut"]["properties"]
    for field in ("id_number", "ethnicity", "payment", "past_diseases", "family_history", "livestock_pen"):
        assert field in props
    assert client.get("/api/docs").status_code == 200


def test_token_required(api, city):
    assert api("get", "/records", token_=None).status_code == 401
    assert api("get", "/records", token_="jkda_wrong").status_code == 401


def test_create_read_search_update(api, city):
    resp = api("post", "/records", new_record_payload(city, past_diseases=[{"code": "2", "date": "2015-03"}]))
    assert resp.status_code == 201, resp.content
    rec = resp.json()
    assert rec["number"].startswith(city.v1.code) and rec["resident"]["sex"] in ("1", "2")
    number = rec["number"]
    assert api("get", f"/records/{number}").json()["resident"]["past_diseases"][0]["code"] == "2"
    found = api("get", "/records?q=zsf").json()
    assert found["count"] == 1 and found["results"][0]["number"] == number
    upd = api("patch", f"/records/{number}", {"version": 1, "changes": {"phone": "13800000000"}})
    assert upd.status_code == 200 and upd.json()["resident"]["phone"] == "138****0000"  # masked (access.masking)
    assert api("get", f"/records/{number}?reveal=1").json()["resident"]["phone"] == "13800000000"
    stale = api("patch", f"/records/{number}", {"version": 1, "changes": {"phone": "13700000000"}})
    assert stale.status_code == 409 and "errors" in stale.json()
    hist = api("get", f"/records/{number}/history").json()
    assert [h["kind"] for h in hist] == ["updated", "established"]
    assert hist[0]["changes"]["phone"] == ["139****5678", "138****0000"]
    hist = api("get", f"/records/{number}/history?reveal=1").json()
    assert hist[0]["changes"]["phone"] == ["13912345678", "13800000000"]


@pytest.mark.parametrize("over,field", [
    ({"id_number": "320506199003071234"}, "id_number"),
    ({"id_number": "", "birth_date": "2099-01-01", "sex": "1"}, "birth_date"),
    ({"ethnicity": "99"}, "ethnicity"),
    ({"payment": ["1", "77"]}, "payment"),
])
def test_bad_input_is_422_with_field_errors(api, city, over, field):
    resp = api("post", "/records", new_record_payload(city, **over))
    assert resp.status_code == 422
    assert field in resp.json()["errors"]


def test_malformed_json_is_not_a_500(api, client, city):
    token = ApiToken.issue(city.doctor)
    resp = client.post("/api/records", data="{not json", content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code in (400, 422)
    resp = api("post", "/records", {"resident": {"name": "x"}})
    assert resp.status_code == 422


def test_duplicate_is_409_with_pointer(api, city):
    idn = make_id()
    first = api("post", "/records", new_record_payload(city, id_number=idn)).json()
    resp = api("post", "/records", new_record_payload(city, id_number=idn, name="李四"))
    assert resp.status_code == 409 and resp.json()["existing_record"] == first["number"]


def test_lifecycle(api, city):
    number = api("post", "/records", new_record_payload(city)).json()["number"]
    resp = api("post", f"/records/{number}/close", {"reason": "2", "closed_on": "2025-02-01", "note": "迁往外省"})
    assert resp.status_code == 200 and resp.json()["status"] == "closed"
    assert api("post", f"/records/{number}/close", {"reason": "2", "closed_on": "2025-02-01"}).status_code == 422
    assert api("post", f"/records/{number}/reopen", {"reason": "返回"}).json()["status"] == "active"
    resp = api("post", f"/records/{number}/transfer", {"to_institution_code": city.hospital.code,
                                                        "village_code": city.v3.code, "reason": "迁居"})
    assert resp.status_code == 200 and resp.json()["institution_code"] == city.hospital.code
    # now outside the centre's scope
    assert api("get", f"/records/{number}").status_code == 404


def test_scope_hides_other_institutions(api, city, establish):
    rec = establish(institution=city.hospital, village=city.v3, actor=city.town_doctor)
    assert api("get", f"/records/{rec.number}").status_code == 404
    assert api("get", f"/records?q={rec.resident.id_number}").json()["count"] == 0


def test_households(api, city):
    a = api("post", "/records", new_record_payload(city, name="王大")).json()["number"]
    b = api("post", "/records", new_record_payload(city, name="刘二", id_number=make_id(male=False))).json()["number"]
    hh = api("post", "/households", {"institution_code": city.centre.code, "village_code": city.v1.code,
                                     "address": "新家路5号", "head_record": a})
    assert hh.status_code == 201
    number = hh.json()["number"]
    resp = api("post", f"/households/{number}/members", {"record": b, "relation": "10"})
    assert resp.status_code == 200
    assert {m["name"] for m in resp.json()["members"]} == {"王大", "刘二"}
    assert api("post", f"/households/{number}/members", {"record": b, "relation": "55"}).status_code == 422
    resp = api("post", f"/households/{number}/members/remove", {"record": b})
    assert [m["name"] for m in resp.json()["members"]] == ["王大"]
    assert api("get", f"/records/{a}").json()["household_number"] == number


def test_token_command(city, capsys):
    call_command("token", "doctor")
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("jkda_") and ApiToken.authenticate(raw) == city.doctor


def test_read_only_role_cannot_write(client, city):
    token = ApiToken.issue(city.bureau_user)
    resp = client.post("/api/records", data=json.dumps(new_record_payload(city), default=str),
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 403


def test_date_fields(api, city):
    resp = api("post", "/records", {**new_record_payload(city), "established_on": str(dt.date(2099, 1, 1))})
    assert resp.status_code == 422
