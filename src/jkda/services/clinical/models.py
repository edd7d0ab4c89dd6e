"""Encounter, consultation and two-way referral records (接诊记录, 会诊记录, 双向转诊单 转出/回转).

Each is a `ServiceForm` (see services.base): the generic pages and API record them. Any clinical institution may
write them for a record its staff can open (`own_institution_only = False`): the form is then filed under the
writer's institution. The referral's status (sent → received/refused → returned) and the referral-back (回转单)
are written by the RECEIVING institution through `clinical.actions`, never through the generic pages.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jkda.codes.fields import CodeField
from jkda.records.layout import Column, Section
from jkda.regions.models import Institution
from jkda.services.base import BASE_FIELDS, ServiceForm

from . import codes as C
from . import rules


def clinical_institution_choices() -> list[tuple[str, str]]:
    """Active clinical institutions a resident can be referred to, as (code, "name (code)")."""
    rows = Institution.objects.filter(kind__in=Institution.CLINICAL_KINDS, active=True).order_by("code")
    return [("", "—")] + [(code, f"{name} ({code})") for code, name in rows.values_list("code", "name")]


class InstitutionCodeField(models.CharField):
    """An institution code; the web form offers the active clinical institutions in a select.

    The form stores the code (plain text in the JSON API, like the records API's institution_code); the model's
    clean() resolves it and gives the clear message for any other institution."""

    def formfield(self, **kwargs):
        from django import forms

        return forms.ChoiceField(choices=clinical_institution_choices, required=not self.blank,
                                 label=kwargs.get("label") or self.verbose_name, help_text=self.help_text)


class Encounter(ServiceForm):
    """接诊记录表: one visit written as a SOAP note."""

    kind = "encounter"
    own_institution_only = False
    document_kind = "门诊摘要"
    SECTIONS = (
        Section("visit", _("Visit"), ("service_date", ("department", "visit_type"))),
        Section("soap", _("Encounter note (SOAP)"), rules.SOAP_FIELDS),
    )

    department = models.CharField(_("department"), max_length=40, blank=True)
    visit_type = CodeField(_("visit type"), valueset=C.VISIT_TYPE, blank=True, default="1")
    subjective = models.TextField(_("subjective data"), blank=True,
                                  help_text=_("the resident's complaints and history, in their own words"))
    objective = models.TextField(_("objective data"), blank=True,
                                 help_text=_("examination findings and test results"))
    assessment = models.TextField(_("assessment"), blank=True, help_text=_("diagnosis or health problems"))
    plan = models.TextField(_("plan"), blank=True,
                            help_text=_("diagnostic, treatment and health-guidance plan"))

    class Meta(ServiceForm.Meta):
        verbose_name = _("encounter record")
        verbose_name_plural = _("encounter records")

    def clean(self):
        errors = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if rules.soap_is_empty({n: getattr(self, n) for n in rules.SOAP_FIELDS}):
            errors.setdefault("subjective", []).append(gettext(
                "The encounter note is empty: write at least one of subjective data, objective data, assessment "
                "and plan."))
        if errors:
            raise ValidationError(errors)

    def summary(self) -> str:
        head = " ".join(p for p in (self.department, C.VISIT_TYPE.label(self.visit_type)) if p)
        text = (self.assessment or self.subjective or self.plan or self.objective or "").strip().replace("\n", " ")
        return f"{head}：{text[:60]}" if head else text[:60]


CONSULTANT_COLUMNS = (
    Column("institution", _("institution of the consulting doctor"), size=24),
    Column("doctor", _("consulting doctor"), size=10),
)


class Consultation(ServiceForm):
    """会诊记录表: why a consultation was asked for, its opinion, who took part."""

    kind = "consultation"
    own_institution_only = False
    document_kind = "会诊记录"
    SECTIONS = (
        Section("consultation", _("Consultation"), ("service_date", "reason", "opinion")),
        Section("doctors", _("Consulting doctors"), ("consultants", "responsible_doctor_name")),
    )
    REPEATABLE = {"consultants": (CONSULTANT_COLUMNS, 3)}

    reason = models.TextField(_("reason for consultation"))
    opinion = models.TextField(_("consultation opinion"))
    consultants = models.JSONField(_("consulting doctors and their institutions"), default=list, blank=True)
    responsible_doctor_name = models.CharField(_("responsible doctor"), max_length=50, blank=True)

    class Meta(ServiceForm.Meta):
        verbose_name = _("consultation record")
        verbose_name_plural = _("consultation records")

    @classmethod
    def initial_for(cls, record) -> dict:
        return {"responsible_doctor_name": record.responsible_doctor_name}

    def clean(self):
        errors = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if not isinstance(self.consultants, list):
            errors.setdefault("consultants", []).append(gettext("Consulting doctors must be a list of rows."))
        else:
            rows = rules.consultants_filled(self.consultants)
            self.consultants = rows
            if not rows:
                errors.setdefault("consultants", []).append(
                    gettext("Name at least one consulting doctor and their institution."))
            elif any(not r["doctor"] or not r["institution"] for r in rows):
                errors.setdefault("consultants", []).append(
                    gettext("Each consulting doctor needs both a name and an institution."))
        if errors:
            raise ValidationError(errors)

    def summary(self) -> str:
        doctors = "、".join(r.get("doctor", "") for r in (self.consultants or []) if isinstance(r, dict))
        return gettext("%(reason)s; consulted: %(doctors)s") % {
            "reason": (self.reason or "").strip().replace("\n", " ")[:40], "doctors": doctors}


class Referral(ServiceForm):
    """双向转诊单（转出单）: the resident is sent to another institution; its answer comes back as a ReferralBack."""

    kind = "referral"
    own_institution_only = False
    document_kind = "转诊（院）记录"
    SECTIONS = (
        Section("to", _("Referred to"), ("service_date", "to_institution_code", ("to_department", "receiving_doctor"),
                                         "urgency")),
        Section("clinical", _("Referral note"), ("initial_impression", "reason", "main_history", "test_results",
                                                  "treatment", "contact_phone")),
    )

    to_institution_code = InstitutionCodeField(_("referred to institution"), max_length=32)
    to_department = models.CharField(_("department"), max_length=40, blank=True)
    receiving_doctor = models.CharField(_("receiving doctor"), max_length=50, blank=True)
    urgency = CodeField(_("urgency"), valueset=C.URGENCY, default="1")
    initial_impression = models.TextField(_("initial impression"))
    reason = models.TextField(_("main present illness (reason for referral)"))
    main_history = models.TextField(_("main past history"), blank=True)
    test_results = models.TextField(_("main test results"), blank=True)
    treatment = models.TextField(_("treatment so far"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    # Resolved from the code by clean(); the receiving institution's inbox reads it.
    to_institution = models.ForeignKey(Institution, verbose_name=_("referred to institution"), null=True,
                                       blank=True, editable=False, on_delete=models.PROTECT, related_name="+")
    # Set by the receiving institution through clinical.actions (never by a form).
    status = CodeField(_("referral status"), valueset=C.REFERRAL_STATUS, max_length=10, default=rules.SENT,
                       editable=False, db_index=True)
    received_on = models.DateField(_("date received"), null=True, blank=True, editable=False)
    received_by_name = models.CharField(_("received by"), max_length=50, blank=True, editable=False)
    refusal_reason = models.CharField(_("reason for refusal"), max_length=200, blank=True, editable=False)

    class Meta(ServiceForm.Meta):
        verbose_name = _("referral (out)")
        verbose_name_plural = _("referrals (out)")
        indexes = [models.Index(fields=["to_institution", "status"], name="clinical_referral_inbox")]

    # Fields the sender writes; once the receiver has acted they are frozen.
    SENDER_FIELDS = ("service_date", "to_institution_code", "to_department", "receiving_doctor", "urgency",
                     "initial_impression", "reason", "main_history", "test_results", "treatment", "contact_phone")

    def clean(self):
        errors = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        code = (self.to_institution_code or "").strip()
        target = Institution.objects.filter(code=code).first() if code else None
        self.to_institution = target
        if code and target is None:
            errors.setdefault("to_institution_code", []).append(
                gettext("Unknown institution code %(code)s.") % {"code": code})
        if target is not None:
            if self.institution_id and target.pk == self.institution_id:
                errors.setdefault("to_institution_code", []).append(
                    gettext("A referral cannot be sent to your own institution (%(name)s).") % {"name": target.name})
            elif target.kind not in Institution.CLINICAL_KINDS:
                errors.setdefault("to_institution_code", []).append(
                    gettext("Referrals go to a clinical institution; %(name)s is not one.") % {"name": target.name})
            elif not target.active:
                errors.setdefault("to_institution_code", []).append(
                    gettext("%(name)s no longer operates.") % {"name": target.name})
        if self.pk:
            stored = type(self).objects.filter(pk=self.pk).values("status", *self.sender_attnames()).first()
            if stored and stored["status"] != rules.SENT and any(
                    stored[a] != getattr(self, a) for a in self.sender_attnames()):
                errors.setdefault("__all__", []).append(
                    gettext("The referral has been %(status)s by the receiving institution; it can no longer "
                            "be changed.") % {"status": C.REFERRAL_STATUS.label(stored["status"])})
        if self.received_on and isinstance(self.service_date, dt.date) and self.received_on < self.service_date:
            errors.setdefault("__all__", []).append(gettext("A referral cannot be received before it was sent."))
        if errors:
            raise ValidationError(errors)

    @classmethod
    def sender_attnames(cls) -> list[str]:
        return [cls._meta.get_field(n).attname for n in cls.SENDER_FIELDS]

    @property
    def is_open(self) -> bool:
        return self.status in rules.OPEN_STATUSES

    def status_label(self) -> str:
        return C.REFERRAL_STATUS.label(self.status)

    def check_change(self, actor) -> None:
        """The receiving institution records its receipt, refusal or answer on the referral; else the sender."""
        if self.to_institution_id and getattr(actor, "institution_id", None) == self.to_institution_id:
            from jkda.access.scope import require_write

            require_write(actor, self.to_institution)
            return
        super().check_change(actor)

    def summary(self) -> str:
        to = " ".join(p for p in (self.to_institution.name if self.to_institution_id else "", self.to_department)
                      if p)
        text = gettext("To %(to)s (%(urgency)s): %(impression)s; status: %(status)s") % {
            "to": to, "urgency": C.URGENCY.label(self.urgency),
            "impression": (self.initial_impression or "").strip().replace("\n", " ")[:40],
            "status": self.status_label()}
        if self.status == rules.REFUSED and self.refusal_reason:
            text += gettext(" (%(reason)s)") % {"reason": self.refusal_reason}
        return text


class ReferralBack(ServiceForm):
    """双向转诊单（回转单）: the receiving institution's answer, sent back to the community with its advice."""

    kind = "referral_back"
    own_institution_only = False
    document_kind = "转诊（院）记录"
    SECTIONS = (
        Section("back", _("Referral back"), ("service_date", "diagnosis", "inpatient_number", "test_results",
                                             "treatment", "outcome", "recommendations", "contact_phone")),
    )

    referral = models.OneToOneField(Referral, verbose_name=_("referral"), null=True, blank=True, editable=False,
                                    on_delete=models.PROTECT, related_name="back")
    diagnosis = models.TextField(_("diagnosis"))
    inpatient_number = models.CharField(_("inpatient case number"), max_length=30, blank=True)
    test_results = models.TextField(_("main test results"), blank=True)
    treatment = models.TextField(_("treatment given"))
    outcome = models.TextField(_("results of treatment"), blank=True)
    recommendations = models.TextField(_("follow-up treatment and rehabilitation advice for the community"))
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)

    class Meta(ServiceForm.Meta):
        verbose_name = _("referral back")
        verbose_name_plural = _("referrals back")

    def clean(self):
        errors = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if not self.referral_id:
            errors.setdefault("__all__", []).append(gettext(
                "A referral back is written by the receiving institution from its referral inbox (转诊), as the "
                "answer to a referral."))
        else:
            ref = self.referral
            if isinstance(self.service_date, dt.date) and self.service_date < ref.service_date:
                errors.setdefault("service_date", []).append(
                    gettext("The referral back cannot be dated before the referral (%(date)s).")
                    % {"date": ref.service_date.isoformat()})
            if ref.record_id != self.record_id:
                errors.setdefault("__all__", []).append(gettext("The referral back belongs to another record."))
        if self.pk:
            names = [f.attname for f in self._meta.concrete_fields if f.editable and f.name not in BASE_FIELDS]
            stored = type(self).objects.filter(pk=self.pk).values(*names).first()
            if stored and any(stored[n] != getattr(self, n) for n in names):
                errors.setdefault("__all__", []).append(gettext(
                    "A referral back cannot be changed once it has been sent."))
        if errors:
            raise ValidationError(errors)

    def summary(self) -> str:
        return gettext("Diagnosis: %(diagnosis)s; advice: %(advice)s") % {
            "diagnosis": (self.diagnosis or "").strip().replace("\n", " ")[:40],
            "advice": (self.recommendations or "").strip().replace("\n", " ")[:40]}
