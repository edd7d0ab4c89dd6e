"""The four maternal forms of the 3rd-edition form set (see services.base for the shape every form shares).

A pregnancy is one enrolment in the program "maternal" (孕产妇健康管理): every form is tied to the enrolment that
was active when it was first saved (`enrollment`, set by the form itself, not editable). The enrolment ends when
the 42-day check closes the case (处理：结案), or by the ordinary exit (loss of the pregnancy, moving away ...).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import lazy
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jkda.codes import valuesets as V
from jkda.codes.fields import CodeField, CodeListField
from jkda.programs.models import Enrollment
from jkda.records.layout import Section
from jkda.services.base import ServiceForm, age_in_years

from . import codes as C
from . import rules as R


def _between(lo, hi) -> str:
    return gettext("Give a value between %(lo)s and %(hi)s.") % {"lo": lo, "hi": hi}


def _range(lo, hi, message=None):
    # lazy: the message is translated when shown, and migrations see the same (untranslated) text whatever the
    # language active when the models were imported
    msg = message or lazy(_between, str)(lo, hi)
    return [MinValueValidator(lo, message=msg), MaxValueValidator(hi, message=msg)]


GA_MESSAGE = _("The gestational age must be between 4 and 44 weeks.")


def _weeks_field():
    return models.PositiveSmallIntegerField(_("gestational weeks"), null=True, blank=True,
                                            validators=_range(R.GEST_WEEKS_MIN, R.GEST_WEEKS_MAX, GA_MESSAGE))


def _days_field():
    return models.PositiveSmallIntegerField(_("and days"), null=True, blank=True, validators=_range(0, 6))


def _sbp():
    return models.PositiveSmallIntegerField(_("systolic BP (mmHg)"), null=True, blank=True,
                                            validators=_range(50, 260))


def _dbp():
    return models.PositiveSmallIntegerField(_("diastolic BP (mmHg)"), null=True, blank=True,
                                            validators=_range(30, 160))


def _weight():
    return models.DecimalField(_("weight (kg)"), max_digits=4, decimal_places=1, null=True, blank=True,
                               validators=_range(Decimal("30"), Decimal("200")))


def _hb():
    return models.DecimalField(_("haemoglobin (g/L)"), max_digits=4, decimal_places=1, null=True, blank=True,
                               validators=_range(Decimal("30"), Decimal("250")))


def _normal(label):
    return CodeField(label, valueset=C.NORMAL, blank=True)


def _detail(label=None):
    return models.CharField(label or _("abnormality"), max_length=100, blank=True)


class MaternalForm(ServiceForm):
    """What the four maternal forms share: the program, the pregnancy they belong to, the woman, referral."""

    program = R.PROGRAM
    # (code field, detail field) pairs: an abnormal finding needs its description
    ABNORMAL_DETAIL: tuple[tuple[str, str], ...] = ()

    enrollment = models.ForeignKey(Enrollment, verbose_name=_("pregnancy"), null=True, blank=True, editable=False,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta(ServiceForm.Meta):
        abstract = True

    # --- the pregnancy ---------------------------------------------------------------------------------------

    def attach_enrollment(self) -> None:
        if self.enrollment_id is None and self.record_id:
            e = (Enrollment.objects.active().filter(record_id=self.record_id, program=R.PROGRAM)
                 .order_by("-enrolled_on", "-id").first())
            if e is not None:
                self.enrollment = e

    def first_check(self) -> PrenatalFirst | None:
        if self.enrollment_id is None:
            return None
        return PrenatalFirst.objects.filter(enrollment_id=self.enrollment_id).order_by("service_date", "id").first()

    def clean(self):
        errors: dict[str, list[str]] = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        self.attach_enrollment()
        if self.record_id and self.record.resident.sex != "2":
            errors.setdefault("__all__", []).append(
                gettext("%(form)s applies to women only: this resident is not recorded as female.")
                % {"form": capfirst(self.title())})
        for code, detail in self.ABNORMAL_DETAIL:
            if getattr(self, code) == "2" and not getattr(self, detail).strip():
                errors.setdefault(detail, []).append(gettext("Describe the abnormality."))
        sbp, dbp = getattr(self, "sbp", None), getattr(self, "dbp", None)
        if sbp is not None and dbp is not None and sbp <= dbp:
            errors.setdefault("dbp", []).append(gettext("The diastolic pressure must be lower than the systolic."))
        if getattr(self, "referral", "") == "2" and not self.referral_reason.strip():
            errors.setdefault("referral_reason", []).append(gettext("Give the reason for the referral."))
        nxt = getattr(self, "next_visit_on", None)
        if nxt is not None and isinstance(self.service_date, dt.date) and nxt <= self.service_date:
            errors.setdefault("next_visit_on", []).append(
                gettext("The next visit must be after the date of service."))
        self.clean_form(errors)
        if errors:
            raise ValidationError(errors)

    def clean_form(self, errors: dict) -> None:
        """The form's own rules; add messages to `errors` (field → list)."""


class ReferralMixin(models.Model):
    referral = CodeField(_("referral"), valueset=C.YES_NO, default="1")
    referral_reason = models.CharField(_("reason for referral"), max_length=100, blank=True)
    referral_institution = models.CharField(_("institution and department referred to"), max_length=100,
                                            blank=True)
    next_visit_on = models.DateField(_("next visit"), null=True, blank=True)

    class Meta:
        abstract = True


class PrenatalFirst(ReferralMixin, MaternalForm):
    """第1次产前检查服务记录表: registration of the pregnancy and the first prenatal check."""

    kind = "prenatal_first"
    document_kind = "第1次产前检查服务记录"
    ABNORMAL_DETAIL = (("heart", "heart_detail"), ("lungs", "lungs_detail"), ("vulva", "vulva_detail"),
                       ("vagina", "vagina_detail"), ("cervix", "cervix_detail"), ("uterus", "uterus_detail"),
                       ("adnexa", "adnexa_detail"), ("assessment", "assessment_detail"))

    gestational_weeks = _weeks_field()
    gestational_days = _days_field()
    age = models.PositiveSmallIntegerField(_("age of the pregnant woman"), null=True, blank=True,
                                           help_text=_("Filled from the birth date."))
    husband_name = models.CharField(_("husband's name"), max_length=50, blank=True)
    husband_age = models.PositiveSmallIntegerField(_("husband's age"), null=True, blank=True,
                                                   validators=_range(15, 99))
    husband_phone = models.CharField(_("husband's phone"), max_length=20, blank=True)
    gravidity = models.PositiveSmallIntegerField(_("gravidity"), null=True, blank=True, validators=_range(1, 20),
                                                 help_text=_("Pregnancies including this one."))
    parity_vaginal = models.PositiveSmallIntegerField(_("vaginal deliveries"), default=0, validators=_range(0, 19))
    parity_caesarean = models.PositiveSmallIntegerField(_("caesarean deliveries"), default=0,
                                                        validators=_range(0, 19))
    lmp = models.DateField(_("last menstrual period"), null=True, blank=True,
                           help_text=_("Leave empty when unknown, and give the gestational weeks."))
    edd = models.DateField(_("expected date of delivery"), null=True, blank=True,
                           help_text=_("Computed from the last menstrual period (+280 days)."))
    past_history = CodeListField(_("past history"), valueset=C.PAST_HISTORY)
    past_history_other = models.CharField(_("other past history"), max_length=100, blank=True)
    family_history = CodeListField(_("family history"), valueset=C.FAMILY_HISTORY)
    family_history_other = models.CharField(_("other family history"), max_length=100, blank=True)
    personal_history = CodeListField(_("personal history"), valueset=C.PERSONAL_HISTORY)
    personal_history_other = models.CharField(_("other personal history"), max_length=100, blank=True)
    gyn_surgery = CodeField(_("gynaecological surgery"), valueset=C.YES_NO, blank=True)
    gyn_surgery_detail = models.CharField(_("operation"), max_length=100, blank=True)
    spontaneous_abortions = models.PositiveSmallIntegerField(_("spontaneous abortions"), default=0,
                                                             validators=_range(0, 19))
    induced_abortions = models.PositiveSmallIntegerField(_("induced abortions"), default=0, validators=_range(0, 19))
    fetal_deaths = models.PositiveSmallIntegerField(_("fetal deaths"), default=0, validators=_range(0, 19))
    stillbirths = models.PositiveSmallIntegerField(_("stillbirths"), default=0, validators=_range(0, 19))
    neonatal_deaths = models.PositiveSmallIntegerField(_("neonatal deaths"), default=0, validators=_range(0, 19))
    birth_defects = models.PositiveSmallIntegerField(_("children with birth defects"), default=0,
                                                     validators=_range(0, 19))
    height = models.DecimalField(_("height (cm)"), max_digits=4, decimal_places=1, null=True, blank=True,
                                 validators=_range(Decimal("100"), Decimal("200")))
    weight = _weight()
    bmi = models.DecimalField(_("BMI (kg/m²)"), max_digits=4, decimal_places=1, null=True, blank=True,
                              help_text=_("Computed from height and weight."))
    sbp = _sbp()
    dbp = _dbp()
    heart = _normal(_("heart"))
    heart_detail = _detail()
    lungs = _normal(_("lungs"))
    lungs_detail = _detail()
    vulva = _normal(_("vulva"))
    vulva_detail = _detail()
    vagina = _normal(_("vagina"))
    vagina_detail = _detail()
    cervix = _normal(_("cervix"))
    cervix_detail = _detail()
    uterus = _normal(_("uterus"))
    uterus_detail = _detail()
    adnexa = _normal(_("adnexa"))
    adnexa_detail = _detail()
    hb = _hb()
    wbc = models.DecimalField(_("white cells (×10⁹/L)"), max_digits=4, decimal_places=1, null=True, blank=True,
                              validators=_range(Decimal("0.5"), Decimal("99")))
    platelets = models.PositiveSmallIntegerField(_("platelets (×10⁹/L)"), null=True, blank=True,
                                                 validators=_range(5, 1500))
    blood_other = models.CharField(_("other blood tests"), max_length=100, blank=True)
    urine_protein = CodeField(_("urine protein"), valueset=C.URINE, blank=True)
    urine_glucose = CodeField(_("urine glucose"), valueset=C.URINE, blank=True)
    urine_ketones = CodeField(_("urine ketones"), valueset=C.URINE, blank=True)
    urine_blood = CodeField(_("urine occult blood"), valueset=C.URINE, blank=True)
    urine_other = models.CharField(_("other urine tests"), max_length=100, blank=True)
    abo = CodeField(_("ABO blood group"), valueset=V.ABO, blank=True)
    rh = CodeField(_("Rh blood group"), valueset=V.RH, blank=True)
    glucose = models.DecimalField(_("blood glucose (mmol/L)"), max_digits=4, decimal_places=1, null=True,
                                  blank=True, validators=_range(Decimal("1"), Decimal("40")))
    alt = models.PositiveSmallIntegerField(_("ALT (U/L)"), null=True, blank=True, validators=_range(1, 5000))
    ast = models.PositiveSmallIntegerField(_("AST (U/L)"), null=True, blank=True, validators=_range(1, 5000))
    albumin = models.DecimalField(_("albumin (g/L)"), max_digits=4, decimal_places=1, null=True, blank=True,
                                  validators=_range(Decimal("5"), Decimal("80")))
    total_bilirubin = models.DecimalField(_("total bilirubin (μmol/L)"), max_digits=5, decimal_places=1,
                                          null=True, blank=True, validators=_range(Decimal("0"), Decimal("900")))
    direct_bilirubin = models.DecimalField(_("conjugated bilirubin (μmol/L)"), max_digits=5, decimal_places=1,
                                           null=True, blank=True, validators=_range(Decimal("0"), Decimal("900")))
    creatinine = models.PositiveSmallIntegerField(_("serum creatinine (μmol/L)"), null=True, blank=True,
                                                  validators=_range(5, 2000))
    urea = models.DecimalField(_("blood urea (mmol/L)"), max_digits=4, decimal_places=1, null=True, blank=True,
                               validators=_range(Decimal("0.5"), Decimal("80")))
    vaginal_secretion = CodeListField(_("vaginal secretions"), valueset=C.VAGINAL_SECRETION)
    vaginal_secretion_other = models.CharField(_("other finding in secretions"), max_length=100, blank=True)
    cleanliness = CodeField(_("vaginal cleanliness"), valueset=C.CLEANLINESS, blank=True)
    hbsag = CodeField(_("HBsAg"), valueset=C.SEROLOGY, blank=True)
    hbsab = CodeField(_("anti-HBs"), valueset=C.SEROLOGY, blank=True)
    hbeag = CodeField(_("HBeAg"), valueset=C.SEROLOGY, blank=True)
    hbeab = CodeField(_("anti-HBe"), valueset=C.SEROLOGY, blank=True)
    hbcab = CodeField(_("anti-HBc"), valueset=C.SEROLOGY, blank=True)
    syphilis = CodeField(_("syphilis serology"), valueset=C.SEROLOGY, blank=True)
    hiv = CodeField(_("HIV antibody"), valueset=C.SEROLOGY, blank=True)
    ultrasound = models.CharField(_("ultrasound"), max_length=200, blank=True)
    assessment = _normal(_("overall assessment"))
    assessment_detail = _detail()
    guidance = CodeListField(_("health guidance"), valueset=C.GUIDANCE_FIRST)
    guidance_other = models.CharField(_("other guidance"), max_length=100, blank=True)

    SECTIONS = (
        Section("pregnancy", _("Pregnancy"), (
            "service_date", ("gestational_weeks", "gestational_days"), "age",
            ("husband_name", "husband_age", "husband_phone"), "gravidity", ("parity_vaginal", "parity_caesarean"),
            "lmp", "edd",
        )),
        Section("history", _("History"), (
            ("past_history", "past_history_other"), ("family_history", "family_history_other"),
            ("personal_history", "personal_history_other"), ("gyn_surgery", "gyn_surgery_detail"),
            ("spontaneous_abortions", "induced_abortions", "fetal_deaths"),
            ("stillbirths", "neonatal_deaths", "birth_defects"),
        )),
        Section("exam", _("Examination"), (
            ("height", "weight", "bmi"), ("sbp", "dbp"), ("heart", "heart_detail"), ("lungs", "lungs_detail"),
            ("vulva", "vulva_detail"), ("vagina", "vagina_detail"), ("cervix", "cervix_detail"),
            ("uterus", "uterus_detail"), ("adnexa", "adnexa_detail"),
        )),
        Section("tests", _("Auxiliary tests"), (
            ("hb", "wbc", "platelets", "blood_other"),
            ("urine_protein", "urine_glucose", "urine_ketones", "urine_blood", "urine_other"),
            ("abo", "rh"), "glucose", ("alt", "ast", "albumin", "total_bilirubin", "direct_bilirubin"),
            ("creatinine", "urea"), ("vaginal_secretion", "vaginal_secretion_other", "cleanliness"),
            ("hbsag", "hbsab", "hbeag", "hbeab", "hbcab"), ("syphilis", "hiv"), "ultrasound",
        )),
        Section("assessment", _("Assessment and guidance"), (
            ("assessment", "assessment_detail"), ("guidance", "guidance_other"),
            ("referral", "referral_reason", "referral_institution"), "next_visit_on", "doctor_name",
        )),
    )

    class Meta(MaternalForm.Meta):
        verbose_name = _("first prenatal check")
        verbose_name_plural = _("first prenatal checks")

    @property
    def is_early(self) -> bool:
        return R.is_early(self.gestational_weeks, self.gestational_days)

    @property
    def implied_lmp(self) -> dt.date | None:
        if self.lmp:
            return self.lmp
        if self.gestational_weeks is not None and self.service_date:
            return R.lmp_from_ga(self.service_date, self.gestational_weeks, self.gestational_days)
        return None

    def summary(self) -> str:
        parts = [gettext("%(ga)s weeks") % {"ga": R.ga_label(self.gestational_weeks, self.gestational_days)}]
        if self.edd:
            parts.append(gettext("EDD %(d)s") % {"d": self.edd.isoformat()})
        parts.append(gettext("early registration") if self.is_early else gettext("registered after 13 weeks"))
        if self.assessment == "2":
            parts.append(gettext("abnormal: %(d)s") % {"d": self.assessment_detail})
        return " · ".join(parts)

    def clean_form(self, errors: dict) -> None:
        when = self.service_date if isinstance(self.service_date, dt.date) else None
        if when is None:
            return
        if self.record_id and self.record.resident.birth_date and when >= self.record.resident.birth_date:
            self.age = age_in_years(self.record.resident.birth_date, when)
        if self.lmp is not None:
            if self.lmp > when:
                errors.setdefault("lmp", []).append(
                    gettext("The last menstrual period cannot be after the date of service."))
                return
            weeks, days = R.gestational_age(self.lmp, when)
            if not R.ga_in_range(weeks):
                errors.setdefault("lmp", []).append(
                    gettext("This last menstrual period gives %(ga)s weeks on the date of service: the gestational "
                            "age must be between 4 and 44 weeks.") % {"ga": R.ga_label(weeks, days)})
                return
            self.gestational_weeks, self.gestational_days = weeks, days
            self.edd = R.edd(self.lmp)
        elif self.gestational_weeks is None:
            errors.setdefault("gestational_weeks", []).append(
                gettext("Give the last menstrual period or the gestational weeks."))
            return
        else:
            if self.gestational_days is None:
                self.gestational_days = 0
            if self.edd is None and R.ga_in_range(self.gestational_weeks):
                self.edd = R.edd(R.lmp_from_ga(when, self.gestational_weeks, self.gestational_days))
        if self.height and self.weight:
            m = self.height / Decimal(100)
            self.bmi = (self.weight / (m * m)).quantize(Decimal("0.1"))
        if self.gravidity is not None and self.parity_vaginal + self.parity_caesarean > self.gravidity - 1:
            errors.setdefault("parity_vaginal", []).append(
                gettext("The deliveries before this pregnancy cannot exceed the gravidity minus one."))
        if self.enrollment_id is not None:
            other = PrenatalFirst.objects.filter(enrollment_id=self.enrollment_id).exclude(pk=self.pk).first()
            if other is not None:
                errors.setdefault("__all__", []).append(
                    gettext("This pregnancy already has its first prenatal check (%(d)s): record a follow-up "
                            "instead.") % {"d": other.service_date.isoformat()})


FOLLOWUP_VISITS = [(w.visit, format_lazy(_("visit {n}"), n=w.visit)) for w in R.WINDOWS]


class PrenatalFollowup(ReferralMixin, MaternalForm):
    """第2~5次产前随访服务记录表."""

    kind = "prenatal_followup"
    document_kind = "产前随访服务记录"
    ABNORMAL_DETAIL = (("classification", "classification_detail"),)

    visit_number = models.PositiveSmallIntegerField(
        _("visit number"), null=True, blank=True, choices=FOLLOWUP_VISITS,
        help_text=_("Filled from the gestational age when left empty."))
    gestational_weeks = _weeks_field()
    gestational_days = _days_field()
    complaints = models.CharField(_("complaints"), max_length=200, blank=True)
    weight = _weight()
    fundal_height = models.DecimalField(_("fundal height (cm)"), max_digits=3, decimal_places=1, null=True,
                                        blank=True, validators=_range(Decimal("5"), Decimal("50")))
    abdominal_circumference = models.DecimalField(_("abdominal circumference (cm)"), max_digits=4,
                                                  decimal_places=1, null=True, blank=True,
                                                  validators=_range(Decimal("50"), Decimal("160")))
    fetal_position = CodeField(_("fetal position"), valueset=C.FETAL_POSITION, blank=True)
    fetal_heart_rate = models.PositiveSmallIntegerField(_("fetal heart rate (/min)"), null=True, blank=True,
                                                        validators=_range(60, 220))
    sbp = _sbp()
    dbp = _dbp()
    hb = _hb()
    urine_protein = CodeField(_("urine protein"), valueset=C.URINE, blank=True)
    other_tests = models.CharField(_("other auxiliary tests"), max_length=200, blank=True)
    classification = CodeField(_("classification"), valueset=C.NORMAL, default="1")
    classification_detail = _detail()
    guidance = CodeListField(_("guidance"), valueset=C.GUIDANCE_FOLLOWUP)
    guidance_other = models.CharField(_("other guidance"), max_length=100, blank=True)

    SECTIONS = (
        Section("visit", _("Visit"), (
            "service_date", "visit_number", ("gestational_weeks", "gestational_days"), "complaints", "weight",
        )),
        Section("obstetric", _("Obstetric examination"), (
            ("fundal_height", "abdominal_circumference"), ("fetal_position", "fetal_heart_rate"), ("sbp", "dbp"),
            "hb", "urine_protein", "other_tests",
        )),
        Section("assessment", _("Classification and guidance"), (
            ("classification", "classification_detail"), ("guidance", "guidance_other"),
            ("referral", "referral_reason", "referral_institution"), "next_visit_on", "doctor_name",
        )),
    )

    class Meta(MaternalForm.Meta):
        verbose_name = _("prenatal follow-up (2nd–5th)")
        verbose_name_plural = _("prenatal follow-ups (2nd–5th)")

    def summary(self) -> str:
        parts = [gettext("visit %(n)s") % {"n": self.visit_number or "?"},
                 gettext("%(ga)s weeks") % {"ga": R.ga_label(self.gestational_weeks, self.gestational_days)}]
        if self.sbp and self.dbp:
            parts.append(f"{self.sbp}/{self.dbp} mmHg")
        if self.fetal_heart_rate:
            parts.append(gettext("fetal heart %(n)d/min") % {"n": self.fetal_heart_rate})
        parts.append(self.get_classification_display())
        return " · ".join(parts)

    @classmethod
    def initial_for(cls, record) -> dict:
        from jkda.records.rules import today

        e = Enrollment.objects.active().filter(record=record, program=R.PROGRAM).first()
        first = PrenatalFirst.objects.filter(enrollment=e).first() if e else None
        if first is None or first.implied_lmp is None:
            return {}
        weeks, days = R.gestational_age(first.implied_lmp, today())
        done = PrenatalFollowup.objects.filter(enrollment=e).count()
        return {"gestational_weeks": weeks, "gestational_days": days,
                "visit_number": R.suggested_visit_number(weeks, done)}

    def clean_form(self, errors: dict) -> None:
        when = self.service_date if isinstance(self.service_date, dt.date) else None
        if when is None:
            return
        first = self.first_check()
        if first is None:
            errors.setdefault("__all__", []).append(
                gettext("Record the first prenatal check of this pregnancy before a follow-up."))
            return
        if when < first.service_date:
            errors.setdefault("service_date", []).append(
                gettext("The follow-up is before the first prenatal check (%(d)s).")
                % {"d": first.service_date.isoformat()})
            return
        lmp = first.implied_lmp
        if self.gestational_weeks is None and lmp is not None:
            weeks, days = R.gestational_age(lmp, when)
            if not R.ga_in_range(weeks):
                errors.setdefault("gestational_weeks", []).append(
                    gettext("The pregnancy is at %(ga)s weeks on this date: the gestational age must be between "
                            "4 and 44 weeks.") % {"ga": R.ga_label(weeks, days)})
                return
            self.gestational_weeks, self.gestational_days = weeks, days
        if self.gestational_weeks is None:
            errors.setdefault("gestational_weeks", []).append(gettext("Give the gestational weeks."))
            return
        if self.gestational_days is None:
            self.gestational_days = 0
        if self.visit_number is None:
            done = PrenatalFollowup.objects.filter(enrollment_id=self.enrollment_id).exclude(pk=self.pk).count()
            self.visit_number = R.suggested_visit_number(self.gestational_weeks, done)


class PostpartumBase(MaternalForm):
    """What the postpartum visit and the 42-day check share."""

    ABNORMAL_DETAIL = (("breasts", "breasts_detail"), ("lochia", "lochia_detail"), ("uterus", "uterus_detail"),
                       ("wound", "wound_detail"))

    delivery_date = models.DateField(_("date of delivery"))
    discharge_date = models.DateField(_("date of discharge"), null=True, blank=True)
    general_health = models.CharField(_("general health"), max_length=100, blank=True)
    mental_state = models.CharField(_("psychological state"), max_length=100, blank=True)
    sbp = _sbp()
    dbp = _dbp()
    breasts = _normal(_("breasts"))
    breasts_detail = _detail()
    lochia = _normal(_("lochia"))
    lochia_detail = _detail()
    uterus = _normal(_("uterus"))
    uterus_detail = _detail()
    wound = _normal(_("wound"))
    wound_detail = _detail()
    other = models.CharField(_("other"), max_length=200, blank=True)

    class Meta(MaternalForm.Meta):
        abstract = True

    def clean_form(self, errors: dict) -> None:
        when = self.service_date if isinstance(self.service_date, dt.date) else None
        delivery = self.delivery_date if isinstance(self.delivery_date, dt.date) else None
        if when is None or delivery is None:
            return
        if when < delivery:
            errors.setdefault("service_date", []).append(
                gettext("%(form)s cannot be before the delivery (%(d)s).")
                % {"form": capfirst(self.title()), "d": delivery.isoformat()})
        discharge = self.discharge_date
        if discharge is not None:
            if discharge < delivery:
                errors.setdefault("discharge_date", []).append(
                    gettext("The discharge cannot be before the delivery."))
            elif when < discharge:
                errors.setdefault("service_date", []).append(
                    gettext("%(form)s cannot be before the discharge (%(d)s).")
                    % {"form": capfirst(self.title()), "d": discharge.isoformat()})
        first = self.first_check()
        if first is not None and delivery < first.service_date:
            errors.setdefault("delivery_date", []).append(
                gettext("The delivery cannot be before the first prenatal check (%(d)s).")
                % {"d": first.service_date.isoformat()})


class PostpartumVisit(ReferralMixin, PostpartumBase):
    """产后访视记录表: the home visit within a week of discharge."""

    kind = "postpartum_visit"
    document_kind = "产后访视记录"
    ABNORMAL_DETAIL = PostpartumBase.ABNORMAL_DETAIL + (("classification", "classification_detail"),)

    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True,
                                      validators=_range(Decimal("34"), Decimal("43")))
    classification = CodeField(_("classification"), valueset=C.NORMAL, default="1")
    classification_detail = _detail()
    guidance = CodeListField(_("guidance"), valueset=C.GUIDANCE_POSTPARTUM)
    guidance_other = models.CharField(_("other guidance"), max_length=100, blank=True)

    SECTIONS = (
        Section("delivery", _("Delivery"), ("service_date", ("delivery_date", "discharge_date"))),
        Section("exam", _("Examination"), (
            "temperature", "general_health", "mental_state", ("sbp", "dbp"), ("breasts", "breasts_detail"),
            ("lochia", "lochia_detail"), ("uterus", "uterus_detail"), ("wound", "wound_detail"), "other",
        )),
        Section("assessment", _("Classification and guidance"), (
            ("classification", "classification_detail"), ("guidance", "guidance_other"),
            ("referral", "referral_reason", "referral_institution"), "next_visit_on", "doctor_name",
        )),
    )

    class Meta(MaternalForm.Meta):
        verbose_name = _("postpartum home visit")
        verbose_name_plural = _("postpartum home visits")

    @property
    def on_time(self) -> bool:
        return R.postpartum_visit_on_time(self.service_date, self.delivery_date, self.discharge_date)

    def summary(self) -> str:
        days = (self.service_date - R.postpartum_anchor(self.delivery_date, self.discharge_date)).days
        return " · ".join([gettext("delivered %(d)s") % {"d": self.delivery_date.isoformat()},
                           gettext("day %(n)d after discharge") % {"n": days},
                           self.get_classification_display()])


class Postpartum42d(PostpartumBase):
    """产后42天健康检查记录表: the check that ends the management of the pregnancy (结案) or refers."""

    kind = "postpartum_42d"
    document_kind = "产后42天健康检查记录"

    classification = CodeField(_("classification"), valueset=C.RECOVERY, default="1")
    classification_detail = _detail(_("not recovered because"))
    guidance = CodeListField(_("guidance"), valueset=C.GUIDANCE_42D)
    guidance_other = models.CharField(_("other guidance"), max_length=100, blank=True)
    disposal = CodeField(_("disposal"), valueset=C.DISPOSAL_42D, default="1")
    referral_reason = models.CharField(_("reason for referral"), max_length=100, blank=True)
    referral_institution = models.CharField(_("institution and department referred to"), max_length=100,
                                            blank=True)

    SECTIONS = (
        Section("delivery", _("Delivery"), ("service_date", ("delivery_date", "discharge_date"))),
        Section("exam", _("Examination"), (
            "general_health", "mental_state", ("sbp", "dbp"), ("breasts", "breasts_detail"),
            ("lochia", "lochia_detail"), ("uterus", "uterus_detail"), ("wound", "wound_detail"), "other",
        )),
        Section("assessment", _("Classification and guidance"), (
            ("classification", "classification_detail"), ("guidance", "guidance_other"),
            ("disposal", "referral_reason", "referral_institution"), "doctor_name",
        )),
    )

    class Meta(MaternalForm.Meta):
        verbose_name = _("42-day postpartum check")
        verbose_name_plural = _("42-day postpartum checks")

    @classmethod
    def initial_for(cls, record) -> dict:
        e = Enrollment.objects.active().filter(record=record, program=R.PROGRAM).first()
        visit = PostpartumVisit.objects.filter(enrollment=e).order_by("-service_date").first() if e else None
        if visit is None:
            return {}
        return {"delivery_date": visit.delivery_date, "discharge_date": visit.discharge_date}

    @property
    def in_window(self) -> bool:
        lo, hi = R.check42_window(self.delivery_date)
        return lo <= self.service_date <= hi

    def summary(self) -> str:
        days = (self.service_date - self.delivery_date).days
        return " · ".join([gettext("day %(n)d after delivery") % {"n": days}, self.get_classification_display(),
                           self.get_disposal_display()])

    def clean_form(self, errors: dict) -> None:
        super().clean_form(errors)
        if self.classification == "2" and not self.classification_detail.strip():
            errors.setdefault("classification_detail", []).append(gettext("Describe what has not recovered."))
        if self.disposal == "2" and not self.referral_reason.strip():
            errors.setdefault("referral_reason", []).append(gettext("Give the reason for the referral."))

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if self.disposal == "1" and self.enrollment_id is not None:
            close_pregnancy(self.enrollment_id, self.service_date)


def close_pregnancy(enrollment_id: int, on: dt.date) -> None:
    """The 42-day check closed the case (结案): the pregnancy's enrolment ends on the check's date."""
    from jkda.programs.actions import exit_program

    e = Enrollment.objects.filter(pk=enrollment_id, exited_on__isnull=True).first()
    if e is not None:
        exit_program(None, e, on=max(on, e.enrolled_on), reason=EXIT_COMPLETED,
                     note=gettext("42-day postpartum check: case closed"))


# Exit reason "management completed" (programs.codes.EXIT_REASON).
EXIT_COMPLETED = "7"  # programs.codes.EXIT_REASON: management completed
