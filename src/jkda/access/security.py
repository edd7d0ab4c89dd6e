"""Login security after the password: the TOTP second factor and password expiry.

- Administrators (system, security and audit administrators, and superusers) must use a TOTP second factor;
  any other user may turn it on, and then must use it too. Until the session is verified, every page redirects
  to the verification (or, without a device yet, to the set-up) page, and the JSON API answers 403.
- A password older than JKDA_PASSWORD_MAX_AGE_DAYS must be changed before anything else.
"""

from __future__ import annotations

import base64
import functools
import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import device_classes
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from jkda.access.roles import AUTHENTICATED, requires
from jkda.web.views import allow, login_required

from . import audit
from .passwords import password_expired

ADMIN_ROLES = {"sysadmin", "secadmin", "auditor"}
EXEMPT_PREFIXES = ("/account/", "/logout/", "/login/", "/static/", "/i18n/")


@functools.cache
def _device_models() -> tuple:
    """The installed kinds of second-factor device (django_otp.device_classes walks every model of every app to
    find them: on each request, were it asked there)."""
    return tuple(device_classes())


def has_confirmed_device(user) -> bool:
    """django_otp.user_has_device(user, confirmed=True) in one EXISTS per kind of device, nothing loaded."""
    return any(model.objects.filter(user_id=user.pk, confirmed=True).exists() for model in _device_models())


def needs_second_factor(user) -> bool:
    return user.is_superuser or getattr(user, "role", None) in ADMIN_ROLES or has_confirmed_device(user)


class SessionIdleMiddleware:
    """The session's idle timeout without a database write on every request. A session that holds anything is
    saved, which pushes its expiry (and its cookie's) SESSION_COOKIE_AGE ahead, when JKDA_SESSION_REFRESH_SECONDS
    have passed since the last push, or whenever the request changed it anyway. So a session ends between
    SESSION_COOKIE_AGE minus the refresh interval and SESSION_COOKIE_AGE after its last request. Sits just inside
    Django's SessionMiddleware, which does the saving on the way out."""

    KEY = "_jkda_refreshed"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.accessed or session.is_empty():
            return response
        now = int(time.time())
        if session.modified or now - session.get(self.KEY, 0) >= settings.JKDA_SESSION_REFRESH_SECONDS:
            session[self.KEY] = now
        return response


class SecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(EXEMPT_PREFIXES):
            target = None
            if not user.is_verified() and needs_second_factor(user):  # a verified session asks nothing more
                target = "otp_verify" if has_confirmed_device(user) else "otp_setup"
                message = _("A second factor (one-time code) is required for this account.")
            elif password_expired(user):
                target = "password_change"
                message = _("Your password has expired: choose a new one.")
            if target:
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": message}, status=403)
                return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.RegexField(label=gettext_lazy("One-time code"), regex=r"^\d{6}$", max_length=6,
                            error_messages={"invalid": gettext_lazy("Enter the 6 digits shown by the app.")},
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


def _next(request) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or "/"
    return nxt if nxt.startswith("/") and not nxt.startswith("//") else "/"


@requires(AUTHENTICATED)
@login_required
@allow("GET", "POST")
def otp_setup(request):
    """Add a TOTP device: show its key (for an authenticator app), confirm it with a first code."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name=_("Authenticator app"), confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save()
            otp_login(request, device)
            audit.log("permission", obj=request.user, object_id=request.user.get_username(),
                      detail={"second_factor": "TOTP added"})
            messages.success(request, _("Second factor set up."))
            return redirect(_next(request))
        form.add_error("code", _("The code is wrong or expired; try the next one."))
    key = base64.b32encode(device.bin_key).decode()
    return render(request, "access/otp_setup.html", {
        "form": form, "key": " ".join(key[i:i + 4] for i in range(0, len(key), 4)), "url": device.config_url,
        "next": _next(request)})


@requires(AUTHENTICATED)
@login_required
@allow("GET", "POST")
def otp_verify(request):
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
            if device.verify_token(form.cleaned_data["code"]):
                otp_login(request, device)
                audit.log("login", detail={"second_factor": "ok"})
                return redirect(_next(request))
        audit.log("login_failed", object_type="user", object_id=request.user.get_username(), outcome="failed",
                  detail={"second_factor": "wrong code"})
        form.add_error("code", _("The code is wrong or expired; try the next one."))
    return render(request, "access/otp_verify.html", {"form": form, "next": _next(request)})


@requires(AUTHENTICATED)
@login_required
@allow("GET", "POST")
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        audit.log("update", obj=user, object_id=user.get_username(), detail={"password": "changed"})
        messages.success(request, _("Password changed."))
        return redirect(_next(request))
    return render(request, "access/password_change.html", {"form": form, "next": _next(request),
                                                           "expired": password_expired(request.user)})


def lockout_response(request, original_response=None, credentials=None):
    """django-axes calls this when an account is locked: a page in the user's language (status 429)."""
    from django.conf import settings

    username = str((credentials or {}).get("username", "") or request.POST.get("username", ""))[:64]
    audit.log("login_failed", object_type="user", object_id=username, outcome="denied", detail={"locked": True},
              ip=audit.client_ip(request))
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT,
               "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "locked"}, status=429)
    return render(request, "access/locked.html", context, status=429)
