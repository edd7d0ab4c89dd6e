"""Forms of the children's program (0–6 years) and immunisation.

One model per national paper form: the newborn home visit, the three child health check forms (1–8 months,
12–30 months, 3–6 years: each records which scheduled check it is in `month_age`, because the national forms are
one sheet per age group with one column per scheduled check), the child TCM guidance record, the vaccination
certificate/card and one row per vaccine dose given. Schedules and rules live in rules.py.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jkda.codes.fields import CodeField, CodeListField
from jkda.records.layout import Section
from jkda.services.base import ServiceForm

from . import codes as C
from . import rules

PROGRAM = "child"
MAX_CHILD_DAYS = rules.child_age_days_limit()


def _code(label, valueset, blank=True, **kw):
    if blank:
        kw.setdefault("default", "")
    return CodeField(label, valueset=valueset, blank=blank, **kw)


def _dec(label, digits, places, lo, hi, required=False):
    return models.DecimalField(label, max_digits=digits, decimal_places=places, null=True, blank=not required,
                               validators=[MinValueValidator(Decimal(lo)), MaxValueValidator(Decimal(hi))])


def _num(label, lo, hi):
    return models.PositiveSmallIntegerField(label, null=True, blank=True,
                                            validators=[MinValueValidator(lo), MaxValueValidator(hi)])


def _text(label, n=100):
    return models.CharField(label, max_length=n, blank=True, default="")


# --- newborn home visit -------------------------------------------------------------------------------------------


class NewbornVisit(ServiceForm):
    """新生儿家庭访视记录表: within a week of discharge, in the newborn period (28 days)."""

    kind = "newborn_visit"
    program = PROGRAM
    min_age_days = 0
    max_age_days = 28
    document_kind = "新生儿家庭访视"

    gestational_weeks = _num(_("gestational age (weeks)"), 20, 45)
    gestational_days = _num(_("gestational age (days)"), 0, 6)
    mother_illness = CodeListField(_("mother's illness during pregnancy"), valueset=C.PREGNANCY_ILLNESS)
    mother_illness_other = _text(_("other illness of the mother"))
    birth_institution = _text(_("birth institution"))
    birth_mode = CodeListField(_("birth"), valueset=C.BIRTH_MODE)
    asphyxia = _code(_("neonatal asphyxia"), C.YES_NO)
    apgar_1 = _num(_("Apgar score at 1 minute"), 0, 10)
    apgar_5 = _num(_("Apgar score at 5 minutes"), 0, 10)
    malformation = _code(_("malformation"), C.YES_NO)
    malformation_detail = _text(_("malformation detail"))
    hearing_screening = _code(_("newborn hearing screening"), C.HEARING_SCREEN)
    disease_screening = CodeListField(_("newborn disease screening"), valueset=C.DISEASE_SCREEN)
    birth_weight = _dec(_("birth weight (kg)"), 4, 2, "0.3", "7")
    current_weight = _dec(_("current weight (kg)"), 4, 2, "0.3", "8", required=True)
    birth_length = _dec(_("birth length (cm)"), 4, 1, "25", "65")
    feeding = _code(_("feeding"), C.FEEDING)
    milk_ml = _num(_("milk per feed (ml)"), 0, 300)
    feeds_per_day = _num(_("feeds per day"), 0, 30)
    vomiting = _code(_("vomiting"), C.YES_NO)
    stool = _code(_("stool"), C.STOOL)
    stools_per_day = _num(_("stools per day"), 0, 20)
    temperature = _dec(_("temperature (°C)"), 3, 1, "34", "42")
    pulse = _num(_("pulse (per minute)"), 60, 240)
    respiration = _num(_("respiration (per minute)"), 10, 100)
    complexion = _code(_("complexion"), C.COMPLEXION)
    jaundice = CodeListField(_("jaundice site"), valueset=C.JAUNDICE)
    fontanelle_w = _dec(_("anterior fontanelle width (cm)"), 3, 1, "0", "6")
    fontanelle_h = _dec(_("anterior fontanelle length (cm)"), 3, 1, "0", "6")
    fontanelle = _code(_("anterior fontanelle"), C.FONTANELLE)
    eyes = _code(_("eyes"), C.NORMAL)
    limbs = _code(_("limb movement"), C.NORMAL)
    ears = _code(_("ears"), C.NORMAL)
    neck_mass = _code(_("neck mass"), C.YES_NO)
    nose = _code(_("nose"), C.NORMAL)
    skin = _code(_("skin"), C.NEWBORN_SKIN)
    mouth = _code(_("mouth"), C.NORMAL)
    anus = _code(_("anus"), C.NORMAL)
    heart_lung = _code(_("heart and lung auscultation"), C.NORMAL)
    genitals = _code(_("external genitals"), C.NORMAL)
    abdomen = _code(_("abdominal palpation"), C.NORMAL)
    spine = _code(_("spine"), C.NORMAL)
    umbilical_cord = _code(_("umbilical cord"), C.CORD)
    abnormal_note = _text(_("abnormal findings"), 200)
    referral = _code(_("referral advised"), C.YES_NO)
    referral_reason = _text(_("referral reason"))
    referral_institution = _text(_("referral institution and department"))
    guidance = CodeListField(_("guidance"), valueset=C.NEWBORN_GUIDANCE)
    next_visit_place = _text(_("next visit place"))
    next_visit_on = models.DateField(_("next visit date"), null=True, blank=True)

    SECTIONS = (
        Section("birth", _("Birth"), (
            ("gestational_weeks", "gestational_days"), ("mother_illness", "mother_illness_other"),
            "birth_institution", "birth_mode", ("asphyxia", "apgar_1", "apgar_5"),
            ("malformation", "malformation_detail"), "hearing_screening", "disease_screening",
            ("birth_weight", "current_weight", "birth_length"))),
        Section("feeding", _("Feeding and general state"), (
            ("feeding", "milk_ml", "feeds_per_day"), "vomiting", ("stool", "stools_per_day"),
            ("temperature", "pulse", "respiration"), "complexion", "jaundice")),
        Section("exam", _("Physical examination"), (
            ("fontanelle_w", "fontanelle_h", "fontanelle"), ("eyes", "limbs"), ("ears", "neck_mass"),
            ("nose", "skin"), ("mouth", "anus"), ("heart_lung", "genitals"), ("abdomen", "spine"),
            "umbilical_cord", "abnormal_note")),
        Section("plan", _("Referral and guidance"), (
            ("referral", "referral_reason", "referral_institution"), "guidance",
            ("next_visit_place", "next_visit_on"))),
    )

    class Meta(ServiceForm.Meta):
        verbose_name = _("newborn home visit")
        # the indicators ask "served by a day, for which records" (a covering index range)
        indexes = [models.Index(fields=["service_date", "record"], name="newborn_date_record")]
        verbose_name_plural = _("newborn home visits")

    def summary(self) -> str:
        parts = []
        if self.current_weight is not None:
            parts.append(gettext("weight %(w)s kg") % {"w": self.current_weight})
        if self.feeding:
            parts.append(self.get_feeding_display())
        if self.referral == "2":
            parts.append(gettext("referred"))
        return "，".join(parts)

    def clean(self):
        super().clean()
        errors = {}
        if self.malformation == "2" and not self.malformation_detail:
            errors["malformation_detail"] = [gettext("Describe the malformation.")]
        if self.referral == "2" and not self.referral_reason:
            errors["referral_reason"] = [gettext("Give the reason for the referral.")]
        if self.next_visit_on and self.service_date and self.next_visit_on <= self.service_date:
            errors["next_visit_on"] = [gettext("The next visit must be after this visit.")]
        if errors:
            raise ValidationError(errors)


# --- child health checks ------------------------------------------------------------------------------------------


class ChildCheck(ServiceForm):
    """What the three child health check forms share: growth and its evaluation, examination, tests,
    development, illnesses since the last visit, referral, guidance and the next visit."""

    program = PROGRAM
    month_age = _code(_("month age"), C.CHECK_AGE_INFANT, blank=False)
    weight = _dec(_("weight (kg)"), 4, 2, "1", "60", required=True)
    weight_eval = _code(_("weight evaluation"), C.EVAL3)
    length = _dec(_("length or height (cm)"), 4, 1, "40", "150")
    length_eval = _code(_("length or height evaluation"), C.EVAL3)
    head_circumference = _dec(_("head circumference (cm)"), 4, 1, "30", "60")
    complexion = _code(_("complexion"), C.COMPLEXION)
    skin = _code(_("skin"), C.NORMAL)
    eyes = _code(_("eyes"), C.NORMAL)
    ears = _code(_("ears"), C.NORMAL)
    hearing = _code(_("hearing"), C.HEARING)
    teeth = _num(_("teeth"), 0, 24)
    caries = _num(_("caries"), 0, 24)
    heart_lung = _code(_("heart and lungs"), C.NORMAL)
    abdomen = _code(_("abdomen"), C.NORMAL)
    limbs = _code(_("limbs"), C.NORMAL)
    hb = _num(_("haemoglobin (g/L)"), 30, 250)
    development = _code(_("development assessment"), C.DEVELOPMENT)
    pneumonia_times = _num(_("pneumonia (times)"), 0, 20)
    diarrhoea_times = _num(_("diarrhoea (times)"), 0, 50)
    trauma_times = _num(_("trauma (times)"), 0, 20)
    illness_other = _text(_("other illness"))
    abnormal_note = _text(_("abnormal findings"), 200)
    referral = _code(_("referral advised"), C.YES_NO)
    referral_reason = _text(_("referral reason"))
    referral_institution = _text(_("referral institution and department"))
    guidance = CodeListField(_("guidance"), valueset=C.GUIDANCE)
    next_visit_on = models.DateField(_("next visit date"), null=True, blank=True)

    GROWTH = ("month_age", ("weight", "weight_eval"), ("length", "length_eval"), "head_circumference")
    TAIL = (
        Section("tests", _("Tests and development"), ("hb", "hearing", "development")),
        Section("illness", _("Illnesses between visits"), (
            ("pneumonia_times", "diarrhoea_times", "trauma_times"), "illness_other")),
        Section("plan", _("Referral and guidance"), (
            ("referral", "referral_reason", "referral_institution"), "guidance", "next_visit_on")),
    )

    class Meta(ServiceForm.Meta):
        abstract = True
        # the indicators ask "served by a day, for which records" (a covering index range)
        indexes = [models.Index(fields=["service_date", "record"], name="%(class)s_date_rec")]

    def summary(self) -> str:
        parts = [self.get_month_age_display()]
        if self.weight is not None:
            parts.append(gettext("weight %(w)s kg") % {"w": self.weight})
        if self.length is not None:
            parts.append(gettext("length %(l)s cm") % {"l": self.length})
        if self.hb is not None:
            parts.append(gettext("Hb %(hb)s g/L") % {"hb": self.hb})
        if self.development == "2":
            parts.append(gettext("development not passed"))
        return "，".join(parts)

    @classmethod
    def initial_for(cls, record) -> dict:
        from jkda.records.rules import today

        birth, on = record.resident.birth_date, today()
        codes = set(cls._meta.get_field("month_age").valueset.codes)
        for check in rules.current_checks(rules.CHECKS, birth, on, horizon_days=30):
            if check.code in codes:
                return {"month_age": check.code, "service_date": on}
        return {"service_date": on}

    def clean(self):
        super().clean()
        errors: dict[str, list[str]] = {}
        check = rules.CHECK_BY_CODE.get(self.month_age)
        record = self.record if self.record_id else None
        if check is not None and record is not None and self.service_date:
            birth = record.resident.birth_date
            earliest = rules.check_too_early(check, birth, self.service_date)
            if earliest is not None:
                errors.setdefault("month_age", []).append(
                    gettext("The %(check)s cannot be recorded before %(date)s.") % {
                        "check": self.get_month_age_display(), "date": earliest.isoformat()})
            same = type(self).objects.filter(record_id=self.record_id, month_age=self.month_age).exclude(pk=self.pk)
            first = same.order_by("service_date").first()
            if first is not None:
                errors.setdefault("month_age", []).append(
                    gettext("The %(check)s was already recorded on %(date)s.") % {
                        "check": self.get_month_age_display(), "date": first.service_date.isoformat()})
            if self.hb is None:
                hb6 = self.month_age == "8" and type(self).objects.filter(
                    record_id=self.record_id, month_age="6", hb__isnull=False).exists()
                if rules.hb_required(self.month_age, hb6):
                    errors.setdefault("hb", []).append(
                        gettext("Haemoglobin is checked at 6–8, 18 and 30 months: enter the value."))
            if rules.hearing_required(self.month_age) and not self.hearing:
                errors.setdefault("hearing", []).append(
                    gettext("Hearing is screened at 6, 12, 24 and 36 months: enter the result."))
        if self.referral == "2" and not self.referral_reason:
            errors.setdefault("referral_reason", []).append(gettext("Give the reason for the referral."))
        if self.next_visit_on and self.service_date and self.next_visit_on <= self.service_date:
            errors.setdefault("next_visit_on", []).append(gettext("The next visit must be after this visit."))
        if errors:
            raise ValidationError(errors)


class InfantCheck(ChildCheck):
    """1～8月龄儿童健康检查记录表 (full month, 3, 6, 8 months)."""

    kind = rules.INFANT
    min_age_days = 21
    max_age_days = 365
    document_kind = "儿童健康体检"

    month_age = _code(_("month age"), C.CHECK_AGE_INFANT, blank=False)
    fontanelle_closed = _code(_("anterior fontanelle"), C.FONTANELLE_CLOSED)
    fontanelle_w = _dec(_("anterior fontanelle width (cm)"), 3, 1, "0", "6")
    fontanelle_h = _dec(_("anterior fontanelle length (cm)"), 3, 1, "0", "6")
    neck_mass = _code(_("neck mass"), C.YES_NO)
    umbilicus = _code(_("umbilicus"), C.NORMAL)
    anus_genitals = _code(_("anus and external genitals"), C.NORMAL)
    rickets_symptoms = CodeListField(_("suspected rickets symptoms"), valueset=C.RICKETS_SYMPTOM)
    rickets_signs = CodeListField(_("suspected rickets signs"), valueset=C.RICKETS_SIGN)
    outdoor_hours = _dec(_("outdoor activity (hours a day)"), 3, 1, "0", "24")
    vitamin_d_iu = _num(_("vitamin D (IU a day)"), 0, 5000)

    SECTIONS = (
        Section("growth", _("Growth"), ChildCheck.GROWTH),
        Section("exam", _("Physical examination"), (
            ("complexion", "skin"), ("fontanelle_closed", "fontanelle_w", "fontanelle_h"), "neck_mass",
            ("eyes", "ears"), "teeth", ("heart_lung", "abdomen"), ("umbilicus", "limbs"), "anus_genitals",
            "rickets_symptoms", "rickets_signs", "abnormal_note", ("outdoor_hours", "vitamin_d_iu"))),
        *ChildCheck.TAIL,
    )

    class Meta(ChildCheck.Meta):
        verbose_name = _("child health check, 1–8 months")
        verbose_name_plural = _("child health checks, 1–8 months")


class ToddlerCheck(ChildCheck):
    """12～30月龄儿童健康检查记录表 (12, 18, 24, 30 months)."""

    kind = rules.TODDLER
    min_age_days = 330
    max_age_days = 1186
    document_kind = "儿童健康体检"

    month_age = _code(_("month age"), C.CHECK_AGE_TODDLER, blank=False)
    fontanelle_closed = _code(_("anterior fontanelle"), C.FONTANELLE_CLOSED)
    fontanelle_w = _dec(_("anterior fontanelle width (cm)"), 3, 1, "0", "6")
    fontanelle_h = _dec(_("anterior fontanelle length (cm)"), 3, 1, "0", "6")
    gait = _code(_("gait"), C.GAIT)
    rickets_signs = CodeListField(_("suspected rickets signs"), valueset=C.RICKETS_SIGN)
    outdoor_hours = _dec(_("outdoor activity (hours a day)"), 3, 1, "0", "24")
    vitamin_d_iu = _num(_("vitamin D (IU a day)"), 0, 5000)

    SECTIONS = (
        Section("growth", _("Growth"), ChildCheck.GROWTH),
        Section("exam", _("Physical examination"), (
            ("complexion", "skin"), ("fontanelle_closed", "fontanelle_w", "fontanelle_h"), ("eyes", "ears"),
            ("teeth", "caries"), ("heart_lung", "abdomen"), ("limbs", "gait"), "rickets_signs", "abnormal_note",
            ("outdoor_hours", "vitamin_d_iu"))),
        *ChildCheck.TAIL,
    )

    class Meta(ChildCheck.Meta):
        verbose_name = _("child health check, 12–30 months")
        verbose_name_plural = _("child health checks, 12–30 months")


class PreschoolCheck(ChildCheck):
    """3～6岁儿童健康检查记录表 (3, 4, 5, 6 years)."""

    kind = rules.PRESCHOOL
    min_age_days = 1035
    max_age_days = MAX_CHILD_DAYS
    document_kind = "儿童健康体检"

    month_age = _code(_("age"), C.CHECK_AGE_PRESCHOOL, blank=False)
    growth_eval = _code(_("physical growth evaluation"), C.GROWTH_EVAL)
    vision_left = _dec(_("vision, left eye"), 2, 1, "3", "5.3")
    vision_right = _dec(_("vision, right eye"), 2, 1, "3", "5.3")
    exam_other = _text(_("other examination"))

    SECTIONS = (
        Section("growth", _("Growth"), (*ChildCheck.GROWTH, "growth_eval")),
        Section("exam", _("Physical examination"), (
            ("vision_left", "vision_right"), ("eyes", "ears"), ("teeth", "caries"), ("heart_lung", "abdomen"),
            ("complexion", "skin", "limbs"), "exam_other", "abnormal_note")),
        *ChildCheck.TAIL,
    )

    class Meta(ChildCheck.Meta):
        verbose_name = _("child health check, 3–6 years")
        verbose_name_plural = _("child health checks, 3–6 years")


# --- child TCM guidance -------------------------------------------------------------------------------------------


class ChildTcm(ServiceForm):
    """儿童中医药健康管理服务记录表 (6, 12, 18, 24, 30, 36 months)."""

    kind = rules.TCM
    program = PROGRAM
    min_age_days = 160
    max_age_days = 1186

    month_age = _code(_("month age"), C.TCM_AGE, blank=False)
    guidance = CodeListField(_("TCM guidance"), valueset=C.TCM_GUIDANCE, blank=False)
    guidance_other = _text(_("other guidance"))
    next_visit_on = models.DateField(_("next visit date"), null=True, blank=True)

    SECTIONS = (Section("tcm", _("TCM health management"), ("month_age", "guidance", "guidance_other",
                                                            "next_visit_on")),)

    class Meta(ServiceForm.Meta):
        verbose_name = _("child TCM health management")
        # the indicators ask "served by a day, for which records" (a covering index range)
        indexes = [models.Index(fields=["service_date", "record"], name="child_tcm_date_record")]
        verbose_name_plural = _("child TCM health management")

    def summary(self) -> str:
        return "，".join([self.get_month_age_display(), *(C.TCM_GUIDANCE.label(c) for c in self.guidance or [])])

    def clean(self):
        super().clean()
        errors: dict[str, list[str]] = {}
        if self.record_id and self.service_date and self.month_age in C.TCM_AGE:
            check = next(c for c in rules.TCM_CHECKS if c.code == self.month_age)
            earliest = rules.check_too_early(check, self.record.resident.birth_date, self.service_date)
            if earliest is not None:
                errors["month_age"] = [gettext("The %(check)s cannot be recorded before %(date)s.") % {
                    "check": str(check.label), "date": earliest.isoformat()}]
            first = ChildTcm.objects.filter(record_id=self.record_id, month_age=self.month_age).exclude(
                pk=self.pk).first()
            if first is not None:
                errors.setdefault("month_age", []).append(gettext("The %(check)s was already recorded on %(date)s.")
                                                          % {"check": str(check.label),
                                                             "date": first.service_date.isoformat()})
        if not self.guidance:
            errors["guidance"] = [gettext("Tick at least one item of guidance.")]
        if errors:
            raise ValidationError(errors)


# --- immunisation -------------------------------------------------------------------------------------------------


class VaccinationCertificate(ServiceForm):
    """预防接种证 and 预防接种卡: issued once per child, the card kept at the vaccination clinic."""

    kind = "vaccination_certificate"
    program = PROGRAM
    min_age_days = 0
    max_age_days = MAX_CHILD_DAYS

    service_date = models.DateField(_("date issued"))
    certificate_number = models.CharField(_("certificate number"), max_length=30)
    card_number = _text(_("card number"), 30)
    guardian_name = _text(_("guardian"), 50)
    guardian_phone = _text(_("guardian's phone"), 20)

    SECTIONS = (Section("certificate", _("Vaccination certificate and card"), (
        "service_date", ("certificate_number", "card_number"), ("guardian_name", "guardian_phone"))),)

    class Meta(ServiceForm.Meta):
        verbose_name = _("vaccination certificate and card")
        # the indicators ask "served by a day, for which records" (a covering index range)
        indexes = [models.Index(fields=["service_date", "record"], name="vacc_cert_date_record")]
        verbose_name_plural = _("vaccination certificates and cards")

    def summary(self) -> str:
        return gettext("certificate %(n)s") % {"n": self.certificate_number}

    def clean(self):
        super().clean()
        if self.record_id:
            other = VaccinationCertificate.objects.filter(record_id=self.record_id).exclude(pk=self.pk).first()
            if other is not None:
                raise ValidationError({"certificate_number": [
                    gettext("The child already has certificate %(n)s issued on %(date)s: change that one.") % {
                        "n": other.certificate_number, "date": other.service_date.isoformat()}]})


class VaccineDose(ServiceForm):
    """One dose of a national-programme vaccine given (a line of the vaccination card)."""

    kind = "vaccination"
    program = PROGRAM
    min_age_days = 0
    max_age_days = MAX_CHILD_DAYS
    document_kind = "预防接种记录"

    service_date = models.DateField(_("date of vaccination"))
    vaccine = CodeField(_("vaccine"), valueset=C.VACCINE, max_length=10)
    dose_number = models.PositiveSmallIntegerField(_("dose"), validators=[MinValueValidator(1), MaxValueValidator(4)])
    batch = models.CharField(_("batch number"), max_length=30)
    manufacturer = _text(_("manufacturer"), 60)
    site = _code(_("site"), C.SITE)
    vaccination_unit = _text(_("vaccination unit (if not this institution)"))

    SECTIONS = (Section("dose", _("Vaccination"), (
        ("vaccine", "dose_number"), "service_date", ("batch", "manufacturer"), "site", "vaccination_unit")),)

    class Meta(ServiceForm.Meta):
        verbose_name = _("vaccination")
        verbose_name_plural = _("vaccinations")
        indexes = [models.Index(fields=["record", "vaccine", "dose_number"], name="child_dose_record"),
                   # coverage: who received a dose by a day (one range per vaccine, covering the record)
                   models.Index(fields=["vaccine", "dose_number", "service_date", "record"], name="child_dose_given")]

    def summary(self) -> str:
        return rules.dose_label(self.vaccine, self.dose_number or 0) + (f"，{self.batch}" if self.batch else "")

    @classmethod
    def initial_for(cls, record) -> dict:
        from jkda.records.rules import today

        on = today()
        given = given_doses([record.pk]).get(record.pk, {})
        nxt = rules.next_doses(record.resident.birth_date, given, on, horizon_days=0)
        if nxt:
            return {"vaccine": nxt[0].vaccine, "dose_number": nxt[0].dose, "service_date": on}
        return {"service_date": on}

    def clean(self):
        super().clean()
        if not (self.record_id and self.service_date and self.vaccine and self.dose_number):
            return
        others = VaccineDose.objects.filter(record_id=self.record_id).exclude(pk=self.pk)
        given = {(v, d): day for v, d, day in others.values_list("vaccine", "dose_number", "service_date")}
        errors = rules.dose_errors(self.vaccine, self.dose_number, self.service_date,
                                   self.record.resident.birth_date, given)
        if errors:
            raise ValidationError(errors)


def given_doses(record_ids) -> dict[int, dict[tuple[str, int], object]]:
    """{record id: {(vaccine, dose): date}} for the records (a queryset of ids or a list)."""
    out: dict[int, dict] = {}
    rows = VaccineDose.objects.filter(record_id__in=record_ids).values_list("record_id", "vaccine", "dose_number",
                                                                             "service_date")
    for rid, v, d, day in rows.iterator(chunk_size=20000):
        out.setdefault(rid, {})[(v, d)] = day
    return out

