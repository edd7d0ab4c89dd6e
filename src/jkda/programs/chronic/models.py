"""Hypertension and type 2 diabetes follow-up forms (高血压 / 2型糖尿病患者随访服务记录表, 3rd edition).

Both forms share most of the paper: method, symptoms, signs, lifestyle now and target, adherence, adverse
reactions, classification, drugs, referral and the next visit. What the doctor does not choose is computed by
`rules` in `clean()` from the values entered:

- `controlled` (BP below the limits for the age, resp. fasting glucose below 7.0) and the visit classification
  (the most severe of complication, adverse reaction, unsatisfactory and satisfactory control);
- the referral prompt: urgent (danger values), suggested (two uncontrolled visits in a row or a complication);
- the next visit date: the suggestion (2 weeks or the routine 3 months) when the doctor leaves it blank or keeps
  the previous suggestion; a date the doctor typed is kept.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jkda.codes.fields import CodeField, CodeListField
from jkda.records.layout import Column, Section
from jkda.services.base import ServiceForm, age_in_years

from . import codes as C
from . import rules as R


def _range(lo, hi):
    return [MinValueValidator(lo), MaxValueValidator(hi)]


def _dec(lo, hi):
    return _range(Decimal(str(lo)), Decimal(str(hi)))


DRUG_COLUMNS = (
    Column("name", _("drug name"), size=16),
    Column("times", _("times a day"), size=4),
    Column("dose", _("dose each time"), placeholder="mg", size=8),
)


class ChronicFollowup(ServiceForm):
    """What the hypertension and the diabetes follow-up forms share."""

    method = CodeField(_("follow-up method"), valueset=C.FOLLOWUP_METHOD)
    symptoms_other = models.CharField(_("other symptoms"), max_length=100, blank=True)
    sbp = models.PositiveSmallIntegerField(_("systolic blood pressure (mmHg)"), null=True, blank=True,
                                           validators=_range(*R.SBP_RANGE))
    dbp = models.PositiveSmallIntegerField(_("diastolic blood pressure (mmHg)"), null=True, blank=True,
                                           validators=_range(*R.DBP_RANGE))
    weight = models.DecimalField(_("weight (kg)"), max_digits=4, decimal_places=1, null=True, blank=True,
                                 validators=_dec(*R.WEIGHT_RANGE))
    weight_target = models.DecimalField(_("target weight (kg)"), max_digits=4, decimal_places=1, null=True,
                                        blank=True, validators=_dec(*R.WEIGHT_RANGE))
    bmi = models.DecimalField(_("body mass index (kg/m²)"), max_digits=3, decimal_places=1, null=True, blank=True,
                              validators=_dec(*R.BMI_RANGE))
    bmi_target = models.DecimalField(_("target body mass index (kg/m²)"), max_digits=3, decimal_places=1,
                                     null=True, blank=True, validators=_dec(*R.BMI_RANGE))
    signs_other = models.CharField(_("other signs"), max_length=100, blank=True)
    smoking = models.PositiveSmallIntegerField(_("cigarettes a day"), null=True, blank=True,
                                               validators=_range(0, 100))
    smoking_target = models.PositiveSmallIntegerField(_("target cigarettes a day"), null=True, blank=True,
                                                      validators=_range(0, 100))
    drinking = models.DecimalField(_("alcohol a day (liang)"), max_digits=3, decimal_places=1, null=True,
                                   blank=True, validators=_dec(0, 50))
    drinking_target = models.DecimalField(_("target alcohol a day (liang)"), max_digits=3, decimal_places=1,
                                          null=True, blank=True, validators=_dec(0, 50))
    exercise_times = models.PositiveSmallIntegerField(_("exercise times a week"), null=True, blank=True,
                                                      validators=_range(0, 21))
    exercise_minutes = models.PositiveSmallIntegerField(_("exercise minutes each time"), null=True, blank=True,
                                                        validators=_range(0, 600))
    exercise_times_target = models.PositiveSmallIntegerField(_("target exercise times a week"), null=True,
                                                             blank=True, validators=_range(0, 21))
    exercise_minutes_target = models.PositiveSmallIntegerField(_("target exercise minutes each time"), null=True,
                                                               blank=True, validators=_range(0, 600))
    psychology = CodeField(_("psychological adjustment"), valueset=C.GOOD_FAIR_POOR, blank=True)
    compliance = CodeField(_("compliance with medical advice"), valueset=C.GOOD_FAIR_POOR, blank=True)
    tests_other = models.CharField(_("auxiliary examinations"), max_length=200, blank=True)
    adherence = CodeField(_("medication adherence"), valueset=C.ADHERENCE)
    adverse_reaction = CodeField(_("adverse drug reactions"), valueset=C.NONE_PRESENT, default="1")
    adverse_reaction_detail = models.CharField(_("adverse reaction described"), max_length=100, blank=True)
    complication = models.CharField(_("new or worse complication"), max_length=100, blank=True,
                                    help_text=_("Leave blank if none; a complication makes the visit class 4."))
    classification = CodeField(_("visit classification"), valueset=C.CLASSIFICATION, editable=False, blank=True)
    controlled = models.BooleanField(_("controlled"), default=False, editable=False)
    referral_prompt = CodeField(_("referral advice"), valueset=C.REFERRAL_PROMPT, default="0", editable=False)
    drugs = models.JSONField(_("medication"), default=list, blank=True)
    referral_reason = models.CharField(_("reason for referral"), max_length=100, blank=True)
    referral_institution = models.CharField(_("institution and department referred to"), max_length=100,
                                            blank=True)
    referral_contact = models.CharField(_("referral contact and phone"), max_length=60, blank=True)
    referral_result = CodeField(_("referral result"), valueset=C.REFERRAL_RESULT, blank=True)
    next_visit_date = models.DateField(
        _("date of next follow-up"), null=True, blank=True,
        help_text=_("Leave blank for the suggested date: 2 weeks after an unsatisfactory visit, else 3 months."))
    next_visit_suggested = models.DateField(_("suggested next follow-up"), null=True, editable=False)
    remarks = models.CharField(_("remarks"), max_length=200, blank=True)

    REPEATABLE = {"drugs": (DRUG_COLUMNS, 3)}

    class Meta(ServiceForm.Meta):
        abstract = True

    # --- the rules --------------------------------------------------------------------------------------------

    def age(self) -> int | None:
        if not self.record_id or not isinstance(self.service_date, dt.date):
            return None
        return age_in_years(self.record.resident.birth_date, self.service_date)

    def is_controlled(self) -> bool:
        raise NotImplementedError

    def is_urgent(self) -> bool:
        raise NotImplementedError

    def previous_controlled(self) -> bool | None:
        """Whether the record's previous follow-up of this kind (by date, then entry order) was controlled."""
        qs = type(self).objects.filter(record_id=self.record_id)
        if self.pk:
            qs = qs.exclude(pk=self.pk).filter(Q(service_date__lt=self.service_date)
                                               | Q(service_date=self.service_date, pk__lt=self.pk))
        else:
            qs = qs.filter(service_date__lte=self.service_date)
        return qs.order_by("-service_date", "-id").values_list("controlled", flat=True).first()

    def apply_rules(self) -> None:
        self.controlled = self.is_controlled()
        complication = bool(self.complication.strip())
        self.classification = R.classify(self.controlled, self.adverse_reaction == "2", complication)
        self.referral_prompt = R.referral_prompt(urgent=self.is_urgent(), controlled=self.controlled,
                                                 previous_controlled=self.previous_controlled(),
                                                 complication=complication)
        suggestion = R.suggested_next_visit(self.service_date, self.classification)
        if self.next_visit_date is None or self.next_visit_date == self.next_visit_suggested:
            self.next_visit_date = suggestion  # the doctor left the default
        self.next_visit_suggested = suggestion

    def clean(self):
        errors: dict[str, list[str]] = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        self.check_values(errors)
        if errors:
            raise ValidationError(errors)

    def full_clean(self, *args, **kwargs):
        """Validate, then compute what the rules decide (only from values that passed every check)."""
        super().full_clean(*args, **kwargs)
        if self.record_id and isinstance(self.service_date, dt.date):
            self.apply_rules()

    def check_values(self, errors: dict) -> None:
        def add(field, message):
            errors.setdefault(field, []).append(message)

        if R.bp_pair_error(self.sbp, self.dbp):
            add("sbp", gettext("The systolic pressure must be higher than the diastolic (%(s)s/%(d)s mmHg).")
                % {"s": self.sbp, "d": self.dbp})
        if (self.sbp is None) != (self.dbp is None):
            add("sbp" if self.sbp is None else "dbp", gettext("Enter both the systolic and the diastolic pressure."))
        if self.adverse_reaction == "2" and not self.adverse_reaction_detail.strip():
            add("adverse_reaction_detail", gettext("Describe the adverse reaction."))
        if self.adverse_reaction == "1" and self.adverse_reaction_detail.strip():
            add("adverse_reaction_detail", gettext("An adverse reaction is described but “none” is ticked."))
        if (self.referral_institution or self.referral_result) and not self.referral_reason.strip():
            add("referral_reason", gettext("Give the reason for the referral."))
        if self.referral_reason.strip() and not self.referral_institution.strip():
            add("referral_institution", gettext("Give the institution and department the patient is referred to."))
        if isinstance(self.service_date, dt.date) and isinstance(self.next_visit_date, dt.date) \
                and self.next_visit_date <= self.service_date:
            add("next_visit_date", gettext("The next follow-up must be after this one."))
        if self.drugs in (None, ""):
            self.drugs = []
        if not isinstance(self.drugs, list) or not all(isinstance(r, dict) for r in self.drugs):
            add("drugs", gettext("Medication must be a list of rows (name, times a day, dose)."))
        else:
            keys = {c.key for c in DRUG_COLUMNS}
            rows = [{k: str(r.get(k, "") or "").strip() for k in keys} for r in self.drugs]
            rows = [r for r in rows if any(r.values())]
            for r in rows:
                if not r["name"]:
                    add("drugs", gettext("Each medication row needs the drug's name."))
                    break
                if r["times"] and not (r["times"].isdigit() and 1 <= int(r["times"]) <= 12):
                    add("drugs", gettext("Times a day must be a whole number from 1 to 12 (%(drug)s).")
                        % {"drug": r["name"]})
                    break
            self.drugs = rows

    # --- display ----------------------------------------------------------------------------------------------

    def measure_text(self) -> str:
        return ""

    def summary(self) -> str:
        parts = [p for p in (self.measure_text(), C.CLASSIFICATION.label(self.classification)) if p]
        if self.next_visit_date:
            parts.append(gettext("next follow-up %(date)s") % {"date": self.next_visit_date.isoformat()})
        prompt = self.referral_prompt_text()
        if prompt:
            parts.append(prompt)
        return " · ".join(parts)

    def referral_prompt_text(self) -> str:
        if self.referral_prompt == R.URGENT:
            return gettext("Urgent referral: check within 2 weeks (by %(date)s)") % {
                "date": R.referral_check_due(self.service_date).isoformat()}
        if self.referral_prompt == R.REFERRAL:
            return gettext("Referral suggested: follow up the referral within 2 weeks")
        return ""

    @classmethod
    def initial_for(cls, record) -> dict:
        """A new follow-up starts from the latest one's targets and medication (the doctor changes what moved)."""
        last = cls.objects.filter(record=record).order_by("-service_date", "-id").first()
        initial = {"method": "1", "adverse_reaction": "1"}
        if last is None:
            return initial
        for name in cls.CARRIED_OVER:
            value = getattr(last, name)
            if value not in (None, ""):
                initial[name] = value
        return initial

    CARRIED_OVER = ("weight_target", "bmi_target", "smoking_target", "drinking_target", "exercise_times_target",
                    "exercise_minutes_target", "drugs")


LIFESTYLE_LINES = (
    ("smoking", "smoking_target"), ("drinking", "drinking_target"),
    ("exercise_times", "exercise_minutes"), ("exercise_times_target", "exercise_minutes_target"),
)


class HypertensionFollowup(ChronicFollowup):
    """高血压患者随访服务记录表."""

    kind = "hypertension_followup"
    program = "hypertension"
    document_kind = "高血压患者随访服务"

    symptoms = CodeListField(_("symptoms"), valueset=C.HTN_SYMPTOM, blank=False)
    sbp = models.PositiveSmallIntegerField(_("systolic blood pressure (mmHg)"), validators=_range(*R.SBP_RANGE))
    dbp = models.PositiveSmallIntegerField(_("diastolic blood pressure (mmHg)"), validators=_range(*R.DBP_RANGE))
    heart_rate = models.PositiveSmallIntegerField(_("heart rate (beats/min)"), null=True, blank=True,
                                                  validators=_range(*R.HEART_RATE_RANGE))
    salt = CodeField(_("salt intake"), valueset=C.SALT, blank=True)
    salt_target = CodeField(_("target salt intake"), valueset=C.SALT, blank=True)

    SECTIONS = (
        Section("visit", _("Follow-up"), ("service_date", "method")),
        Section("symptoms", _("Symptoms"), (("symptoms", "symptoms_other"),)),
        Section("signs", _("Signs"), (
            ("sbp", "dbp"), ("weight", "weight_target"), ("bmi", "bmi_target"), "heart_rate", "signs_other")),
        Section("lifestyle", _("Lifestyle guidance"), LIFESTYLE_LINES + (
            ("salt", "salt_target"), ("psychology", "compliance"))),
        Section("tests", _("Auxiliary examinations"), ("tests_other",)),
        Section("assessment", _("Medication and assessment"), (
            "adherence", ("adverse_reaction", "adverse_reaction_detail"), "complication", "classification")),
        Section("drugs", _("Medication"), ("drugs",)),
        Section("referral", _("Referral"), (
            ("referral_reason", "referral_institution"), ("referral_contact", "referral_result"))),
        Section("next", _("Next follow-up"), ("next_visit_date", "remarks")),
    )
    CARRIED_OVER = ChronicFollowup.CARRIED_OVER + ("salt_target",)

    class Meta(ChronicFollowup.Meta):
        verbose_name = _("hypertension follow-up")
        verbose_name_plural = _("hypertension follow-ups")
        indexes = [models.Index(fields=["record", "service_date"], name="htn_fu_record_date")]

    def is_controlled(self) -> bool:
        if self.sbp is None or self.dbp is None:
            return False
        return R.bp_controlled(self.sbp, self.dbp, self.age())

    def is_urgent(self) -> bool:
        return R.htn_urgent(self.sbp, self.dbp)

    def measure_text(self) -> str:
        if self.sbp is None:
            return ""
        return gettext("BP %(s)s/%(d)s mmHg") % {"s": self.sbp, "d": self.dbp}


class DiabetesFollowup(ChronicFollowup):
    """2型糖尿病患者随访服务记录表."""

    kind = "diabetes_followup"
    program = "diabetes"
    document_kind = "2型糖尿病患者随访服务"

    symptoms = CodeListField(_("symptoms"), valueset=C.DM_SYMPTOM, blank=False)
    dorsalis_pedis = CodeField(_("dorsalis pedis pulse"), valueset=C.DORSALIS_PEDIS, blank=True)
    staple_food = models.PositiveSmallIntegerField(_("staple food (g/day)"), null=True, blank=True,
                                                   validators=_range(0, 2000))
    staple_food_target = models.PositiveSmallIntegerField(_("target staple food (g/day)"), null=True, blank=True,
                                                          validators=_range(0, 2000))
    fasting_glucose = models.DecimalField(_("fasting blood glucose (mmol/L)"), max_digits=3, decimal_places=1,
                                          validators=_dec(*R.GLUCOSE_RANGE))
    hba1c = models.DecimalField(_("glycated haemoglobin HbA1c (%)"), max_digits=3, decimal_places=1, null=True,
                                blank=True, validators=_dec(*R.HBA1C_RANGE))
    hba1c_date = models.DateField(_("HbA1c test date"), null=True, blank=True)
    hypoglycaemia = CodeField(_("hypoglycaemic reactions"), valueset=C.HYPOGLYCAEMIA, default="1")
    insulin_kind = models.CharField(_("insulin kind"), max_length=60, blank=True)
    insulin_dose = models.CharField(_("insulin usage and dose"), max_length=60, blank=True)

    SECTIONS = (
        Section("visit", _("Follow-up"), ("service_date", "method")),
        Section("symptoms", _("Symptoms"), (("symptoms", "symptoms_other"),)),
        Section("signs", _("Signs"), (
            ("sbp", "dbp"), ("weight", "weight_target"), ("bmi", "bmi_target"), "dorsalis_pedis", "signs_other")),
        Section("lifestyle", _("Lifestyle guidance"), LIFESTYLE_LINES + (
            ("staple_food", "staple_food_target"), ("psychology", "compliance"))),
        Section("tests", _("Auxiliary examinations"), (
            "fasting_glucose", ("hba1c", "hba1c_date"), "tests_other")),
        Section("assessment", _("Medication and assessment"), (
            "adherence", ("adverse_reaction", "adverse_reaction_detail"), "hypoglycaemia", "complication",
            "classification")),
        Section("drugs", _("Medication"), ("drugs", ("insulin_kind", "insulin_dose"))),
        Section("referral", _("Referral"), (
            ("referral_reason", "referral_institution"), ("referral_contact", "referral_result"))),
        Section("next", _("Next follow-up"), ("next_visit_date", "remarks")),
    )
    CARRIED_OVER = ChronicFollowup.CARRIED_OVER + ("staple_food_target", "insulin_kind", "insulin_dose")

    class Meta(ChronicFollowup.Meta):
        verbose_name = _("type 2 diabetes follow-up")
        verbose_name_plural = _("type 2 diabetes follow-ups")
        indexes = [models.Index(fields=["record", "service_date"], name="dm_fu_record_date")]

    def is_controlled(self) -> bool:
        return self.fasting_glucose is not None and R.glucose_controlled(self.fasting_glucose)

    def is_urgent(self) -> bool:
        return R.dm_urgent(self.fasting_glucose, self.sbp, self.dbp)

    def check_values(self, errors: dict) -> None:
        super().check_values(errors)
        if self.hba1c is not None and self.hba1c_date is None:
            errors.setdefault("hba1c_date", []).append(gettext("Give the date of the HbA1c test."))
        if self.hba1c_date is not None and self.hba1c is None:
            errors.setdefault("hba1c", []).append(gettext("A test date is given without the HbA1c value."))
        if isinstance(self.hba1c_date, dt.date) and isinstance(self.service_date, dt.date) \
                and self.hba1c_date > self.service_date:
            errors.setdefault("hba1c_date", []).append(gettext("The HbA1c test date is after the follow-up."))

    def measure_text(self) -> str:
        if self.fasting_glucose is None:
            return ""
        return gettext("fasting glucose %(g)s mmol/L") % {"g": self.fasting_glucose}
