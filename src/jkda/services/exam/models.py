"""The health examination form (健康体检表, 3rd edition 2017): every section of the paper form."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jkda.codes.fields import CodeField, CodeListField
from jkda.records.layout import Column, Section
from jkda.records.rules import parse_partial_date
from jkda.services.base import ServiceForm

from . import codes as C
from . import rules
from .fields import (
    Between,
    ConditionalCharField,
    ConditionalCodeField,
    ConditionalSmallIntegerField,
    DerivedDecimalField,
    service_day,
)


def code(label, valueset, **kw):
    return CodeField(label, valueset=valueset, blank=True, default="", **kw)


def codes(label, valueset, **kw):
    return CodeListField(label, valueset=valueset, **kw)


def num(label, lo, hi, digits=5, places=1, **kw):
    return models.DecimalField(label, max_digits=digits, decimal_places=places, null=True, blank=True,
                               validators=[Between(D(str(lo)), D(str(hi)))], **kw)


def small(label, lo, hi, **kw):
    return models.PositiveSmallIntegerField(label, null=True, blank=True, validators=[Between(lo, hi)], **kw)


def text(label, n=100, **kw):
    return models.CharField(label, max_length=n, blank=True, default="", **kw)


def rows(label, **kw):
    return models.JSONField(label, default=list, blank=True, **kw)


ELDERLY_FIELDS = ("health_status", "selfcare_level", "cognition", "mmse_score", "emotion", "depression_score")
GYNAECOLOGY_FIELDS = ("vulva", "vagina", "cervix", "uterus", "adnexa")
_YMD = _("YYYY-MM-DD")


class Exam(ServiceForm):
    """健康体检表: one annual (or on-request) examination of an adult."""

    kind = "exam"
    document_kind = "成人健康体检"

    # --- 症状 -----------------------------------------------------------------------------------------------
    symptoms = codes(_("symptoms"), C.SYMPTOM)
    symptoms_other = text(_("other symptoms"))

    # --- 一般状况 -------------------------------------------------------------------------------------------
    temperature = num(_("body temperature (℃)"), 34, 43, 3, 1)
    pulse = small(_("pulse rate (/min)"), 20, 250)
    respiration = small(_("respiratory rate (/min)"), 5, 80)
    bp_left_sbp = small(_("blood pressure left: systolic (mmHg)"), 50, 300)
    bp_left_dbp = small(_("blood pressure left: diastolic (mmHg)"), 20, 200)
    bp_right_sbp = small(_("blood pressure right: systolic (mmHg)"), 50, 300)
    bp_right_dbp = small(_("blood pressure right: diastolic (mmHg)"), 20, 200)
    height = num(_("height (cm)"), 50, 250, 4, 1)
    weight = num(_("weight (kg)"), 10, 300, 4, 1)
    waist = num(_("waist (cm)"), 30, 200, 4, 1)
    bmi = DerivedDecimalField(_("body mass index (kg/m²)"), max_digits=4, decimal_places=1, null=True, blank=True)
    health_status = ConditionalCodeField(_("elderly self-assessed health status"), valueset=C.HEALTH_STATUS,
                                     blank=True, default="")
    selfcare_level = ConditionalCodeField(_("elderly self-care ability"), valueset=C.SELFCARE_LEVEL, blank=True,
                                      default="", help_text=_("from this year's self-care assessment when empty"))
    cognition = ConditionalCodeField(_("elderly cognitive function"), valueset=C.SCREEN, blank=True, default="")
    mmse_score = ConditionalSmallIntegerField(_("mini-mental state examination score"), null=True, blank=True,
                                          validators=[Between(0, 30)])
    emotion = ConditionalCodeField(_("elderly emotional state"), valueset=C.SCREEN, blank=True, default="")
    depression_score = ConditionalSmallIntegerField(_("geriatric depression score"), null=True, blank=True,
                                                validators=[Between(0, 30)])

    # --- 生活方式 -------------------------------------------------------------------------------------------
    exercise_frequency = code(_("exercise frequency"), C.EXERCISE_FREQ)
    exercise_minutes = small(_("minutes per session"), 0, 1440)
    exercise_years = small(_("years of exercise"), 0, 100)
    exercise_kind = text(_("kind of exercise"), 50)
    diet = codes(_("diet habits"), C.DIET)
    smoking_status = code(_("smoking status"), C.SMOKING)
    cigarettes_per_day = small(_("cigarettes per day"), 0, 200)
    smoking_start_age = small(_("age started smoking"), 3, 120)
    smoking_quit_age = small(_("age quit smoking"), 3, 120)
    drinking_frequency = code(_("drinking frequency"), C.DRINKING_FREQ)
    alcohol_per_day = num(_("alcohol per day (liang)"), 0, 50, 3, 1)
    drinking_quit = code(_("quit drinking"), C.DRINKING_QUIT)
    drinking_quit_age = small(_("age quit drinking"), 3, 120)
    drinking_start_age = small(_("age started drinking"), 3, 120)
    drunk_last_year = code(_("drunk in the last year"), C.YES_NO)
    alcohol_kind = codes(_("kinds of alcohol"), C.ALCOHOL_KIND)
    occupational_exposure = code(_("occupational hazard exposure"), C.NONE_HAS)
    occupation_job = text(_("job"), 50)
    occupation_years = small(_("years in the job"), 0, 80)
    hazard_dust = text(_("dust"), 50)
    hazard_dust_protection = code(_("dust protection"), C.NONE_HAS)
    hazard_radiation = text(_("radioactive substances"), 50)
    hazard_radiation_protection = code(_("radiation protection"), C.NONE_HAS)
    hazard_physical = text(_("physical factors"), 50)
    hazard_physical_protection = code(_("physical-factor protection"), C.NONE_HAS)
    hazard_chemical = text(_("chemical substances"), 50)
    hazard_chemical_protection = code(_("chemical protection"), C.NONE_HAS)
    hazard_other = text(_("other hazards"), 50)
    hazard_other_protection = code(_("other-hazard protection"), C.NONE_HAS)

    # --- 脏器功能 -------------------------------------------------------------------------------------------
    lips = code(_("lips"), C.LIPS)
    dentition = codes(_("dentition"), C.DENTITION)
    throat = code(_("throat"), C.THROAT)
    vision_left = num(_("vision left"), 0, "5.3", 2, 1)
    vision_right = num(_("vision right"), 0, "5.3", 2, 1)
    corrected_vision_left = num(_("corrected vision left"), 0, "5.3", 2, 1)
    corrected_vision_right = num(_("corrected vision right"), 0, "5.3", 2, 1)
    hearing = code(_("hearing"), C.HEARING)
    motor = code(_("motor function"), C.MOTOR)

    # --- 查体 -----------------------------------------------------------------------------------------------
    fundus = code(_("fundus"), C.NORMAL)
    fundus_note = text(_("fundus abnormality"))
    skin = code(_("skin"), C.SKIN)
    sclera = code(_("sclera"), C.SCLERA)
    lymph_nodes = code(_("lymph nodes"), C.LYMPH)
    barrel_chest = code(_("barrel chest"), C.NO_YES)
    breath_sounds = code(_("breath sounds"), C.NORMAL)
    rales = code(_("rales"), C.RALES)
    heart_rate = small(_("heart rate (/min)"), 20, 250)
    heart_rhythm = code(_("heart rhythm"), C.RHYTHM)
    heart_murmur = code(_("heart murmur"), C.NONE_HAS)
    abdominal_tenderness = code(_("abdominal tenderness"), C.NONE_HAS)
    abdominal_mass = code(_("abdominal mass"), C.NONE_HAS)
    hepatomegaly = code(_("hepatomegaly"), C.NONE_HAS)
    splenomegaly = code(_("splenomegaly"), C.NONE_HAS)
    shifting_dullness = code(_("shifting dullness"), C.NONE_HAS)
    oedema = code(_("lower-limb oedema"), C.OEDEMA)
    dorsalis_pedis = code(_("dorsalis pedis pulse"), C.DORSALIS)
    rectal = code(_("digital rectal examination"), C.RECTAL)
    breast = codes(_("breast"), C.BREAST)
    vulva = ConditionalCodeField(_("vulva"), valueset=C.NOT_ABNORMAL, blank=True, default="")
    vagina = ConditionalCodeField(_("vagina"), valueset=C.NOT_ABNORMAL, blank=True, default="")
    cervix = ConditionalCodeField(_("cervix"), valueset=C.NOT_ABNORMAL, blank=True, default="")
    uterus = ConditionalCodeField(_("uterus"), valueset=C.NOT_ABNORMAL, blank=True, default="")
    adnexa = ConditionalCodeField(_("adnexa"), valueset=C.NOT_ABNORMAL, blank=True, default="")
    physical_other = text(_("other findings"), 200)

    # --- 辅助检查 -------------------------------------------------------------------------------------------
    hemoglobin = small(_("haemoglobin (g/L)"), 20, 250)
    wbc = num(_("white blood cells (×10⁹/L)"), 0, 200, 4, 1)
    platelets = small(_("platelets (×10⁹/L)"), 0, 2000)
    blood_other = text(_("blood routine: other"))
    urine_protein = code(_("urine protein"), C.DIPSTICK)
    urine_glucose = code(_("urine glucose"), C.DIPSTICK)
    urine_ketones = code(_("urine ketones"), C.DIPSTICK)
    urine_occult_blood = code(_("urine occult blood"), C.DIPSTICK)
    urine_other = text(_("urine routine: other"))
    fasting_glucose = num(_("fasting blood glucose (mmol/L)"), "0.5", 40, 4, 1)
    ecg = code(_("electrocardiogram"), C.NORMAL)
    ecg_note = text(_("ECG abnormality"))
    urine_microalbumin = num(_("urine microalbumin (mg/dL)"), 0, 1000, 6, 1)
    faecal_occult_blood = code(_("faecal occult blood"), C.NEG_POS)
    hba1c = num(_("glycated haemoglobin (%)"), 3, 20, 3, 1)
    hbsag = code(_("hepatitis B surface antigen"), C.NEG_POS)
    alt = small(_("serum ALT (U/L)"), 0, 5000)
    ast = small(_("serum AST (U/L)"), 0, 5000)
    albumin = num(_("albumin (g/L)"), 5, 80, 3, 1)
    total_bilirubin = num(_("total bilirubin (μmol/L)"), 0, 1000, 5, 1)
    conjugated_bilirubin = num(_("conjugated bilirubin (μmol/L)"), 0, 1000, 5, 1)
    creatinine = num(_("serum creatinine (μmol/L)"), 10, 3000, 5, 1)
    urea = num(_("blood urea (mmol/L)"), "0.5", 100, 4, 1)
    potassium = num(_("blood potassium (mmol/L)"), "1.5", 9, 3, 1)
    sodium = num(_("blood sodium (mmol/L)"), 100, 180, 4, 1)
    total_cholesterol = num(_("total cholesterol (mmol/L)"), "0.5", 30, 4, 2)
    triglycerides = num(_("triglycerides (mmol/L)"), "0.1", 50, 4, 2)
    ldl = num(_("LDL cholesterol (mmol/L)"), "0.1", 20, 4, 2)
    hdl = num(_("HDL cholesterol (mmol/L)"), "0.1", 10, 4, 2)
    chest_xray = code(_("chest X-ray"), C.NORMAL)
    chest_xray_note = text(_("chest X-ray abnormality"))
    ultrasound_abdomen = code(_("abdominal ultrasound"), C.NORMAL)
    ultrasound_abdomen_note = text(_("abdominal ultrasound abnormality"))
    ultrasound_other = code(_("other ultrasound"), C.NORMAL)
    ultrasound_other_note = text(_("other ultrasound abnormality"))
    cervical_smear = ConditionalCodeField(_("cervical smear"), valueset=C.NORMAL, blank=True, default="")
    cervical_smear_note = ConditionalCharField(_("cervical smear abnormality"), max_length=100, blank=True,
                                               default="")
    tests_other = text(_("other tests"), 200)

    # --- 现存主要健康问题 -------------------------------------------------------------------------------------
    cerebrovascular = codes(_("cerebrovascular disease"), C.CEREBRO)
    cerebrovascular_other = text(_("other cerebrovascular disease"))
    kidney = codes(_("kidney disease"), C.KIDNEY)
    kidney_other = text(_("other kidney disease"))
    heart = codes(_("heart disease"), C.HEART)
    heart_other = text(_("other heart disease"))
    vascular = codes(_("vascular disease"), C.VASCULAR)
    vascular_other = text(_("other vascular disease"))
    eye = codes(_("eye disease"), C.EYE)
    eye_other = text(_("other eye disease"))
    nervous = codes(_("nervous system disease"), C.FOUND)
    nervous_note = text(_("nervous system disease: which"))
    other_system = codes(_("other system disease"), C.FOUND)
    other_system_note = text(_("other system disease: which"))

    # --- 住院治疗情况, 主要用药情况, 非免疫规划预防接种史 ----------------------------------------------------------
    hospitalisations = rows(_("hospitalisation history"))
    home_beds = rows(_("home sickbed history"))
    medications = rows(_("main medication"))
    vaccinations = rows(_("non-programme vaccination history"))

    # --- 健康评价, 健康指导, 危险因素控制 -----------------------------------------------------------------------
    evaluation = code(_("health evaluation"), C.EVALUATION)
    abnormality_1 = text(_("abnormality 1"))
    abnormality_2 = text(_("abnormality 2"))
    abnormality_3 = text(_("abnormality 3"))
    abnormality_4 = text(_("abnormality 4"))
    guidance = codes(_("health guidance"), C.GUIDANCE)
    risk_control = codes(_("risk factor control"), C.RISK_CONTROL)
    weight_target = num(_("target weight (kg)"), 10, 300, 4, 1)
    vaccine_suggestion = text(_("suggested vaccines"))
    risk_control_other = text(_("other risk factor control"))

    SECTIONS = (
        Section("symptoms", _("Symptoms"), ("service_date", ("symptoms", "symptoms_other"))),
        Section("general", _("General status"), (
            ("temperature", "pulse", "respiration"), ("bp_left_sbp", "bp_left_dbp"), ("bp_right_sbp", "bp_right_dbp"),
            ("height", "weight", "waist", "bmi"), "health_status", "selfcare_level", ("cognition", "mmse_score"),
            ("emotion", "depression_score"),
        )),
        Section("lifestyle", _("Lifestyle"), (
            ("exercise_frequency", "exercise_minutes", "exercise_years", "exercise_kind"), "diet",
            ("smoking_status", "cigarettes_per_day", "smoking_start_age", "smoking_quit_age"),
            ("drinking_frequency", "alcohol_per_day", "drinking_start_age"), ("drinking_quit", "drinking_quit_age"),
            "drunk_last_year", "alcohol_kind", ("occupational_exposure", "occupation_job", "occupation_years"),
            ("hazard_dust", "hazard_dust_protection"), ("hazard_radiation", "hazard_radiation_protection"),
            ("hazard_physical", "hazard_physical_protection"), ("hazard_chemical", "hazard_chemical_protection"),
            ("hazard_other", "hazard_other_protection"),
        )),
        Section("organs", _("Organ function"), (
            ("lips", "dentition", "throat"), ("vision_left", "vision_right"),
            ("corrected_vision_left", "corrected_vision_right"), "hearing", "motor",
        )),
        Section("physical", _("Physical examination"), (
            ("fundus", "fundus_note"), "skin", "sclera", "lymph_nodes", ("barrel_chest", "breath_sounds", "rales"),
            ("heart_rate", "heart_rhythm", "heart_murmur"),
            ("abdominal_tenderness", "abdominal_mass", "hepatomegaly", "splenomegaly", "shifting_dullness"),
            "oedema", "dorsalis_pedis", "rectal", "breast", ("vulva", "vagina"), ("cervix", "uterus", "adnexa"),
            "physical_other",
        )),
        Section("tests", _("Auxiliary tests"), (
            ("hemoglobin", "wbc", "platelets", "blood_other"),
            ("urine_protein", "urine_glucose", "urine_ketones", "urine_occult_blood", "urine_other"),
            "fasting_glucose", ("ecg", "ecg_note"), "urine_microalbumin", "faecal_occult_blood", "hba1c", "hbsag",
            ("alt", "ast", "albumin", "total_bilirubin", "conjugated_bilirubin"),
            ("creatinine", "urea", "potassium", "sodium"), ("total_cholesterol", "triglycerides", "ldl", "hdl"),
            ("chest_xray", "chest_xray_note"), ("ultrasound_abdomen", "ultrasound_abdomen_note"),
            ("ultrasound_other", "ultrasound_other_note"), ("cervical_smear", "cervical_smear_note"), "tests_other",
        )),
        Section("problems", _("Current main health problems"), (
            ("cerebrovascular", "cerebrovascular_other"), ("kidney", "kidney_other"), ("heart", "heart_other"),
            ("vascular", "vascular_other"), ("eye", "eye_other"), ("nervous", "nervous_note"),
            ("other_system", "other_system_note"),
        )),
        Section("treatment", _("Hospitalisation, medication and vaccination"), (
            "hospitalisations", "home_beds", "medications", "vaccinations",
        )),
        Section("evaluation", _("Health evaluation and guidance"), (
            "evaluation", ("abnormality_1", "abnormality_2"), ("abnormality_3", "abnormality_4"), "guidance",
            ("risk_control", "weight_target"), ("vaccine_suggestion", "risk_control_other"),
        )),
    )
    _STAY = (
        Column("start", _("admitted / opened"), placeholder=_YMD, size=10),
        Column("end", _("discharged / closed"), placeholder=_YMD, size=10),
        Column("reason", _("reason"), size=16), Column("institution", _("institution"), size=16),
        Column("case_number", _("case number"), size=10),
    )
    REPEATABLE = {
        "hospitalisations": (_STAY, 2),
        "home_beds": (_STAY, 2),
        "medications": ((
            Column("name", _("drug"), size=16), Column("usage", _("usage"), size=8),
            Column("dose", _("dose"), size=8), Column("duration", _("duration"), size=8),
            Column("adherence", _("adherence"), valueset=C.ADHERENCE),
        ), 6),
        "vaccinations": ((
            Column("name", _("vaccine"), size=16), Column("date", _("date"), placeholder=_YMD, size=10),
            Column("institution", _("institution"), size=16),
        ), 3),
    }

    class Meta(ServiceForm.Meta):
        verbose_name = _("health examination")
        verbose_name_plural = _("health examinations")
        indexes = [models.Index(fields=["record", "service_date"], name="exam_record_date")]

    # --- timeline, initial values, items that do not apply ----------------------------------------------------

    def hidden_fields(self) -> tuple[str, ...]:
        """Items of the paper form that do not apply to this resident (hidden on the web form and the page)."""
        if not self.record_id:
            return ()
        resident = self.record.resident
        hidden = ()
        if not rules.is_elderly(resident.birth_date, service_day(self)):
            hidden += ELDERLY_FIELDS
        if resident.sex == "1":
            hidden += GYNAECOLOGY_FIELDS + ("cervical_smear", "cervical_smear_note")
        return hidden

    def summary(self) -> str:
        parts = []
        if self.bp_left_sbp and self.bp_left_dbp:
            parts.append(gettext("BP %(s)s/%(d)s mmHg") % {"s": self.bp_left_sbp, "d": self.bp_left_dbp})
        if self.bmi is not None:
            parts.append(gettext("BMI %(v)s") % {"v": self.bmi})
        if self.fasting_glucose is not None:
            parts.append(gettext("fasting glucose %(v)s mmol/L") % {"v": self.fasting_glucose})
        if self.evaluation:
            parts.append(C.EVALUATION.label(self.evaluation))
        return " · ".join(parts)

    @classmethod
    def initial_for(cls, record) -> dict:
        """The new form starts with the latest height and this year's self-care level."""
        from jkda.records.rules import today

        on = today()
        initial = {}
        last = cls.objects.filter(record=record, height__isnull=False).order_by("-service_date", "-id").first()
        if last is not None:
            initial["height"] = last.height
        if rules.is_elderly(record.resident.birth_date, on):
            level = latest_selfcare_level(record.pk, on)
            if level:
                initial["selfcare_level"] = level
        return initial

    # --- rules ------------------------------------------------------------------------------------------------

    def clean(self):
        super().clean()
        errors: dict[str, list[str]] = {}

        def err(field, message):
            errors.setdefault(field, []).append(message)

        for _side, sbp, dbp in (("left", "bp_left_sbp", "bp_left_dbp"), ("right", "bp_right_sbp", "bp_right_dbp")):
            problem = rules.bp_problem(getattr(self, sbp), getattr(self, dbp))
            if problem == "order":
                err(sbp, gettext("The systolic pressure must be higher than the diastolic pressure "
                                 "(%(sbp)s/%(dbp)s mmHg).") % {"sbp": getattr(self, sbp), "dbp": getattr(self, dbp)})
            elif problem == "pair":
                err(sbp if getattr(self, sbp) is None else dbp,
                    gettext("Give both the systolic and the diastolic pressure."))

        self.bmi = rules.bmi(self.height, self.weight)
        if not rules.bmi_plausible(self.bmi):
            err("weight", gettext("Height %(h)s cm and weight %(w)s kg give a body mass index of %(bmi)s, which is "
                                  "impossible: check both.") % {"h": self.height, "w": self.weight, "bmi": self.bmi})
            self.bmi = None

        birth = self.record.resident.birth_date if self.record_id else None
        when = self.service_date if isinstance(self.service_date, dt.date) else None
        elderly = rules.is_elderly(birth, when)
        if birth and when and not elderly:
            for name in ELDERLY_FIELDS:
                if getattr(self, name) not in (None, ""):
                    err(name, gettext("Only for residents aged %(age)s or more.") % {"age": rules.elderly_age()})
        if elderly and not self.selfcare_level and self.record_id:
            self.selfcare_level = latest_selfcare_level(self.record_id, when) or ""
        for screen, score in (("cognition", "mmse_score"), ("emotion", "depression_score")):
            if getattr(self, screen) == "2" and getattr(self, score) is None:
                err(score, gettext("A positive screen needs the score of the full assessment."))
            if getattr(self, screen) != "2" and getattr(self, score) is not None:
                err(score, gettext("The score is recorded only after a positive screen."))

        if self.smoking_status == "1" and (self.cigarettes_per_day or self.smoking_start_age or self.smoking_quit_age):
            err("smoking_status", gettext("A resident who never smoked has no amount or smoking ages."))
        if self.smoking_quit_age is not None and self.smoking_status != "2":
            err("smoking_quit_age", gettext("The age quit applies only to a former smoker."))
        if self.drinking_quit_age is not None and self.drinking_quit != "2":
            err("drinking_quit_age", gettext("The age quit applies only when drinking was given up."))
        for start, stop in (("smoking_start_age", "smoking_quit_age"), ("drinking_start_age", "drinking_quit_age")):
            a, b = getattr(self, start), getattr(self, stop)
            if a is not None and b is not None and b < a:
                err(stop, gettext("The age quit is before the age started."))
            for name in (start, stop):
                v = getattr(self, name)
                if v is not None and birth and when and v > rules.age_years(birth, when):
                    err(name, gettext("This age is older than the resident is now."))

        if self.record_id and self.record.resident.sex == "1":
            for name in GYNAECOLOGY_FIELDS + ("cervical_smear", "cervical_smear_note"):
                if getattr(self, name):
                    err(name, gettext("Gynaecological items apply to women only."))
        abnormal = [getattr(self, f"abnormality_{i}") for i in range(1, 5)]
        if self.evaluation == "2" and not any(abnormal):
            err("abnormality_1", gettext("Describe at least one abnormality."))
        if self.evaluation == "1" and any(abnormal):
            err("evaluation", gettext("Abnormalities are listed but the evaluation says none."))
        if self.weight_target is not None and "5" not in (self.risk_control or []):
            err("weight_target", gettext("A target weight goes with the advice to lose weight."))
        self._clean_rows(err)
        if errors:
            raise ValidationError(errors)

    def _clean_rows(self, err) -> None:
        for name in self.REPEATABLE:
            value = getattr(self, name)
            if value in (None, ""):
                setattr(self, name, [])
                continue
            if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
                err(name, gettext("Rows must be a list of objects."))
                continue
            columns = self.REPEATABLE[name][0]
            keys = {c.key for c in columns}
            for i, row in enumerate(value, 1):
                unknown = set(row) - keys
                if unknown:
                    err(name, gettext("Row %(n)s: unknown column(s) %(cols)s.") % {
                        "n": i, "cols": ", ".join(sorted(unknown))})
                for c in columns:
                    v = str(row.get(c.key, "") or "")
                    if v and c.valueset is not None and v not in c.valueset:
                        err(name, gettext("Row %(n)s: “%(v)s” is not a code of %(col)s.") % {
                            "n": i, "v": v, "col": c.label})
                    if v and c.placeholder == _YMD and parse_partial_date(v) is None:
                        err(name, gettext("Row %(n)s: “%(v)s” is not a date (YYYY-MM-DD).") % {"n": i, "v": v})
                start, end = parse_partial_date(row.get("start", "")), parse_partial_date(row.get("end", ""))
                if start and end and end < start:
                    err(name, gettext("Row %(n)s: the end is before the start.") % {"n": i})


def latest_selfcare_level(record_id: int, on: dt.date) -> str | None:
    """The band of the record's latest self-care assessment in the calendar year of `on` (up to that day)."""
    try:
        model = apps.get_model("elderly", "SelfCareAssessment")
    except LookupError:
        return None
    row = (model.objects.filter(record_id=record_id, service_date__year=on.year, service_date__lte=on)
           .order_by("-service_date", "-id").values_list("level", flat=True).first())
    return row or None
