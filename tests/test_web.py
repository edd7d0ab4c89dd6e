"""The web UI through Django's test client: login, list and search, establish, record page, edit, lifecycle
actions, households, the card link and the error pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from jkda.codes import idnumber
from jkda.records import actions
from jkda.records.forms import EditForm, FamilyHistoryWidget, RowsWidget, all_section_names
from jkda.records.models import Record, RecordEvent
from jkda.records.rules import today

from .conftest import PASSWORD, make_id


def zh(msgid: str, **params) -> str:
    """A message as the Chinese UI shows it (whatever the catalogue holds today)."""
    with translation.override("zh-hans"):
        text = gettext(msgid)
    return text % params if params else text


def login(client, user):
    """Log in through the login form (django-axes checks every password login against its request)."""
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def html(resp) -> str:
    return resp.content.decode()


def establish_post(city, **overrides) -> dict:
    data = {
        "name": "张三丰",
        "current_address": "苏州市吴中区新家路1号",
        "registered_address": "",
        "phone": "13912345678",
        "residence_type": "1",
        "ethnicity": "01",
        "abo": "1",
        "rh": "2",
        "payment": ["2"],
        "drug_allergy": ["2"],
        "id_number": make_id(),
        "institution": str(city.centre.pk),
        "village": str(city.v1.pk),
        "responsible_doctor": str(city.doctor.pk),
        "established_on": today().isoformat(),
        "past_diseases-0-code": "2",
        "past_diseases-0-date": "2015-03",
        "past_diseases-0-note": "",
        "past_diseases-1-code": "",
        "past_diseases-1-date": "",
        "past_diseases-1-note": "",
        "operations-0-name": "阑尾切除",
        "operations-0-date": "2001-06-01",
        "family_history-father": ["2", "3"],
        "family_history-mother": ["7"],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def edit_post(record, **overrides) -> dict:
    """What the browser posts back from the edit page unchanged, plus overrides."""
    form = EditForm(instance=record.resident)
    data: dict = {}
    for bf in form:
        value = bf.value()
        widget = bf.field.widget
        if isinstance(widget, RowsWidget):
            for i, row in enumerate(value or []):
                for col in widget.columns:
                    data[f"{bf.name}-{i}-{col.key}"] = str(row.get(col.key, "") or "")
        elif isinstance(widget, FamilyHistoryWidget):
            for member, codes in (value or {}).items():
                data[f"{bf.name}-{member}"] = list(codes)
        elif isinstance(value, list):
            data[bf.name] = value
        elif isinstance(value, dt.date):
            data[bf.name] = value.isoformat()
        else:
            data[bf.name] = "" if value is None else str(value)
    data.update(overrides)
    return data


# --- login, language -----------------------------------------------------------------------------------------


def test_pages_require_login(client, establish):
    rec = establish()
    for url in ("/", "/records/new/", f"/records/{rec.number}/", f"/records/{rec.number}/edit/",
                f"/records/{rec.number}/card.pdf"):
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith("/login/"), url


def test_expired_session_htmx_request_goes_to_login(client, city):
    resp = client.get("/", {"q": "zsf"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert resp.status_code == 204 and resp["HX-Redirect"].startswith("/login/")


def test_login_ok_and_logout(client, city):
    resp = client.get("/login/")
    assert resp.status_code == 200 and 'id="login-submit"' in html(resp)
    resp = client.post("/login/", {"username": "doctor", "password": PASSWORD})
    assert resp.status_code == 302 and resp["Location"] == reverse("residents")
    page = client.get("/")
    assert page.status_code == 200 and "王医生" in html(page)
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_login_wrong_password_shows_chinese_error(client, city):
    resp = client.post("/login/", {"username": "doctor", "password": "wrong-password"})
    assert resp.status_code == 200
    body = html(resp)
    assert 'id="login-error"' in body
    assert "请输入一个正确的" in body  # Django's own zh_Hans message


def test_language_switch(client, city):
    login(client, city.doctor)
    assert '<html lang="zh-hans">' in html(client.get("/"))
    resp = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert resp.status_code == 302
    assert '<html lang="en">' in html(client.get("/"))


def test_htmx_is_served_locally(client, city):
    login(client, city.doctor)
    body = html(client.get("/"))
    assert "/static/django_htmx/htmx-2.min.js" in body
    assert not re.search(r'(src|href)="(https?:)?//', body)  # no CDN, no external fonts
    assert client.get("/static/django_htmx/htmx-2.min.js").status_code == 200
    assert client.get("/static/web/jkda.css").status_code == 200


# --- list and search -----------------------------------------------------------------------------------------


def test_list_shows_records_and_pinyin_search(client, city, establish):
    rec = establish(name="张三丰")
    establish(name="李四", id_number=make_id(male=False, birth=dt.date(1990, 1, 2)))
    login(client, city.doctor)
    body = html(client.get("/"))
    assert rec.number in body and "张三丰" in body and "李四" in body
    idn = rec.resident.id_number
    assert idn not in body and "13912345678" not in body  # identities are masked in lists
    assert f"{idn[:4]}**********{idn[-4:]}" in body and "139****5678" in body and city.centre.name in body
    assert 'id="q"' in body and 'id="results"' in body
    found = client.get("/", {"q": "zsf"})
    assert "张三丰" in html(found) and "李四" not in html(found)
    assert f'href="/records/{rec.number}/"' in html(found)


def test_live_search_returns_the_results_partial(client, city, establish):
    establish(name="张三丰")
    login(client, city.doctor)
    resp = client.get("/", {"q": "zsf"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    body = html(resp)
    assert resp.status_code == 200 and "张三丰" in body
    assert "<html" not in body and 'id="results-table"' in body


def test_filters(client, city, establish):
    old = establish(name="王老汉", id_number=make_id(birth=dt.date(1940, 3, 3)))
    young = establish(name="刘小妹", id_number=make_id(male=False, birth=dt.date(2000, 3, 3)), village=city.v2)
    actions.close_record(city.doctor, young, reason="2", closed_on=today())
    login(client, city.doctor)
    by_status = html(client.get("/", {"status": "closed"}))
    assert "刘小妹" in by_status and "王老汉" not in by_status
    by_sex = html(client.get("/", {"sex": "2"}))
    assert "刘小妹" in by_sex and "王老汉" not in by_sex
    by_age = html(client.get("/", {"age": "65-"}))
    assert "王老汉" in by_age and "刘小妹" not in by_age
    by_village = html(client.get("/", {"village": city.v2.code}))
    assert "刘小妹" in by_village and "王老汉" not in by_village
    by_inst = html(client.get("/", {"institution": city.station.pk}))
    assert old.number not in by_inst
    # nonsense filter values are ignored, not an error
    assert client.get("/", {"status": "nonsense", "age": "x", "page": "abc"}).status_code == 200


def test_village_filter_follows_the_institution_when_the_list_is_long(client, city, establish, monkeypatch):
    """A bureau that sees more villages than the filters list at once chooses an institution first and gets its
    villages (htmx swaps the list in); a village named in the address still filters without one."""
    from jkda.web import forms as web_forms

    establish(name="王老汉", id_number=make_id(birth=dt.date(1940, 3, 3)))
    establish(name="刘小妹", id_number=make_id(male=False, birth=dt.date(2000, 3, 3)), village=city.v2)
    login(client, city.doctor)  # the centre's area: 2 villages, listed at once
    page = html(client.get("/"))
    assert f'value="{city.v1.code}"' in page and f'value="{city.v2.code}"' in page

    monkeypatch.setattr(web_forms, "VILLAGES_LISTED", 2)
    client.logout()
    login(client, city.bureau_user)  # the county: 3 villages, more than listed at once
    page = html(client.get("/"))
    assert "选择机构后列出其村（居）" in page and f'value="{city.v1.code}"' not in page
    assert f'hx-get="{reverse("residents_options")}"' in page  # the institution list asks for the villages
    by_village = html(client.get("/", {"village": city.v2.code}))
    assert "刘小妹" in by_village and "王老汉" not in by_village
    assert f'<option value="{city.v2.code}" selected>' in by_village

    options = html(client.get(reverse("residents_options"), {"institution": city.hospital.pk}))
    assert 'id="id_village"' in options and 'hx-swap-oob="true"' in options
    assert f'value="{city.v3.code}"' in options and f'value="{city.v1.code}"' not in options
    chosen = html(client.get("/", {"institution": city.centre.pk}))  # without scripts: after sending the form
    assert f'value="{city.v1.code}"' in chosen and f'value="{city.v3.code}"' not in chosen
    # an institution outside the user's reach lists nothing of it
    client.logout()
    login(client, city.doctor)
    outside = html(client.get(reverse("residents_options"), {"institution": city.hospital.pk}))
    assert f'value="{city.v3.code}"' not in outside


def test_pagination(client, city, establish, settings):
    settings.JKDA_PAGE_SIZE = 2
    for i in range(3):
        establish(name=f"张{'一二三'[i]}", id_number=make_id(birth=dt.date(1970, 1, 1 + i)))
    login(client, city.doctor)
    first = html(client.get("/"))
    assert 'id="page-next"' in first and first.count('class="name"') == 2
    second = html(client.get("/", {"page": 2}))
    assert second.count('class="name"') == 1 and 'id="page-prev"' in second


def test_scope_centre_sees_station_but_not_the_reverse(client, city, establish):
    centre_rec = establish(name="中心人")
    station_rec = establish(name="站点人", institution=city.station, actor=city.station_doctor,
                            id_number=make_id(birth=dt.date(1980, 2, 2)))
    login(client, city.doctor)
    body = html(client.get("/"))
    assert "中心人" in body and "站点人" in body
    assert client.get(f"/records/{station_rec.number}/").status_code == 200
    client.logout()
    login(client, city.station_doctor)
    body = html(client.get("/"))
    assert "站点人" in body and "中心人" not in body
    assert "中心人" not in html(client.get("/", {"q": "zxr"}))
    # out of scope looks exactly like unknown
    assert client.get(f"/records/{centre_rec.number}/").status_code == 404
    assert client.get(f"/records/{centre_rec.number}/card.pdf").status_code == 404
    assert client.get(f"/records/{centre_rec.number}/edit/").status_code == 404
    client.logout()
    login(client, city.town_doctor)
    assert "中心人" not in html(client.get("/")) and "站点人" not in html(client.get("/"))


# --- establish -----------------------------------------------------------------------------------------------


def test_establish_form_renders_the_paper_layout(client, city):
    login(client, city.doctor)
    resp = client.get("/records/new/")
    body = html(resp)
    assert resp.status_code == 200
    for section in ("cover", "basic", "history", "environment"):
        assert f'id="section-{section}"' in body
    for name in all_section_names():
        if name != "number":
            assert f'name="{name}' in body, name
    assert 'name="past_diseases-0-code"' in body and 'name="family_history-father"' in body
    assert 'id="save"' in body
    # institution choices: assignable ones; villages: under the centre's street
    form = resp.context["form"]
    assert set(form.fields["institution"].queryset) == {city.centre, city.station}
    assert set(form.fields["village"].queryset) == {city.v1, city.v2}
    assert form.initial["responsible_doctor"] == city.doctor.pk


def test_village_choices_follow_the_institution(client, city):
    login(client, city.town_doctor)
    resp = client.get("/records/new/options/", {"institution": city.clinic.pk})
    body = html(resp)
    assert 'id="id_village"' in body and 'hx-swap-oob="true"' in body
    assert city.v3.name in body and city.v1.name not in body
    # a village outside the chosen institution's area is refused
    resp = client.post("/records/new/", establish_post(city, institution=str(city.clinic.pk),
                                                      village=str(city.v1.pk), responsible_doctor=""))
    assert resp.status_code == 200 and "village" in resp.context["form"].errors


def test_establish_success(client, city):
    login(client, city.doctor)
    data = establish_post(city)
    resp = client.post("/records/new/", data)
    assert resp.status_code == 302, resp.context["form"].errors if resp.context else resp
    rec = Record.objects.get(resident__id_number=data["id_number"])
    assert resp["Location"] == f"/records/{rec.number}/"
    r = rec.resident
    assert r.past_diseases == [{"code": "2", "date": "2015-03", "note": ""}]
    assert r.operations == [{"name": "阑尾切除", "date": "2001-06-01"}]
    assert r.family_history == {"father": ["2", "3"], "mother": ["7"]}
    assert r.sex == "1" and r.birth_date == dt.date(1960, 5, 17)  # derived from the ID number
    assert rec.responsible_doctor == city.doctor and rec.institution == city.centre
    page = client.get(resp["Location"])
    assert rec.number in html(page) and 'class="messages"' in html(page)


def test_establish_duplicate_id_links_to_existing_record(client, city, establish):
    existing = establish()
    login(client, city.doctor)
    resp = client.post("/records/new/", establish_post(city, id_number=existing.resident.id_number))
    assert resp.status_code == 200
    assert "id_number" in resp.context["form"].errors
    body = html(resp)
    assert 'id="duplicate-link"' in body and f'href="/records/{existing.number}/"' in body
    assert Record.objects.count() == 1


def test_establish_wrong_check_digit(client, city):
    login(client, city.doctor)
    good = make_id()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    resp = client.post("/records/new/", establish_post(city, id_number=bad))
    assert resp.status_code == 200
    errors = resp.context["form"].errors["id_number"]
    assert errors
    with pytest.raises(Exception) as exc:
        idnumber.parse(bad)
    assert errors[0] in exc.value.messages
    assert 'id="id_id_number_error"' in html(resp)  # the message sits next to its field
    assert Record.objects.count() == 0


def test_establish_future_birth_date(client, city):
    login(client, city.doctor)
    future = (today() + dt.timedelta(days=30)).isoformat()
    resp = client.post("/records/new/", establish_post(city, id_number="", birth_date=future, sex="1"))
    assert resp.status_code == 200
    assert resp.context["form"].errors["birth_date"] == [zh("The birth date cannot be in the future.")]
    assert zh("The birth date cannot be in the future.") in html(resp)


def test_establish_unknown_code(client, city):
    login(client, city.doctor)
    resp = client.post("/records/new/", establish_post(city, ethnicity="99", payment=["2", "42"]))
    assert resp.status_code == 200
    errors = resp.context["form"].errors
    assert "ethnicity" in errors and "payment" in errors
    assert "选择一个有效的选项" in html(resp)
    # an unknown past-disease code in a row is the model's message
    resp = client.post("/records/new/", establish_post(city, **{"past_diseases-0-code": "77"}))
    assert "past_diseases" in resp.context["form"].errors


def test_establish_missing_name_and_bad_rows(client, city):
    login(client, city.doctor)
    resp = client.post("/records/new/", establish_post(city, name="", **{"past_diseases-0-date": ""}))
    errors = resp.context["form"].errors
    assert errors["name"] == ["这个字段是必填项。"]
    assert "past_diseases" in errors
    assert Record.objects.count() == 0


def test_establish_read_only_role_gets_a_message(client, city):
    login(client, city.bureau_user)
    resp = client.post("/records/new/", establish_post(city, responsible_doctor=""))
    assert resp.status_code == 200
    assert zh("Your role may view records but not change them.") in html(resp)


# --- record page, edit ---------------------------------------------------------------------------------------


def test_record_page_shows_labels_not_codes(client, city, establish):
    rec = establish(ethnicity="01", abo="1", rh="2", payment=["2", "7"], education="2",
                    past_diseases=[{"code": "3", "date": "2012-05"}], family_history={"father": ["2"]})
    login(client, city.doctor)
    resp = client.get(f"/records/{rec.number}/")
    body = html(resp)
    assert resp.status_code == 200
    for text in ("汉族", "A型", "阳性", "城镇居民基本医疗保险", "全自费", "大学本科", "糖尿病 2012-05", "父亲：高血压",
                 city.v1.name, city.centre.name):
        assert text in body, text
    assert 'id="card-link"' in body and f"/records/{rec.number}/card.pdf" in body
    assert 'id="events"' in body


def test_edit_and_history_before_after(client, city, establish):
    rec = establish(phone="13912345678")
    login(client, city.doctor)
    assert client.get(f"/records/{rec.number}/edit/").status_code == 200
    resp = client.post(f"/records/{rec.number}/edit/", edit_post(rec, phone="13800000000", education="6"))
    assert resp.status_code == 302, resp.context["form"].errors
    rec.refresh_from_db()
    rec.resident.refresh_from_db()
    assert rec.resident.phone == "13800000000" and rec.resident.version == 2
    event = rec.events.filter(kind=RecordEvent.Kind.UPDATED).get()
    assert set(event.changes) == {"phone", "education"}  # nothing else was touched
    body = html(client.get(f"/records/{rec.number}/"))
    assert "13912345678" not in body and "139****5678" in body and "高中" in body  # masked in the history too
    body = html(client.get(f"/records/{rec.number}/?reveal=1"))
    assert "13912345678" in body and "13800000000" in body and "高中" in body


def test_edit_unchanged_saves_nothing(client, city, establish):
    rec = establish(past_diseases=[{"code": "2", "date": "2015-03"}], family_history={"father": ["2"]})
    login(client, city.doctor)
    resp = client.post(f"/records/{rec.number}/edit/", edit_post(rec))
    assert resp.status_code == 302
    assert not rec.events.filter(kind=RecordEvent.Kind.UPDATED).exists()


def test_stale_edit_is_refused_and_keeps_input(client, city, establish):
    rec = establish()
    login(client, city.doctor)
    data = edit_post(rec, work_unit="我的新单位")
    # someone else saves in between
    actions.update_resident(city.manager, rec, {"phone": "13700000000"}, expected_version=1)
    resp = client.post(f"/records/{rec.number}/edit/", data)
    assert resp.status_code == 200
    body = html(resp)
    assert 'id="form-errors"' in body and str(actions.StaleEdit().messages[0]) in body
    assert 'value="我的新单位"' in body
    rec.resident.refresh_from_db()
    assert rec.resident.work_unit == "" and rec.resident.phone == "13700000000"


def test_edit_validation_error_next_to_field(client, city, establish):
    rec = establish()
    login(client, city.doctor)
    resp = client.post(f"/records/{rec.number}/edit/", edit_post(rec, phone="12345"))
    assert resp.status_code == 200 and "phone" in resp.context["form"].errors
    assert 'id="id_phone_error"' in html(resp)


# --- lifecycle actions ---------------------------------------------------------------------------------------


def test_transfer_close_reopen(client, city, establish):
    rec = establish()
    login(client, city.doctor)
    url = f"/records/{rec.number}"
    assert client.get(f"{url}/transfer/").status_code == 405
    assert client.get(f"{url}/close/").status_code == 405
    assert client.get(f"{url}/reopen/").status_code == 405
    # transfer without a reason: re-rendered with the error
    resp = client.post(f"{url}/transfer/", {"transfer-to_institution": city.station.pk, "transfer-reason": ""})
    assert resp.status_code == 200 and "reason" in resp.context["transfer_form"].errors
    resp = client.post(f"{url}/transfer/", {"transfer-to_institution": city.station.pk, "transfer-reason": "搬家"})
    assert resp.status_code == 302
    rec.refresh_from_db()
    assert rec.institution == city.station
    # closing in the future is refused with the action's message
    future = (today() + dt.timedelta(days=3)).isoformat()
    resp = client.post(f"{url}/close/", {"close-reason": "1", "close-closed_on": future})
    assert resp.status_code == 200
    assert resp.context["close_form"].errors["closed_on"] == [zh("The closing date cannot be in the future.")]
    resp = client.post(f"{url}/close/", {"close-reason": "9", "close-closed_on": today().isoformat()})
    assert "note" in resp.context["close_form"].errors
    resp = client.post(f"{url}/close/", {"close-reason": "1", "close-closed_on": today().isoformat()})
    assert resp.status_code == 302
    rec.refresh_from_db()
    assert rec.status == Record.Status.CLOSED and rec.close_reason == "1"
    assert 'id="closed-info"' in html(client.get(f"{url}/"))
    resp = client.post(f"{url}/reopen/", {"reopen-reason": ""})
    assert resp.status_code == 200 and "reason" in resp.context["reopen_form"].errors
    resp = client.post(f"{url}/reopen/", {"reopen-reason": "误结案"})
    assert resp.status_code == 302
    rec.refresh_from_db()
    assert rec.is_active
    kinds = list(rec.events.values_list("kind", flat=True))
    assert {"transferred", "closed", "reopened"} <= set(kinds)
    body = html(client.get(f"{url}/"))
    assert city.centre.name in body and "误结案" in body


def test_record_page_reads_the_users_reach_once(client, city, establish, monkeypatch):
    """The scope (institutions under the user's) is asked for by the record, its actions and links: read once per
    request, and the next request reads it again."""
    from jkda.access import scope

    reads = []
    real = scope._visible_institution_ids

    def counted(user):
        reads.append(user.pk)
        return real(user)

    monkeypatch.setattr(scope, "_visible_institution_ids", counted)
    rec = establish()
    login(client, city.doctor)
    reads.clear()  # establishing the record read it outside a request
    for n in (1, 2):
        assert client.get(f"/records/{rec.number}/").status_code == 200
        assert reads == [city.doctor.pk] * n
    # outside a request nothing is kept
    scope.visible_institution_ids(city.doctor)
    scope.visible_institution_ids(city.doctor)
    assert len(reads) == 4


STALE = "This action no longer applies: the record has changed since this page was opened."


def lazy(body: str, key: str, url: str) -> bool:
    """The page holds the <details> of action `key`, closed, fetching its form from `url` when it opens."""
    return re.search(rf'<details id="action-{key}" [^>]*hx-get="{re.escape(url)}" hx-trigger="toggle once"', body) \
        is not None


def test_program_forms_load_when_opened(client, city, establish):
    """The enrol and end-management forms of the programs panel load like the lifecycle ones."""
    from jkda.programs import actions as program_actions

    rec = establish()
    enrolment = program_actions.enrol(city.doctor, rec, "hypertension", on=today())
    login(client, city.doctor)
    url = f"/records/{rec.number}"
    body = html(client.get(f"{url}/"))
    assert lazy(body, "enrol", f"{url}/programs/enrol/form/") and 'id="enrol-form"' not in body
    assert lazy(body, f"exit-{enrolment.pk}", f"{url}/programs/{enrolment.pk}/exit/form/")
    assert 'class="exit-form"' not in body
    fragment = html(client.get(f"{url}/programs/enrol/form/"))
    assert 'id="enrol-form"' in fragment and 'value="diabetes"' in fragment
    fragment = html(client.get(f"{url}/programs/{enrolment.pk}/exit/form/"))
    assert f'action="{url}/programs/{enrolment.pk}/exit/"' in fragment and 'name="exit_reason"' in fragment
    body = html(client.get(f"{url}/?open=exit-{enrolment.pk}"))
    assert f'<details id="action-exit-{enrolment.pk}" class="noprint" open>' in body and 'class="exit-form"' in body
    assert 'id="enrol-form"' not in body
    assert 'id="enrol-form"' in html(client.get(f"{url}/?open=enrol"))
    # ended elsewhere since the page was opened: the stale form says so; another record's enrolment is a 404
    client.post(f"{url}/programs/{enrolment.pk}/exit/", {"exited_on": today().isoformat(), "exit_reason": "3"})
    enrolment.refresh_from_db()
    assert not enrolment.is_active
    stale = html(client.get(f"{url}/programs/{enrolment.pk}/exit/form/"))
    assert zh(STALE) in stale and "<form" not in stale
    other = establish()
    assert client.get(f"/records/{other.number}/programs/{enrolment.pk}/exit/form/").status_code == 404
    client.logout()
    login(client, city.bureau_user)
    assert client.get(f"{url}/programs/enrol/form/").status_code == 403


def test_action_forms_load_when_opened(client, city, establish):
    """The lifecycle forms are not rendered with the page: htmx fetches each when its <details> opens, and
    `?open=<name>` (the link inside, for a browser without scripts) renders the page with that form open."""
    rec = establish()
    login(client, city.doctor)
    url = f"/records/{rec.number}"
    body = html(client.get(f"{url}/"))
    for name in ("transfer", "close"):
        assert lazy(body, name, f"{url}/action/{name}/")
        assert f'id="{name}-form"' not in body and f'href="?open={name}#action-{name}"' in body
    assert 'id="action-reopen"' not in body
    # the fragment: the form itself, with every clinical institution to transfer to
    fragment = html(client.get(f"{url}/action/transfer/"))
    assert fragment.startswith('<form method="post" action="/records/') and 'id="transfer-form"' in fragment
    assert f'value="{city.station.pk}"' in fragment and 'name="csrfmiddlewaretoken"' in fragment
    assert 'id="close-form"' in html(client.get(f"{url}/action/close/"))
    # without scripts: the page with that form open
    body = html(client.get(f"{url}/?open=close"))
    assert '<details id="action-close" class="noprint" open>' in body and 'id="close-form"' in body
    assert 'id="transfer-form"' not in body
    assert 'id="transfer-form"' not in html(client.get(f"{url}/?open=nonsense"))
    assert client.get(f"{url}/action/nonsense/").status_code == 404
    assert client.post(f"{url}/action/close/").status_code == 405
    # the record closed in another tab: the reopen form is offered, a stale close form says to reload
    client.post(f"{url}/close/", {"close-reason": "1", "close-closed_on": today().isoformat()})
    stale = html(client.get(f"{url}/action/close/"))
    assert zh(STALE) in stale and "<form" not in stale
    assert 'id="reopen-form"' in html(client.get(f"{url}/action/reopen/"))
    assert lazy(html(client.get(f"{url}/")), "reopen", f"{url}/action/reopen/")
    # a record out of the user's scope: the same 404 as its page
    other = establish(institution=city.hospital, actor=city.town_doctor, village=city.v3)
    assert client.get(f"/records/{other.number}/action/transfer/").status_code == 404


def test_transfer_out_of_jurisdiction_redirects_to_list(client, city, establish):
    rec = establish(institution=city.station, actor=city.station_doctor)
    login(client, city.station_doctor)
    resp = client.post(f"/records/{rec.number}/transfer/",
                       {"transfer-to_institution": city.clinic.pk, "transfer-village": city.v3.pk,
                        "transfer-reason": "迁居"})
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert client.get(f"/records/{rec.number}/").status_code == 404
    options = client.get(f"/records/{Record.objects.first().number}/transfer/options/")
    assert options.status_code == 404


def test_read_only_role_sees_no_actions_and_gets_messages(client, city, establish):
    rec = establish()
    login(client, city.bureau_user)
    body = html(client.get(f"/records/{rec.number}/"))
    assert 'id="action-close"' not in body and 'id="edit-link"' not in body
    assert client.get(f"/records/{rec.number}/action/close/").status_code == 403
    resp = client.post(f"/records/{rec.number}/close/", {"close-reason": "1",
                                                         "close-closed_on": today().isoformat()})
    assert resp.status_code == 200
    assert zh("Your role may view records but not change them.") in html(resp)


# --- households ----------------------------------------------------------------------------------------------


def test_household_create_add_remove(client, city, establish):
    head = establish(name="张大山")
    wife = establish(name="李小花", id_number=make_id(male=False, birth=dt.date(1962, 8, 8)))
    login(client, city.doctor)
    resp = client.post(f"/records/{head.number}/household/", {"household-address": ""})
    assert resp.status_code == 200 and "address" in resp.context["household_form"].errors
    resp = client.post(f"/records/{head.number}/household/", {"household-address": "新家路1号"})
    assert resp.status_code == 302
    head.resident.refresh_from_db()
    household = head.resident.household
    assert resp["Location"] == f"/households/{household.number}/"
    page = html(client.get(resp["Location"]))
    assert "张大山" in page and "户主" in page and "新家路1号" in page
    assert household.number in html(client.get(f"/records/{head.number}/"))
    # add: unknown number, missing relation, then ok
    add = f"/households/{household.number}/members/"
    resp = client.post(add, {"member-record": "32050600100199999", "member-relation": "10"})
    assert resp.status_code == 200 and "record" in resp.context["add_form"].errors
    resp = client.post(add, {"member-record": wife.number, "member-relation": ""})
    assert "relation" in resp.context["add_form"].errors
    resp = client.post(add, {"member-record": wife.number, "member-relation": "10"})
    assert resp.status_code == 302
    page = html(client.get(f"/households/{household.number}/"))
    assert "李小花" in page and "配偶" in page
    # a second head is refused with the action's message next to the field
    resp = client.post(add, {"member-record": wife.number, "member-relation": "02"})
    assert resp.status_code == 200 and "relation" in resp.context["add_form"].errors
    # remove
    assert client.get(f"/households/{household.number}/members/remove/").status_code == 405
    resp = client.post(f"/households/{household.number}/members/remove/", {"record": wife.number})
    assert resp.status_code == 302
    wife.resident.refresh_from_db()
    assert wife.resident.household is None
    resp = client.post(f"/households/{household.number}/members/remove/", {"record": wife.number})
    assert resp.status_code == 200 and 'id="remove-error"' in html(resp)


def test_household_scope(client, city, establish):
    rec = establish()
    household = actions.create_household(city.doctor, institution=city.centre, village=city.v1, address="某路",
                                         head=rec)
    login(client, city.station_doctor)
    assert client.get(f"/households/{household.number}/").status_code == 404
    assert client.get("/households/nope/").status_code == 404


# --- card, errors --------------------------------------------------------------------------------------------


def test_card_pdf(client, city, establish):
    rec = establish()
    login(client, city.doctor)
    resp = client.get(f"/records/{rec.number}/card.pdf", {"purpose": "交给居民本人"})
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF")


def test_card_without_font_is_a_503_with_instructions(client, city, establish, settings):
    settings.JKDA_CJK_FONT = "/nonexistent/font.ttc"
    rec = establish()
    login(client, city.doctor)
    resp = client.get(f"/records/{rec.number}/card.pdf", {"purpose": "交给居民本人"})
    assert resp.status_code == 503
    body = html(resp)
    assert "fonts-wqy-microhei" in body and "JKDA_CJK_FONT" in body and 'id="card-error"' in body


def test_unknown_record_is_a_404_page(client, city):
    login(client, city.doctor)
    resp = client.get("/records/32050600100100999/")
    assert resp.status_code == 404
    assert 'id="not-found"' in html(resp) and '<html lang="zh-hans">' in html(resp)
    assert client.post("/records/32050600100100999/close/", {}).status_code == 404


def test_wrong_method_is_405(client, city, establish):
    rec = establish()
    login(client, city.doctor)
    assert client.delete(f"/records/{rec.number}/").status_code == 405
    assert client.put("/records/new/").status_code == 405
    assert client.post("/").status_code == 405


def test_csrf_failure_is_a_clear_page(city):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(city.doctor)
    resp = strict.post("/records/new/", {"name": "x"})
    assert resp.status_code == 403
    assert "Reload the page" in resp.content.decode() or "刷新" in resp.content.decode()


def test_chinese_by_default_english_on_request(client, city):
    resp = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "登录" in resp.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    resp = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Log in" in resp.content.decode()


def test_text_with_a_nul_character_is_refused_with_a_message(client, city, establish):
    """No field can hold U+0000 and PostgreSQL refuses it: pages answer 400, the API 422, nothing is written."""
    import json

    from jkda.access.models import ApiToken
    from jkda.records.models import Resident

    rec = establish()
    client.force_login(city.doctor)
    page = client.get("/?q=%00abc")
    assert page.status_code == 400 and "空字符" in page.content.decode()
    form = client.post(f"/records/{rec.number}/edit/", {"name": "张\x00三"})
    assert form.status_code == 400
    token = ApiToken.issue(city.doctor)
    api = client.patch(f"/api/records/{rec.number}", json.dumps({"name": "张\u0000三"}),
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 422 and "空字符" in api.json()["errors"]["__all__"][0]
    assert Resident.objects.get(pk=rec.resident_id).name == rec.resident.name
    # an uploaded file may hold NUL bytes (XLSX is a zip): only the text fields are looked at
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = client.post("/", {"file": SimpleUploadedFile("a.xlsx", b"PK\x03\x04\x00\x00")})
    assert upload.status_code != 400 or "空字符" not in upload.content.decode()


def test_compact_select_renders_what_django_select_renders(city):
    """The record page's transfer form writes its options in one template loop; the markup means the same as
    Django's own select (values, labels, the selected option, the widget's attributes), whitespace aside."""
    import re

    from django import forms

    from jkda.regions.models import Institution
    from jkda.web.forms import CompactSelect

    choices = [("", "（请选择）"), *[(i.pk, i.name + " <&\"'>") for i in Institution.objects.order_by("pk")]]
    chosen = choices[2][0]
    attrs = {"hx-get": "/x/?a=1&b=2", "required": True, "disabled": False}
    for value in (chosen, None, "nonsense"):
        plain = forms.Select(attrs=attrs, choices=choices).render("to", value)
        compact = CompactSelect(attrs=attrs, choices=choices).render("to", value)
        assert re.sub(r">\s+<", "><", plain).strip() == compact.strip()
    assert f'<option value="{chosen}" selected>' in CompactSelect(choices=choices).render("to", chosen)
    # option groups, and a model choice field's values (the search filters' institution list)
    grouped = [("", "全部"), ("甲 <组>", [(1, "一"), (2, "二 & 三")]), (3, "四")]
    models = forms.ModelChoiceField(Institution.objects.order_by("pk"), empty_label="全部").choices
    for options, value in ((grouped, 2), (grouped, None), (models, str(choices[3][0])), (models, "")):
        plain = forms.Select(choices=options).render("g", value)
        compact = CompactSelect(choices=options).render("g", value)
        assert re.sub(r">\s+<", "><", plain).strip() == compact.strip()
        assert compact.count(" selected") == 1  # the value, or the empty choice as Django marks it
