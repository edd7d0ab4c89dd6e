"""Login security: lockout, password rules and expiry, the second factor for administrators."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from jkda.access.models import AuditEntry
from jkda.access.passwords import CharacterClassesValidator, password_expired
from jkda.regions.models import Staff

from .conftest import PASSWORD


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_lockout_after_repeated_failures(client, city, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        r = client.post("/login/", {"username": "doctor", "password": "wrong"})
    assert r.status_code == 429
    page = r.content.decode()
    assert "账号已锁定" in page and "3" in page and "30" in page
    # the right password does not open a locked account
    r = client.post("/login/", {"username": "doctor", "password": PASSWORD})
    assert r.status_code == 429
    assert AuditEntry.objects.filter(action="login_failed", object_id="doctor", outcome="denied").exists()
    # another account from the same address is not locked
    r = client.post("/login/", {"username": "manager", "password": PASSWORD})
    assert r.status_code == 302


def test_failures_below_the_limit_are_forgotten_after_a_success(client, city, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        client.post("/login/", {"username": "doctor", "password": "wrong"})
    assert client.post("/login/", {"username": "doctor", "password": PASSWORD}).status_code == 302
    client.post("/logout/")
    for _ in range(2):
        client.post("/login/", {"username": "doctor", "password": "wrong"})
    assert client.post("/login/", {"username": "doctor", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("password,classes", [
    ("abcdefghij", 1), ("abcdefghi1", 2), ("Abcdefghi1", 3), ("Abcdefgh1!", 4), ("中文密码中文密码12", 2),
])
def test_character_classes(password, classes):
    v = CharacterClassesValidator(3)
    assert v.count(password) == classes
    if classes < 3:
        with pytest.raises(ValidationError):
            v.validate(password)
    else:
        v.validate(password)


def test_password_change_enforces_the_rules_and_expiry(client, city, settings):
    settings.JKDA_PASSWORD_MAX_AGE_DAYS = 90
    doctor = city.doctor
    assert not password_expired(doctor)
    Staff.objects.filter(pk=doctor.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    doctor.refresh_from_db()
    assert password_expired(doctor)
    client.post("/login/", {"username": "doctor", "password": PASSWORD})
    r = client.get("/")
    assert r.status_code == 302 and r["Location"].startswith("/account/password/")
    assert client.get("/api/records").status_code == 403
    page = client.get("/account/password/").content.decode()
    assert "密码已过期" in page
    r = client.post("/account/password/", {"old_password": PASSWORD, "new_password1": "alllowercase",
                                           "new_password2": "alllowercase"})
    assert "至少" in r.content.decode()
    r = client.post("/account/password/", {"old_password": PASSWORD, "new_password1": "New-pass-2026x",
                                           "new_password2": "New-pass-2026x"})
    assert r.status_code == 302
    assert client.get("/").status_code == 200
    settings.JKDA_PASSWORD_MAX_AGE_DAYS = 0
    Staff.objects.filter(pk=doctor.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=900))
    doctor.refresh_from_db()
    assert not password_expired(doctor)


def test_administrators_must_set_up_and_use_a_second_factor(client, city):
    auditor = Staff.objects.create_user(username="auditor", password=PASSWORD, role="auditor")
    client.post("/login/", {"username": "auditor", "password": PASSWORD})
    r = client.get("/audit/")
    assert r.status_code == 302 and r["Location"].startswith("/account/2fa/")
    assert client.get("/api/records").status_code == 403
    page = client.get("/account/2fa/").content.decode()
    assert "设置双因素认证" in page and 'id="otp-key"' in page
    device = TOTPDevice.objects.get(user=auditor, confirmed=False)
    r = client.post("/account/2fa/?next=/audit/", {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert "验证码错误" in r.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp throttles the next try after a wrong code
    r = client.post("/account/2fa/?next=/audit/", {"code": code_for(device)})
    assert r.status_code == 302 and r["Location"] == "/audit/"
    assert client.get("/audit/").status_code == 200
    # next time: the code is asked after the password
    client.post("/logout/")
    client.post("/login/", {"username": "auditor", "password": PASSWORD})
    r = client.get("/audit/")
    assert r["Location"].startswith("/account/2fa/verify/")
    device.refresh_from_db()
    device.last_t = -1  # allow the same time step again in this test
    device.save()
    r = client.post("/account/2fa/verify/?next=/audit/", {"code": code_for(device)})
    assert r.status_code == 302 and client.get("/audit/").status_code == 200


def test_a_doctor_needs_no_second_factor_unless_they_set_one_up(client, city):
    client.post("/login/", {"username": "doctor", "password": PASSWORD})
    assert client.get("/").status_code == 200
    client.get("/account/2fa/")
    device = TOTPDevice.objects.get(user=city.doctor)
    client.post("/account/2fa/", {"code": code_for(device)})
    client.post("/logout/")
    client.post("/login/", {"username": "doctor", "password": PASSWORD})
    assert client.get("/")["Location"].startswith("/account/2fa/verify/")


def test_idle_timeout_refreshes_the_session_at_most_once_a_refresh_interval(client, city, settings, monkeypatch):
    """A request pushes the session's expiry SESSION_COOKIE_AGE ahead only when the refresh interval has passed
    since the last push (no session write on every page view); a session left idle past its expiry is over."""
    import time

    from django.contrib.sessions.models import Session

    settings.SESSION_COOKIE_AGE = 1800
    settings.JKDA_SESSION_REFRESH_SECONDS = 60
    clock = [time.time()]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    assert client.post("/login/", {"username": "doctor", "password": PASSWORD}).status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    def expiry():
        return Session.objects.get(session_key=key).expire_date

    assert client.get("/").status_code == 200
    first = expiry()
    clock[0] += 30  # within the interval: nothing written
    Session.objects.filter(session_key=key).update(expire_date=first - dt.timedelta(seconds=5))
    assert client.get("/").status_code == 200
    assert expiry() == first - dt.timedelta(seconds=5)
    clock[0] += 31  # past it: the expiry moves ahead again
    assert client.get("/").status_code == 200
    assert expiry() > first - dt.timedelta(seconds=5)
    # idle past the expiry: the next request finds no session and goes to the login page
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    r = client.get("/")
    assert r.status_code == 302 and r.url.startswith("/login/")
