"""Forms of the severe mental disorder program (see services.base for the shape every form shares).

SmiProfile   严重精神障碍患者个人信息补充表 (guardian, informed consent, diagnosis, history)
SmiFollowup  严重精神障碍患者随访服务记录表 (risk, symptoms, function, medication, classification)

Management follow-ups need a recorded informed consent: the latest supplementary form dated on or before the
visit must say the patient or guardian agreed to management.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jkda.codes.fields import CodeField, CodeListField
from jkda.records.layout import Column, Section
from jkda.services.base import ServiceForm

from . import codes as C
from . import rules

PROGRAM = "smi"


def _count(label):
    return models.PositiveSmallIntegerField(label, default=0, validators=[MaxValueValidator(999)])


class SmiProfile(ServiceForm):
    kind = "smi_profile"
    program = PROGRAM
    document_kind = "严重精神障碍患者个人信息补充表"

    guardian_name = models.CharField(_("guardian's name"), max_length=50, blank=True)
    guardian_relation = CodeField(_("relation to the patient"), valueset=C.SMI_GUARDIAN_RELATION, blank=True)
    guardian_phone = models.CharField(_("guardian's phone"), max_length=30, blank=True)
    guardian_address = models.CharField(_("guardian's address"), max_length=200, blank=True)
    committee_contact = models.CharField(_("village (residents') committee contact"), max_length=50, blank=True)
    committee_phone = models.CharField(_("committee contact's phone"), max_length=30, blank=True)
    consent = CodeField(_("informed consent"), valueset=C.SMI_CONSENT)
    consent_signer = CodeField(_("signed by"), valueset=C.SMI_CONSENT_SIGNER)
    consent_signature = models.CharField(_("signature"), max_length=50, blank=True)
    consent_date = models.DateField(_("date signed"))
    first_onset = models.DateField(_("first onset"), null=True, blank=True)
    diagnosis = CodeField(_("diagnosis"), valueset=C.SMI_DIAGNOSIS)
    past_symptoms = CodeListField(_("past main symptoms"), valueset=C.SMI_SYMPTOM)
    past_symptoms_other = models.CharField(_("other symptoms"), max_length=100, blank=True)
    outpatient = CodeField(_("outpatient treatment"), valueset=C.SMI_OUTPATIENT, blank=True)
    first_drug_date = models.DateField(_("first antipsychotic treatment"), null=True, blank=True)
    admissions = models.PositiveSmallIntegerField(_("admissions to a psychiatric ward"), default=0,
                                                  validators=[MaxValueValidator(99)])
    diagnosing_hospital = models.CharField(_("diagnosing hospital"), max_length=100, blank=True)
    diagnosis_date = models.DateField(_("date of diagnosis"), null=True, blank=True)
    last_effect = CodeField(_("effect of the last treatment"), valueset=C.SMI_EFFECT, blank=True)
    danger_nuisance = _count(_("mild nuisance (times)"))
    danger_trouble = _count(_("causing trouble (times)"))
    danger_disaster = _count(_("causing a disaster (times)"))
    danger_other = _count(_("other harmful acts (times)"))
    danger_self_harm = _count(_("self-harm (times)"))
    danger_suicide = _count(_("attempted suicide (times)"))
    lockup = CodeField(_("lock-up"), valueset=C.SMI_LOCKUP, blank=True)
    economy = CodeField(_("economic status"), valueset=C.SMI_ECONOMY, blank=True)
    specialist_advice = models.CharField(_("specialist's advice"), max_length=300, blank=True)

    SECTIONS = (
        Section("guardian", _("Guardian"), (("guardian_name", "guardian_relation"), "guardian_address",
                                            "guardian_phone", ("committee_contact", "committee_phone"))),
        Section("consent", _("Informed consent"), (("consent", "consent_signer"), ("consent_signature",
                                                                                    "consent_date"))),
        Section("diagnosis", _("Diagnosis and history"), (
            "first_onset", "diagnosis", ("past_symptoms", "past_symptoms_other"), "outpatient", "first_drug_date",
            "admissions", ("diagnosing_hospital", "diagnosis_date"), "last_effect")),
        Section("danger", _("Dangerous behaviour"), (
            ("danger_nuisance", "danger_trouble", "danger_disaster"),
            ("danger_other", "danger_self_harm", "danger_suicide"))),
        Section("status", _("Situation"), ("lockup", "economy", "specialist_advice", "service_date")),
    )

    class Meta:
        verbose_name = _("severe mental disorder supplementary personal information form")
        verbose_name_plural = _("severe mental disorder supplementary personal information forms")
        indexes = [models.Index(fields=["record", "service_date"], name="smi_profile_record_date")]

    def summary(self) -> str:
        return f"{C.SMI_DIAGNOSIS.label(self.diagnosis)} · {C.SMI_CONSENT.label(self.consent)}"

    def clean(self):
        super().clean()
        errors = {}
        if self.consent_signer == "2" and not self.guardian_name.strip():
            errors["guardian_name"] = [gettext("The consent is signed by the guardian: give the guardian's name.")]
        if self.consent_date and self.service_date and self.consent_date > self.service_date:
            errors["consent_date"] = [gettext("The consent cannot be signed after the date of the form.")]
        birth = self.record.resident.birth_date if self.record_id else None
        for name in ("first_onset", "first_drug_date", "diagnosis_date", "consent_date"):
            value = getattr(self, name)
            if value and self.service_date and value > self.service_date:
                errors.setdefault(name, []).append(gettext("This date is after the date of the form."))
            if value and birth and value < birth:
                errors.setdefault(name, []).append(gettext("This date is before the resident's birth date."))
        if self.first_onset and self.diagnosis_date and self.diagnosis_date < self.first_onset:
            errors.setdefault("diagnosis_date", []).append(gettext("The diagnosis is dated before the first onset."))
        if "12" in (self.past_symptoms or []) and not self.past_symptoms_other.strip():
            errors["past_symptoms_other"] = [gettext("Name the other symptoms.")]
        if errors:
            raise ValidationError(errors)


DRUG_COLUMNS = (Column("name", _("drug")), Column("usage", _("usage (times a day)"), size=6),
                Column("dose", _("dose each time"), size=8))


class SmiFollowup(ServiceForm):
    kind = "smi_followup"
    program = PROGRAM
    document_kind = "严重精神障碍患者随访服务记录表"
    REPEATABLE = {"drugs": (DRUG_COLUMNS, 3)}

    method = CodeField(_("follow-up method"), valueset=C.SMI_METHOD)
    risk = CodeField(_("risk level"), valueset=C.SMI_RISK)
    symptoms = CodeListField(_("current symptoms"), valueset=C.SMI_SYMPTOM)
    symptoms_other = models.CharField(_("other symptoms"), max_length=100, blank=True)
    florid = models.BooleanField(_("marked psychotic symptoms"), default=False,
                                 help_text=_("Florid psychotic symptoms make the visit unstable."))
    insight = CodeField(_("insight"), valueset=C.SMI_INSIGHT)
    sleep = CodeField(_("sleep"), valueset=C.SMI_LEVEL)
    appetite = CodeField(_("appetite"), valueset=C.SMI_LEVEL)
    personal_care = CodeField(_("personal care"), valueset=C.SMI_LEVEL)
    housework = CodeField(_("housework"), valueset=C.SMI_LEVEL)
    work = CodeField(_("productive work and job"), valueset=C.SMI_LEVEL)
    learning = CodeField(_("learning ability"), valueset=C.SMI_LEVEL)
    social = CodeField(_("social and interpersonal"), valueset=C.SMI_LEVEL)
    danger_nuisance = _count(_("mild nuisance (times)"))
    danger_trouble = _count(_("causing trouble (times)"))
    danger_disaster = _count(_("causing a disaster (times)"))
    danger_other = _count(_("other harmful acts (times)"))
    danger_self_harm = _count(_("self-harm (times)"))
    danger_suicide = _count(_("attempted suicide (times)"))
    lockup = CodeField(_("lock-up"), valueset=C.SMI_LOCKUP, blank=True)
    admission = CodeField(_("hospitalisation since the last visit"), valueset=C.SMI_ADMISSION, blank=True)
    discharged_on = models.DateField(_("last discharge"), null=True, blank=True)
    lab = CodeField(_("laboratory tests"), valueset=C.SMI_YES_NO, blank=True)
    lab_detail = models.CharField(_("test results"), max_length=200, blank=True)
    adherence = CodeField(_("medication adherence"), valueset=C.SMI_ADHERENCE)
    adverse = CodeField(_("adverse drug reactions"), valueset=C.SMI_YES_NO)
    adverse_detail = models.CharField(_("adverse reactions"), max_length=200, blank=True)
    adverse_serious = models.BooleanField(_("serious adverse reaction"), default=False)
    physical = CodeField(_("physical disease"), valueset=C.SMI_PHYSICAL, default="1")
    effect = CodeField(_("treatment effect"), valueset=C.SMI_EFFECT, blank=True)
    referral = CodeField(_("referral"), valueset=C.SMI_YES_NO, default="1")
    referral_reason = models.CharField(_("reason for referral"), max_length=200, blank=True)
    referral_to = models.CharField(_("referred to (institution and department)"), max_length=100, blank=True)
    drugs = models.JSONField(_("medication"), default=list, blank=True)
    rehab = CodeListField(_("rehabilitation measures"), valueset=C.SMI_REHAB)
    classification = CodeField(_("classification of this visit"), valueset=C.SMI_CLASS, blank=True,
                               help_text=_("Set from the risk level, symptoms, insight, social function, "
                                           "adverse reactions and physical disease."))
    next_visit = models.DateField(_("next visit"), null=True, blank=True,
                                  help_text=_("Left empty: the latest date the classification allows."))

    SECTIONS = (
        Section("visit", _("Visit"), (("service_date", "method"), "risk")),
        Section("state", _("Mental state"), (("symptoms", "symptoms_other"), "florid", "insight",
                                             ("sleep", "appetite"))),
        Section("function", _("Social function"), (("personal_care", "housework", "work"), ("learning", "social"))),
        Section("danger", _("Dangerous behaviour since the last visit"), (
            ("danger_nuisance", "danger_trouble", "danger_disaster"),
            ("danger_other", "danger_self_harm", "danger_suicide"), "lockup", ("admission", "discharged_on"))),
        Section("treatment", _("Treatment"), (
            ("lab", "lab_detail"), "adherence", ("adverse", "adverse_detail", "adverse_serious"), "physical",
            "effect", ("referral", "referral_reason", "referral_to"), "drugs", "rehab")),
        Section("result", _("Result"), ("classification", "next_visit")),
    )

    class Meta:
        verbose_name = _("severe mental disorder follow-up record")
        verbose_name_plural = _("severe mental disorder follow-up records")
        indexes = [models.Index(fields=["record", "service_date"], name="smi_followup_record_date")]

    def summary(self) -> str:
        return gettext("Risk level %(risk)s · %(cls)s · next visit %(next)s") % {
            "risk": self.risk, "cls": C.SMI_CLASS.label(self.classification),
            "next": self.next_visit.isoformat() if self.next_visit else "—"}

    @classmethod
    def initial_for(cls, record) -> dict:
        """The new follow-up starts with the medication of the latest one."""
        last = SmiFollowup.objects.filter(record=record).order_by("-service_date", "-id").first()
        return {"drugs": last.drugs, "adherence": last.adherence} if last else {}

    def social_levels(self) -> list[str]:
        return [self.personal_care, self.housework, self.work, self.learning, self.social]

    def computed_classification(self) -> str:
        return rules.classify(int(self.risk or 0), florid=self.florid, serious_adverse=self.adverse_serious,
                              serious_physical=self.physical == "3", symptoms=self.symptoms or (),
                              insight=self.insight, social=self.social_levels())

    def clean(self):
        super().clean()
        errors: dict[str, list] = {}
        if self.record_id and self.service_date:
            problem = consent_problem(self.record, self.service_date)
            if problem:
                errors.setdefault("__all__", []).append(problem)
        if self.risk not in C.SMI_RISK:
            raise ValidationError(errors or {"risk": [gettext("Choose the risk level (0-5).")]})
        self.classification = self.computed_classification()
        if self.adverse_serious and self.adverse != "2":
            errors["adverse"] = [gettext("A serious adverse reaction is ticked: mark adverse reactions as present.")]
        if self.adverse == "2" and not self.adverse_detail.strip():
            errors["adverse_detail"] = [gettext("Describe the adverse reactions.")]
        if "12" in (self.symptoms or []) and not self.symptoms_other.strip():
            errors["symptoms_other"] = [gettext("Name the other symptoms.")]
        if self.admission == "2" and not self.discharged_on:
            errors["discharged_on"] = [gettext("Give the date of the last discharge.")]
        if self.discharged_on and self.service_date and self.discharged_on > self.service_date:
            errors["discharged_on"] = [gettext("The discharge is after the date of the visit.")]
        if rules.needs_referral(self.classification) and self.referral != "2":
            errors["referral"] = [gettext("The visit is unstable (risk level 3-5, marked symptoms, a serious "
                                          "adverse reaction or a serious physical disease): refer the patient.")]
        if self.referral == "2" and not self.referral_to.strip():
            errors["referral_to"] = [gettext("Name the institution the patient is referred to.")]
        if self.service_date:
            latest = rules.next_visit(self.service_date, self.classification)
            if self.next_visit is None:
                self.next_visit = latest
            elif self.next_visit <= self.service_date:
                errors["next_visit"] = [gettext("The next visit must be after this visit.")]
            elif self.next_visit > latest:
                errors["next_visit"] = [gettext("A %(cls)s patient must be seen again by %(latest)s.") % {
                    "cls": C.SMI_CLASS.label(self.classification), "latest": latest.isoformat()}]
        if errors:
            raise ValidationError(errors)


def consent_problem(record, on) -> str | None:
    """Why management follow-ups cannot be recorded for the record on that day (None: consent is recorded)."""
    latest = (SmiProfile.objects.filter(record=record, consent_date__lte=on)
              .order_by("-consent_date", "-service_date", "-id").first())
    if latest is None:
        return gettext("No informed consent to management is recorded: fill in the supplementary personal "
                       "information form (严重精神障碍患者个人信息补充表) with the signed consent of the patient or "
                       "the guardian before recording management follow-ups.")
    if latest.consent != "1":
        return gettext("The %(who)s refused management on %(date)s: management follow-ups cannot be recorded "
                       "until a new consent to management is signed.") % {
            "who": C.SMI_CONSENT_SIGNER.label(latest.consent_signer), "date": latest.consent_date.isoformat()}
    return None
