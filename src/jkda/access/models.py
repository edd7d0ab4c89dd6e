"""API tokens for scripts. (Roles, consent and the audit trail grow here.)"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once when created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    @classmethod
    def issue(cls, user, label: str = "") -> str:
        raw = "jkda_" + secrets.token_urlsafe(32)
        cls.objects.create(user=user, key_hash=hash_token(raw), prefix=raw[5:13], label=label)
        return raw

    @classmethod
    def authenticate(cls, raw: str):
        token = cls.objects.select_related("user").filter(key_hash=hash_token(raw or ""), revoked=False).first()
        if token is None or not token.user.is_active:
            return None
        cls.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("the audit trail is append-only")

    def delete(self):
        raise PermissionError("the audit trail is append-only: use jkda audit purge for expired entries")


class AuditEntry(models.Model):
    """One entry of the append-only, hash-chained audit trail (see access.audit).

    `hash` is SHA-256 over the previous entry's hash and this entry's content, so changing or deleting any entry
    breaks the chain at that point, which `jkda audit verify` reports."""

    class Action(models.TextChoices):
        READ = "read", _("Read")
        REVEAL = "reveal", _("Reveal masked fields")
        SEARCH = "search", _("Search")
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        EXPORT = "export", _("Export")
        LOGIN = "login", _("Log in")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGOUT = "logout", _("Log out")
        PERMISSION = "permission", _("Permission change")
        PURGE = "purge", _("Purge of expired entries")

    class Outcome(models.TextChoices):
        OK = "ok", _("Succeeded")
        DENIED = "denied", _("Denied")
        FAILED = "failed", _("Failed")

    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("user"), db_constraint=False)
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    ip = models.CharField(_("from"), max_length=64, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True, db_index=True)
    detail = models.TextField(_("detail"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, default=Outcome.OK)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["id"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the audit trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit trail is append-only")


# --- outside access requests (see access.grants) ---------------------------------------------------------------


class AccessRequest(models.Model):
    """A written application by someone outside a record's scope to read named records for a period.

    submitted → approved / refused (managing institution) → consented / declined (resident or guardian) → active
    (the grant: read-only, time-boxed) → expired / revoked. The grant is this request's active phase: its id is the
    request's id. Every step goes through one function of access.grants."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved, awaiting consent")
        REFUSED = "refused", _("Refused")
        CONSENTED = "consented", _("Consented")
        DECLINED = "declined", _("Consent declined")
        ACTIVE = "active", _("Grant active")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("applicant"), on_delete=models.PROTECT,
                                  related_name="access_requests")
    applicant_name = models.CharField(_("applicant"), max_length=150)
    organisation = models.CharField(_("applicant's organisation"), max_length=100)
    purpose = models.TextField(_("purpose"))
    institution = models.ForeignKey("regions.Institution", verbose_name=_("managing institution"),
                                    on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("access from"))
    period_end = models.DateField(_("access until"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED,
                              db_index=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by_name = models.CharField(_("decided by"), max_length=150, blank=True)
    decision_reason = models.CharField(_("reasons"), max_length=500, blank=True)
    starts_at = models.DateTimeField(_("grant starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("grant ends"), null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    closed_reason = models.CharField(_("reason for ending"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("outside access request")
        verbose_name_plural = _("outside access requests")
        ordering = ["-id"]
        indexes = [models.Index(fields=["applicant", "status"], name="accessreq_applicant_status")]

    def __str__(self):
        return f"#{self.pk} {self.applicant_name}"


class AccessRequestItem(models.Model):
    """One record asked for, and the consent of its resident (or of the guardian of a child under 14)."""

    class Consent(models.TextChoices):
        PENDING = "pending", _("Awaiting consent")
        CONSENTED = "consented", _("Consented")
        DECLINED = "declined", _("Declined")

    request = models.ForeignKey(AccessRequest, on_delete=models.PROTECT, related_name="items")
    record = models.ForeignKey("records.Record", verbose_name=_("record"), on_delete=models.PROTECT,
                               related_name="+")
    consent = models.CharField(_("consent"), max_length=10, choices=Consent.choices, default=Consent.PENDING)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_by = models.ForeignKey("records.Resident", verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    by_guardian = models.BooleanField(_("by the guardian"), default=False)
    consent_reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("record asked for")
        verbose_name_plural = _("records asked for")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["request", "record"], name="accessreq_item_unique")]


class AccessRequestEvent(models.Model):
    """The history of a request: every state change with who made it and why."""

    request = models.ForeignKey(AccessRequest, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(_("time"))
    status = models.CharField(_("status"), max_length=10, choices=AccessRequest.Status.choices)
    actor_name = models.CharField(_("by"), max_length=150, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("access request event")
        verbose_name_plural = _("access request events")
        ordering = ["at", "id"]


class AssessmentAssignment(models.Model):
    """Read access of one assessor (考核人员) to some institutions for a performance assessment, for a set period.

    Created by bureau staff through `access.actions.assign_assessor` (audited); the scope rule lets the assessor
    read the records of these institutions and those under them, masked and read-only, only while
    starts_on <= today <= ends_on and it is not revoked. Never deleted: a revoked assignment keeps who revoked it."""

    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assessor"), on_delete=models.PROTECT,
                                 related_name="assessment_assignments")
    institutions = models.ManyToManyField("regions.Institution", verbose_name=_("institutions"),
                                          related_name="assessment_assignments")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    purpose = models.CharField(_("purpose"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("revoked by"))

    class Meta:
        verbose_name = _("assessment assignment")
        verbose_name_plural = _("assessment assignments")
        ordering = ["-starts_on", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                              name="assignment_ends_after_start")]

    def __str__(self):
        return f"{self.assessor} {self.starts_on}–{self.ends_on}"

    def is_current(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.revoked_at is None and self.starts_on <= on <= self.ends_on

    def delete(self, *args, **kwargs):
        raise PermissionError("assessment assignments are revoked, never deleted")
