"""A doctor's day in Debian's Chromium: log in, search by pinyin initials, establish a record, print the card.

Drives /usr/bin/chromium through Playwright (never a downloaded browser). Install it with `apt-get install
chromium`; `.ci/run` does.
"""

import datetime as dt
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from jkda.records.models import Record

from ..conftest import PASSWORD, make_id
from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def test_log_in_search_establish_and_print_the_card(live_server, browser, city, establish, tmp_path):
    existing = establish(name="张三丰", id_number=make_id(dt.date(1950, 1, 2)))
    establish(name="李四", id_number=make_id(dt.date(1970, 3, 4)))

    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    # not logged in: the login page, in Chinese
    assert "/login/" in page.url
    assert "登录" in page.locator("#login-submit").inner_text()
    page.fill("input[name=username]", "doctor")
    page.fill("input[name=password]", "wrong-password")
    page.click("#login-submit")
    assert page.locator("#login-error").inner_text().strip() != ""
    page.fill("input[name=username]", "doctor")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{live_server.url}/")

    # live search by pinyin initials (htmx swaps the results in without a page load)
    rows = page.locator("#results-table tbody tr")
    expect(rows).to_have_count(2)
    page.fill("#q", "zsf")
    expect(rows).to_have_count(1)
    assert existing.number in rows.first.inner_text() and "张三丰" in rows.first.inner_text()

    # establish a record on the paper-like form; birth date and sex come from the ID number
    page.click("#new-record")
    page.wait_for_selector("#record-form")
    idn = make_id(dt.date(1985, 7, 9), male=False)
    page.fill("input[name=name]", "王小红")
    page.fill("input[name=id_number]", idn)
    page.fill("input[name=current_address]", "苏州市吴中区新家路8号")
    page.fill("input[name=phone]", "13800001111")
    page.select_option("select[name=residence_type]", "1")
    page.select_option("select[name=village]", str(city.v1.pk))
    page.click("#save")
    page.wait_for_selector("#record-title")
    rec = Record.objects.select_related("resident").get(resident__id_number=idn)
    assert rec.number in page.locator("#record-title").inner_text()
    assert rec.resident.sex == "2" and rec.resident.birth_date == dt.date(1985, 7, 9)
    assert "女" in page.locator("#value-sex").inner_text()

    # print the info card: the link serves a PDF with the name in embedded CJK text
    href = page.get_attribute("#card-link", "href")
    resp = context.request.get(f"{live_server.url}{href}")
    assert resp.status == 200 and resp.headers["content-type"] == "application/pdf"
    pdf = resp.body()
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf
    if shutil.which("pdftotext"):
        path = tmp_path / "card.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert "王小红" in text and rec.number in text.replace(" ", "")
    context.close()


def test_action_forms_open_with_and_without_scripts(live_server, browser, city, establish):
    """The transfer and close forms come with their <details>: fetched by htmx when it opens, or, with scripts
    off, through the link inside it that reloads the page with that form open."""
    rec = establish(name="张三丰")
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, "doctor")
    page.goto(f"{live_server.url}/records/{rec.number}/")
    expect(page.locator("#transfer-form")).to_have_count(0)
    page.click("#action-transfer summary")
    expect(page.locator("#action-transfer #transfer-form")).to_have_count(1)
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    # the form has arrived and htmx has wired it; choosing the town hospital fills the village list (htmx
    # again), then the transfer runs
    page.select_option("select[name=transfer-to_institution]", str(city.hospital.pk))
    expect(page.locator(f"select[name=transfer-village] option[value='{city.v3.pk}']")).to_have_count(1)
    page.select_option("select[name=transfer-village]", str(city.v3.pk))
    page.fill("input[name=transfer-reason]", "迁居")
    page.click("#transfer-submit")
    page.wait_for_url(f"{live_server.url}/")  # out of the centre's jurisdiction now: back to the list
    rec.refresh_from_db()
    assert rec.institution_id == city.hospital.pk and rec.village_id == city.v3.pk
    context.close()

    # scripts off: the town doctor closes it through the fallback link
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server.url, "town_doctor")
    page.goto(f"{live_server.url}/records/{rec.number}/")
    page.click("#action-close summary")
    page.click("#action-close .action-fallback a")
    expect(page.locator("#action-close[open] #close-form")).to_have_count(1)
    page.check("input[name=close-reason][value=\"2\"]")
    page.fill("input[name=close-closed_on]", dt.date.today().isoformat())
    page.click("#close-submit")
    expect(page.locator("#closed-info")).to_have_count(1)
    rec.refresh_from_db()
    assert rec.status == Record.Status.CLOSED and rec.close_reason == "2"
    context.close()


def test_a_bureau_chooses_an_institution_and_then_its_village(live_server, browser, city, establish, monkeypatch):
    """More villages than the filters list at once: choosing an institution swaps its villages in (htmx, out of
    band) while the results follow the institution; choosing a village then narrows the results."""
    from jkda.web import forms as web_forms

    monkeypatch.setattr(web_forms, "VILLAGES_LISTED", 2)  # the test county has 3 villages
    establish(name="王老汉", id_number=make_id(dt.date(1940, 3, 3)))
    establish(name="刘小妹", id_number=make_id(dt.date(2000, 3, 3), male=False), village=city.v2)
    establish(name="赵大爷", id_number=make_id(dt.date(1945, 6, 6)), institution=city.hospital,
              actor=city.town_doctor, village=city.v3)

    page = browser.new_context(locale="zh-CN").new_page()
    log_in(page, live_server.url, "bureau")
    rows = page.locator("#results-table tbody tr")
    expect(rows).to_have_count(3)
    village = page.locator("#id_village option")
    expect(village).to_have_count(1)
    assert "选择机构后" in village.first.inner_text()

    page.select_option("#id_institution", str(city.centre.pk))
    expect(village).to_have_count(3)  # 全部, 新家社区, 龙西社区
    expect(rows).to_have_count(2)
    page.select_option("#id_village", city.v2.code)
    expect(rows).to_have_count(1)
    assert "刘小妹" in rows.first.inner_text()
