"""Outside access end to end in Debian's Chromium: an applicant files, the managing institution approves, the
resident signs in to the portal with a texted code and consents, the applicant reads the record; when the grant's
time is over the applicant is refused.

Drives /usr/bin/chromium through Playwright (never a downloaded browser), like test_browser.py.
"""

import datetime as dt
import os

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jkda.access.models import AccessRequest
from jkda.portal.otp import MemorySender

from ..conftest import make_id
from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def staff_page(browser, url, username):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    log_in(page, url, username)
    return context, page


def test_apply_approve_consent_read_and_expire(live_server, browser, city, establish, settings):
    settings.JKDA_OTP_SENDER = "jkda.portal.otp.MemorySender"
    MemorySender.outbox.clear()
    rec = establish(name="张三丰", id_number=make_id(dt.date(1950, 1, 2)), phone="13912345678")
    url = live_server.url
    today = timezone.localdate()

    # 1. the applicant, a doctor of another institution, cannot open the record and files an application
    applicant_ctx, applicant = staff_page(browser, url, "town_doctor")
    applicant.goto(f"{url}/records/{rec.number}/")
    expect(applicant.locator("#not-found")).to_be_visible()
    applicant.click("#nav-access_requests")
    applicant.click("#new-request")
    applicant.fill("input[name=organisation]", "苏州大学公共卫生学院")
    applicant.fill("textarea[name=purpose]", "高血压队列研究：核对随访血压数据")
    applicant.fill("textarea[name=records]", rec.number)
    applicant.fill("input[name=period_start]", today.isoformat())
    applicant.fill("input[name=period_end]", (today + dt.timedelta(days=7)).isoformat())
    applicant.click("#request-submit")
    expect(applicant.locator("#request-status")).to_have_text("已提交")
    req = AccessRequest.objects.get()

    # 2. the record manager of the managing centre approves
    manager_ctx, manager = staff_page(browser, url, "manager")
    manager.goto(f"{url}/access-requests/")
    manager.click(f"#to-decide #request-{req.pk} a")
    expect(manager.locator("#items")).to_contain_text("张三丰")
    manager.click("#approve")
    expect(manager.locator("#request-status")).to_have_text("已批准，待居民同意")

    # 3. the resident signs in to the portal on a phone with the texted code and consents
    phone_ctx = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = phone_ctx.new_page()
    phone.goto(f"{url}/portal/")
    phone.fill("input[name=id_number]", rec.resident.id_number)
    phone.fill("input[name=phone]", "13912345678")
    phone.click("#send-code")
    expect(phone.locator("#code-sent")).to_contain_text("验证码")
    phone.fill("input[name=code]", MemorySender.last_code("13912345678"))
    phone.click("#verify")
    expect(phone.locator("#portal-name")).to_have_text("张三丰")
    expect(phone.locator("#pending-note")).to_be_visible()
    phone.click("#tab-consents")
    card = phone.locator(".consent-request")
    expect(card).to_contain_text("苏州大学公共卫生学院")
    card.locator("button.agree").click()
    expect(phone.locator("#messages")).to_contain_text("您已同意")
    req.refresh_from_db()
    assert req.status == AccessRequest.Status.ACTIVE

    # 4. the applicant reads the record: read-only, masked
    applicant.goto(f"{url}/access-requests/{req.pk}/")
    expect(applicant.locator("#request-status")).to_have_text("已生效")
    applicant.click(".record-link")
    expect(applicant.locator("#record-title")).to_contain_text("张三丰")
    expect(applicant.locator("#messages")).to_contain_text(f"#{req.pk}")
    expect(applicant.locator("#edit-link")).to_have_count(0)
    assert rec.resident.id_number not in applicant.content()

    # the resident sees the reading in the portal
    phone.click("#tab-access")
    expect(phone.locator("#access-log")).to_contain_text("木渎镇卫生院")

    # 5. time passes: the grant's end is in the past, and the applicant is refused
    AccessRequest.objects.filter(pk=req.pk).update(ends_at=timezone.now() - dt.timedelta(minutes=1))
    applicant.goto(f"{url}/records/{rec.number}/")
    expect(applicant.locator("#not-found")).to_be_visible()
    applicant.goto(f"{url}/access-requests/{req.pk}/")
    expect(applicant.locator("#request-status")).to_have_text("已到期")
    for ctx in (applicant_ctx, manager_ctx, phone_ctx):
        ctx.close()
