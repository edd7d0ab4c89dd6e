"""The resident portal's own data: one-time sign-in codes and correction requests.

Residents have no staff account: a portal session holds the resident's id (see portal.session)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SignInCode(models.Model):
    """One sign-in attempt: a 6-digit code sent to the phone on the record, valid a few minutes, a few tries.

    An attempt with an ID number and phone that match no record is stored too (without a resident and with a code
    nobody knows), so that every answer looks the same and the rate limits count it."""

    id_hash = models.CharField(max_length=64, db_index=True)    # HMAC of the ID number given (rate limit)
    ip = models.CharField(max_length=64, blank=True, db_index=True)
    resident = models.ForeignKey("records.Resident", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("portal sign-in code")
        verbose_name_plural = _("portal sign-in codes")


class CorrectionRequest(models.Model):
    """A resident's (or guardian's) request to correct their record (PIPL: the right to ask for correction). It
    shows on the work list of the managing institution until a doctor resolves it, with reasons if refused."""

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting the doctor")
        DONE = "done", _("Corrected")
        REFUSED = "refused", _("Not corrected")

    record = models.ForeignKey("records.Record", verbose_name=_("record"), on_delete=models.PROTECT,
                               related_name="correction_requests")
    field = models.CharField(_("item"), max_length=40)
    text = models.TextField(_("what is wrong, and what is right"))
    submitted_by = models.ForeignKey("records.Resident", verbose_name=_("asked by"), on_delete=models.PROTECT,
                                     related_name="+")
    by_guardian = models.BooleanField(_("by the guardian"), default=False)
    submitted_at = models.DateTimeField(_("asked at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN,
                              db_index=True)
    resolved_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    resolved_by_name = models.CharField(_("answered by"), max_length=150, blank=True)
    answer = models.CharField(_("answer"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")
        ordering = ["-submitted_at", "-id"]

    def field_label(self) -> str:
        from .actions import correction_field_label

        return correction_field_label(self.field)
