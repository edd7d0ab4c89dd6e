"""A doctor's overdue list in Debian's Chromium: open it, record an uncontrolled hypertension follow-up, see the
next visit set two weeks out and the patient leave the overdue list."""

import datetime as dt
import os

import pytest

from jkda.programs import actions as programs
from jkda.programs.chronic.models import HypertensionFollowup
from jkda.records.rules import today

from ..conftest import make_id
from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_overdue_hypertension_followup(live_server, browser, city, establish):
    patient = establish(name="高血压", id_number=make_id(dt.date(1972, 3, 4)))
    programs.enrol(city.doctor, patient, "hypertension", on=today() - dt.timedelta(days=30))

    page = browser.new_context(locale="zh-CN").new_page()
    log_in(page, live_server.url, "doctor")

    # the overdue list, from the header link
    page.click("#nav-worklist")
    page.select_option("select[name=scope]", "institution")
    page.select_option("select[name=status]", "overdue")
    page.click("#worklist-submit")
    def followup_row(item="随访"):
        return page.locator("#worklist tr").filter(has_text="高血压").filter(
            has=page.get_by_role("link", name=item, exact=True))

    row = followup_row("首次随访")  # enrolled 30 days ago: the first follow-up was due after 2 weeks
    assert "逾期 16 天" in row.inner_text() and "139****5678" not in row.inner_text()
    assert "13912345678" in row.inner_text()  # the work list is for calling: the phone is shown

    # record the follow-up from the list: BP 165/95 is not controlled
    row.get_by_role("link", name="首次随访", exact=True).click()
    page.wait_for_selector("#service-form")
    page.fill("input[name=service_date]", today().isoformat())
    page.select_option("select[name=method]", "1")
    page.check("input[name=symptoms][value='1']")
    page.fill("input[name=sbp]", "165")
    page.fill("input[name=dbp]", "95")
    page.select_option("select[name=adherence]", "1")
    page.select_option("select[name=adverse_reaction]", "1")
    page.click("#save")
    page.wait_for_selector("#service-title")

    two_weeks = (today() + dt.timedelta(days=14)).isoformat()
    assert page.locator("#value-next_visit_date").inner_text().strip() == two_weeks
    assert "控制不满意" in page.locator("body").inner_text()
    fu = HypertensionFollowup.objects.get(record=patient)
    assert fu.classification == "2" and fu.next_visit_date == today() + dt.timedelta(days=14)

    # back to the overdue list: the patient is no longer overdue
    page.goto(f"{live_server.url}/worklist/?scope=institution&status=overdue")
    assert followup_row("首次随访").count() == 0 and followup_row().count() == 0
    page.goto(f"{live_server.url}/worklist/?scope=institution")
    due = followup_row()
    assert two_weeks in due.inner_text() and "逾期" not in due.inner_text()
