"""Forms of the tuberculosis patient health management program (see services.base for the shared shape).

TbFirstVisit  肺结核患者第一次入户随访记录表 (within 72 h of the notification)
TbFollowup    肺结核患者随访服务记录表 (supervised treatment visits)
TbOutcome     停止治疗及全程管理情况 (stop date and reason, visits and doses: the regular-medication figure)
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jkda.codes.fields import CodeField, CodeListField
from jkda.records.layout import Column, Section
from jkda.services.base import ServiceForm

from . import codes as C
from . import rules

PROGRAM = "tb"


def _cigarettes(label):
    return models.PositiveSmallIntegerField(label, null=True, blank=True, validators=[MaxValueValidator(100)])


def _alcohol(label):
    return models.DecimalField(label, max_digits=4, decimal_places=1, null=True, blank=True,
                               validators=[MinValueValidator(0), MaxValueValidator(50)])


class _Treatment(models.Model):
    """Fields the first visit and the follow-ups share (symptoms, habits, the treatment plan)."""

    symptoms = CodeListField(_("symptoms and signs"), valueset=C.TB_SYMPTOM)
    symptoms_other = models.CharField(_("other symptoms"), max_length=100, blank=True)
    smoking_now = _cigarettes(_("cigarettes a day"))
    smoking_target = _cigarettes(_("cigarettes a day (target)"))
    drinking_now = _alcohol(_("alcohol, liang a day"))
    drinking_target = _alcohol(_("alcohol, liang a day (target)"))
    regimen = models.CharField(_("chemotherapy regimen"), max_length=50, blank=True)
    usage = CodeField(_("usage"), valueset=C.TB_USAGE, blank=True)
    drugs = models.CharField(_("drugs"), max_length=200, blank=True)
    formulation = CodeListField(_("formulation"), valueset=C.TB_FORMULATION)
    supervisor = CodeField(_("supervisor"), valueset=C.TB_SUPERVISOR)

    class Meta:
        abstract = True


class TbFirstVisit(ServiceForm, _Treatment):
    kind = "tb_first_visit"
    program = PROGRAM
    document_kind = "肺结核患者第一次入户随访记录表"
    REPEATABLE = {"sputum_dates": ((Column("date", _("date"), input_type="date"),), 3)}

    method = CodeField(_("visit method"), valueset=C.TB_METHOD, default="2")
    visit_time = models.TimeField(_("time of the visit"), null=True, blank=True)
    notified_on = models.DateField(_("date notified"), null=True, blank=True,
                                   help_text=_("Left empty: the date of enrolment."))
    notified_time = models.TimeField(_("time notified"), null=True, blank=True)
    late = models.BooleanField(_("later than 72 hours"), default=False,
                               help_text=_("Set from the notification and the visit."))
    patient_type = CodeField(_("patient type"), valueset=C.TB_PATIENT_TYPE)
    sputum = CodeField(_("sputum"), valueset=C.TB_SPUTUM)
    resistance = CodeField(_("drug resistance"), valueset=C.TB_RESISTANCE)
    treatment_start = models.DateField(_("treatment started"), null=True, blank=True,
                                       help_text=_("Left empty: the date notified."))
    own_room = CodeField(_("separate room"), valueset=C.TB_YES_NO, blank=True)
    ventilation = CodeField(_("ventilation"), valueset=C.TB_VENTILATION, blank=True)
    medicine_place = models.CharField(_("where to collect the drugs"), max_length=100, blank=True)
    medicine_date = models.DateField(_("when to collect the drugs"), null=True, blank=True)
    sputum_dates = models.JSONField(_("follow-up sputum examinations"), default=list, blank=True)
    education = CodeListField(_("health education given"), valueset=C.TB_EDUCATION)
    next_visit = models.DateField(_("next visit"), null=True, blank=True,
                                  help_text=_("Left empty: the date the visit schedule sets."))

    SECTIONS = (
        Section("visit", _("Visit"), (("notified_on", "notified_time"), ("service_date", "visit_time", "method"),
                                      "late")),
        Section("patient", _("Patient"), ("patient_type", "sputum", "resistance", ("symptoms", "symptoms_other"))),
        Section("treatment", _("Treatment plan"), (("regimen", "usage"), "drugs", "formulation", "treatment_start",
                                                   "supervisor")),
        Section("home", _("Home environment and habits"), (
            "own_room", "ventilation", ("smoking_now", "smoking_target"), ("drinking_now", "drinking_target"))),
        Section("education", _("Medication and health education"), (
            ("medicine_place", "medicine_date"), "sputum_dates", "education", "next_visit")),
    )

    class Meta:
        verbose_name = _("tuberculosis patient first home visit record")
        verbose_name_plural = _("tuberculosis patient first home visit records")
        indexes = [models.Index(fields=["record", "service_date"], name="tb_first_record_date")]

    @classmethod
    def initial_for(cls, record) -> dict:
        """The new form starts with the notification date of the enrolment."""
        from jkda.programs.models import Enrollment

        enrolment = Enrollment.objects.active().filter(record=record, program=PROGRAM).first()
        return {"notified_on": enrolment.enrolled_on} if enrolment else {}

    def summary(self) -> str:
        text = gettext("%(type)s · sputum %(sputum)s · supervisor %(sup)s") % {
            "type": C.TB_PATIENT_TYPE.label(self.patient_type), "sputum": C.TB_SPUTUM.label(self.sputum),
            "sup": C.TB_SUPERVISOR.label(self.supervisor)}
        return text + (" · " + gettext("later than 72 hours") if self.late else "")

    def clean(self):
        super().clean()
        errors: dict[str, list] = {}
        if self.notified_on is None and self.record_id:
            from jkda.programs.models import Enrollment

            enrolment = Enrollment.objects.active().filter(record_id=self.record_id, program=PROGRAM).first()
            self.notified_on = enrolment.enrolled_on if enrolment else None
        if self.notified_time and not self.notified_on:
            errors["notified_on"] = [gettext("Give the date notified.")]
        if self.service_date and self.notified_on:
            if self.notified_on > self.service_date:
                errors["notified_on"] = [gettext("The notification is after the visit.")]
            else:
                self.late = rules.first_visit_late(self.notified_on, self.service_date, self.notified_time,
                                                   self.visit_time)
        if self.treatment_start is None:
            self.treatment_start = self.notified_on or self.service_date
        if self.treatment_start and self.service_date and self.treatment_start > self.service_date:
            errors["treatment_start"] = [gettext("The treatment start is after the visit.")]
        _check_common(self, errors)
        for i, row in enumerate(self.sputum_dates or []):
            from jkda.records.rules import parse_partial_date

            if isinstance(row, dict) and row.get("date") and parse_partial_date(row["date"]) is None:
                errors["sputum_dates"] = [gettext("Row %(n)d: not a date (YYYY-MM-DD).") % {"n": i + 1}]
        if self.service_date and self.treatment_start and self.patient_type in C.TB_PATIENT_TYPE \
                and self.supervisor in C.TB_SUPERVISOR:
            _check_next_visit(self, self.treatment_start, self.patient_type, errors)
        if errors:
            raise ValidationError(errors)


def _check_common(obj, errors):
    if obj.smoking_target is not None and obj.smoking_now is not None and obj.smoking_target > obj.smoking_now:
        errors["smoking_target"] = [gettext("The target cannot be more than the present amount.")]
    if obj.drinking_target is not None and obj.drinking_now is not None and obj.drinking_target > obj.drinking_now:
        errors["drinking_target"] = [gettext("The target cannot be more than the present amount.")]


def _check_next_visit(obj, start, patient_type, errors):
    latest = rules.next_visit(obj.service_date, start, patient_type, obj.supervisor)
    if obj.next_visit is None:
        obj.next_visit = latest
    elif obj.next_visit <= obj.service_date:
        errors["next_visit"] = [gettext("The next visit must be after this visit.")]
    elif obj.next_visit > latest:
        errors["next_visit"] = [gettext("In the %(phase)s the next visit is due by %(latest)s.") % {
            "phase": C.TB_PHASE.label(rules.phase(obj.service_date, start, patient_type)),
            "latest": latest.isoformat()}]


def first_visit_of(record_id) -> TbFirstVisit | None:
    return TbFirstVisit.objects.filter(record_id=record_id).order_by("-service_date", "-id").first()


class TbFollowup(ServiceForm, _Treatment):
    kind = "tb_followup"
    program = PROGRAM
    document_kind = "肺结核患者随访服务记录表"

    treatment_month = models.PositiveSmallIntegerField(_("month of treatment"), null=True, blank=True,
                                                       validators=[MinValueValidator(1), MaxValueValidator(24)],
                                                       help_text=_("Left empty: counted from the treatment start."))
    phase = CodeField(_("treatment phase"), valueset=C.TB_PHASE, blank=True,
                      help_text=_("Set from the treatment start and the patient type."))
    method = CodeField(_("visit method"), valueset=C.TB_METHOD)
    missed_doses = models.PositiveSmallIntegerField(_("doses missed"), default=0, validators=[MaxValueValidator(400)])
    adverse = CodeField(_("adverse drug reactions"), valueset=C.TB_YES_NO, default="2")
    adverse_detail = models.CharField(_("adverse reactions"), max_length=200, blank=True)
    complications = CodeField(_("complications or comorbidities"), valueset=C.TB_YES_NO, default="2")
    complications_detail = models.CharField(_("complications"), max_length=200, blank=True)
    referral_reason = models.CharField(_("reason for referral"), max_length=200, blank=True)
    referral_to = models.CharField(_("referred to (institution and department)"), max_length=100, blank=True)
    referral_result = models.CharField(_("result of the referral (within 2 weeks)"), max_length=200, blank=True)
    advice = models.CharField(_("advice"), max_length=200, blank=True)
    next_visit = models.DateField(_("next visit"), null=True, blank=True,
                                  help_text=_("Left empty: the date the visit schedule sets."))

    SECTIONS = (
        Section("visit", _("Visit"), (("service_date", "method"), ("treatment_month", "phase"), "supervisor")),
        Section("state", _("Symptoms and habits"), (("symptoms", "symptoms_other"), ("smoking_now", "smoking_target"),
                                                    ("drinking_now", "drinking_target"))),
        Section("medication", _("Medication"), (("regimen", "usage"), "drugs", "formulation", "missed_doses",
                                                ("adverse", "adverse_detail"),
                                                ("complications", "complications_detail"))),
        Section("referral", _("Referral"), (("referral_reason", "referral_to"), "referral_result", "advice",
                                            "next_visit")),
    )

    class Meta:
        verbose_name = _("tuberculosis patient follow-up record")
        verbose_name_plural = _("tuberculosis patient follow-up records")
        indexes = [models.Index(fields=["record", "service_date"], name="tb_followup_record_date")]

    @classmethod
    def initial_for(cls, record) -> dict:
        """The new follow-up starts with the supervisor and treatment of the latest visit."""
        last = (TbFollowup.objects.filter(record=record).order_by("-service_date", "-id").first()
                or first_visit_of(record.pk))
        if last is None:
            return {}
        return {k: getattr(last, k) for k in ("supervisor", "regimen", "usage", "drugs", "formulation")}

    def summary(self) -> str:
        return gettext("Month %(m)s · %(phase)s · %(missed)s doses missed") % {
            "m": self.treatment_month or "—", "phase": C.TB_PHASE.label(self.phase), "missed": self.missed_doses}

    def clean(self):
        super().clean()
        errors: dict[str, list] = {}
        first = first_visit_of(self.record_id) if self.record_id else None
        if first is None:
            raise ValidationError({"__all__": [gettext("Record the first home visit (肺结核患者第一次入户随访记录表) "
                                                       "before the treatment follow-ups.")]})
        if self.service_date and self.service_date < first.service_date:
            errors["service_date"] = [gettext("The visit is before the first home visit (%(d)s).") % {
                "d": first.service_date.isoformat()}]
        elif self.service_date:
            start = first.treatment_start or first.service_date
            self.phase = rules.phase(self.service_date, start, first.patient_type)
            month = rules.treatment_month(self.service_date, start)
            if self.treatment_month is None:
                self.treatment_month = month
            if self.supervisor in C.TB_SUPERVISOR:
                _check_next_visit(self, start, first.patient_type, errors)
        if self.adverse == "1" and not self.adverse_detail.strip():
            errors["adverse_detail"] = [gettext("Describe the adverse reactions.")]
        if self.complications == "1" and not self.complications_detail.strip():
            errors["complications_detail"] = [gettext("Describe the complications.")]
        if self.referral_to.strip() and not self.referral_reason.strip():
            errors["referral_reason"] = [gettext("Give the reason for the referral.")]
        _check_common(self, errors)
        if errors:
            raise ValidationError(errors)


class TbOutcome(ServiceForm):
    kind = "tb_outcome"
    program = PROGRAM
    document_kind = "肺结核患者随访服务记录表"

    stop_date = models.DateField(_("treatment stopped"))
    stop_reason = CodeField(_("reason for stopping"), valueset=C.TB_STOP_REASON)
    visits_due = models.PositiveSmallIntegerField(_("visits due"), null=True, blank=True,
                                                  validators=[MaxValueValidator(400)])
    visits_done = models.PositiveSmallIntegerField(_("visits made"), null=True, blank=True,
                                                   validators=[MaxValueValidator(400)],
                                                   help_text=_("Left empty: the visits recorded."))
    doses_due = models.PositiveSmallIntegerField(_("doses due"), null=True, blank=True,
                                                 validators=[MinValueValidator(1), MaxValueValidator(800)],
                                                 help_text=_("Left empty: counted from the treatment start "
                                                             "to the stop date."))
    doses_taken = models.PositiveSmallIntegerField(_("doses taken"), null=True, blank=True,
                                                   validators=[MaxValueValidator(800)],
                                                   help_text=_("Left empty: the doses due less the doses missed "
                                                               "on the follow-ups."))
    regular = models.BooleanField(_("regular medication"), default=False,
                                  help_text=_("More than 90 percent of the doses due were taken."))

    SECTIONS = (
        Section("stop", _("End of treatment"), (("stop_date", "stop_reason"),)),
        Section("management", _("Management over the whole course"), (
            ("visits_due", "visits_done"), ("doses_due", "doses_taken"), "regular", "service_date")),
    )

    class Meta:
        verbose_name = _("tuberculosis treatment outcome")
        verbose_name_plural = _("tuberculosis treatment outcomes")
        indexes = [models.Index(fields=["record", "service_date"], name="tb_outcome_record_date")]

    @property
    def rate(self):
        r = rules.medication_rate(self.doses_taken or 0, self.doses_due or 0)
        return None if r is None else round(float(r) * 100, 1)

    def summary(self) -> str:
        return gettext("%(reason)s %(date)s · %(taken)s/%(due)s doses (%(rate)s%%)") % {
            "reason": C.TB_STOP_REASON.label(self.stop_reason),
            "date": self.stop_date.isoformat() if self.stop_date else "", "taken": self.doses_taken,
            "due": self.doses_due, "rate": self.rate if self.rate is not None else "—"}

    def clean(self):
        super().clean()
        errors: dict[str, list] = {}
        first = first_visit_of(self.record_id) if self.record_id else None
        if first is None:
            raise ValidationError({"__all__": [gettext("Record the first home visit (肺结核患者第一次入户随访记录表) "
                                                       "before the treatment outcome.")]})
        start = first.treatment_start or first.service_date
        if self.stop_date and self.service_date and self.stop_date > self.service_date:
            errors["stop_date"] = [gettext("The treatment cannot stop after the date of the form.")]
        elif self.stop_date and self.stop_date < start:
            errors["stop_date"] = [gettext("The treatment stops before it started (%(d)s).") % {
                "d": start.isoformat()}]
        elif self.stop_date:
            follow = TbFollowup.objects.filter(record_id=self.record_id, service_date__lte=self.stop_date)
            if self.visits_done is None:
                self.visits_done = follow.count() + 1
            if self.doses_due is None:
                self.doses_due = max(1, rules.doses_due(start, self.stop_date, first.usage))
            if self.doses_taken is None:
                missed = sum(follow.values_list("missed_doses", flat=True))
                self.doses_taken = max(0, self.doses_due - missed)
        if self.doses_taken is not None and self.doses_due is not None and self.doses_taken > self.doses_due:
            errors["doses_taken"] = [gettext("More doses taken than due.")]
        if self.visits_done is not None and self.visits_due is not None and self.visits_done > self.visits_due:
            errors["visits_done"] = [gettext("More visits made than due.")]
        self.regular = rules.is_regular(self.doses_taken or 0, self.doses_due or 0)
        if errors:
            raise ValidationError(errors)
