"""Audit entries for logins, failed logins, logouts and changes of a user's permissions."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_save

from . import audit
from .models import AuditEntry

PERMISSION_FIELDS = ("role", "institution_id", "is_active", "is_superuser", "is_staff")


def on_login(sender, request, user, **kwargs):
    audit.log(AuditEntry.Action.LOGIN, user=user, obj=user, object_id=user.get_username(),
              ip=audit.client_ip(request) if request is not None else None)


def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.log(AuditEntry.Action.LOGOUT, user=user, obj=user, object_id=user.get_username(),
                  ip=audit.client_ip(request) if request is not None else None)


def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str((credentials or {}).get("username", ""))[:64]
    audit.log(AuditEntry.Action.LOGIN_FAILED, object_type="user", object_id=username, outcome="failed",
              ip=audit.client_ip(request) if request is not None else None)


def remember_permissions(sender, instance, **kwargs):
    if instance.pk is None:
        instance._audit_before = None
        return
    old = sender.objects.filter(pk=instance.pk).values(*PERMISSION_FIELDS).first()
    instance._audit_before = old


def log_permission_change(sender, instance, created, **kwargs):
    before = getattr(instance, "_audit_before", None)
    after = {f: getattr(instance, f) for f in PERMISSION_FIELDS}
    if created:
        changes = {f: [None, v] for f, v in after.items()}
    elif before is None:
        return
    else:
        changes = {f: [before[f], after[f]] for f in PERMISSION_FIELDS if before[f] != after[f]}
    if changes:
        audit.log(AuditEntry.Action.PERMISSION, obj=instance, object_id=instance.get_username(), detail=changes)


def connect(user_model) -> None:
    user_logged_in.connect(on_login, dispatch_uid="audit_login")
    user_logged_out.connect(on_logout, dispatch_uid="audit_logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit_login_failed")
    pre_save.connect(remember_permissions, sender=user_model, dispatch_uid="audit_perm_before")
    post_save.connect(log_permission_change, sender=user_model, dispatch_uid="audit_perm_after")
