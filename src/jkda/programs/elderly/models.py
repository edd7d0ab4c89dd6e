"""Forms of the elderly (65+) health management: the self-care assessment and the TCM constitution record."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jkda.codes.fields import CodeField, CodeListField
from jkda.records.layout import Section
from jkda.services.base import ServiceForm
from jkda.services.exam import codes as EC
from jkda.services.exam.fields import Between, DerivedCodeField, DerivedSmallIntegerField
from jkda.services.exam.rules import elderly_age, is_elderly

from . import codes as C
from . import rules

# 65 years in days, rounded down over the leap days: the form's age limit (the exact age is checked in clean()).
ELDERLY_MIN_DAYS = 65 * 365 + 16


class ElderlyForm(ServiceForm):
    program = "elderly"
    min_age_days = ELDERLY_MIN_DAYS

    class Meta(ServiceForm.Meta):
        abstract = True

    def clean(self):
        super().clean()
        if self.record_id and isinstance(self.service_date, dt.date) \
                and not is_elderly(self.record.resident.birth_date, self.service_date):
            raise ValidationError(gettext("%(form)s applies to residents aged %(age)s or more.") % {
                "form": self.title(), "age": elderly_age()})


def _level(label, help_text):
    return CodeField(label, valueset=C.SELFCARE_ITEM_LEVEL, help_text=help_text)


class SelfCareAssessment(ElderlyForm):
    """老年人生活自理能力评估表: five items, the total score and its band."""

    kind = "selfcare"

    eating = _level(_("eating"), _("using utensils to bring food to the mouth, chewing, swallowing"))
    grooming = _level(_("grooming"), _("combing, washing the face, brushing teeth, shaving, washing"))
    dressing = _level(_("dressing"), _("putting on and taking off clothes, socks and shoes"))
    toileting = _level(_("toileting"), _("bowel and bladder control and using the toilet"))
    moving = _level(_("moving"), _("getting up, walking, climbing stairs"))
    total = DerivedSmallIntegerField(_("total score"), null=True, blank=True)
    level = DerivedCodeField(_("self-care level"), valueset=EC.SELFCARE_LEVEL, blank=True, default="")

    SECTIONS = (
        Section("assessment", _("Self-care ability"), (
            "service_date", "eating", "grooming", "dressing", "toileting", "moving", ("total", "level"),
        )),
    )

    class Meta(ServiceForm.Meta):
        verbose_name = _("elderly self-care assessment")
        verbose_name_plural = _("elderly self-care assessments")
        indexes = [models.Index(fields=["record", "service_date"], name="selfcare_record_date")]

    def clean(self):
        super().clean()
        levels = {item: getattr(self, item) for item in rules.SELFCARE_SCORES}
        if all(v in C.SELFCARE_ITEM_LEVEL for v in levels.values()):
            self.total = rules.selfcare_total(levels)
            self.level = rules.selfcare_band(self.total)

    def summary(self) -> str:
        if self.total is None:
            return ""
        return gettext("total %(total)s: %(level)s") % {"total": self.total,
                                                        "level": EC.SELFCARE_LEVEL.label(self.level)}


_ANSWERS = [(1, _("never (1)")), (2, _("rarely (2)")), (3, _("sometimes (3)")), (4, _("often (4)")),
            (5, _("always (5)"))]

QUESTIONS = {
    1: _("Q1 Are you full of energy?"),
    2: _("Q2 Do you tire easily?"),
    3: _("Q3 Are you easily short of breath?"),
    4: _("Q4 Is your voice weak and feeble?"),
    5: _("Q5 Do you feel gloomy and low?"),
    6: _("Q6 Do you get tense and anxious easily?"),
    7: _("Q7 Do you feel lonely or lost because your life has changed?"),
    8: _("Q8 Are you easily frightened or startled?"),
    9: _("Q9 Do you feel heavy, overweight and not at ease?"),
    10: _("Q10 Are your eyes dry?"),
    11: _("Q11 Are your hands and feet cold?"),
    12: _("Q12 Are your stomach, back, waist or knees sensitive to cold?"),
    13: _("Q13 Do you tolerate cold less than other people?"),
    14: _("Q14 Do you catch colds easily?"),
    15: _("Q15 Do you have a blocked or runny nose without a cold?"),
    16: _("Q16 Is your mouth sticky, or do you snore?"),
    17: _("Q17 Are you prone to allergies?"),
    18: _("Q18 Does your skin get urticaria easily?"),
    19: _("Q19 Do bruises or bleeding under the skin appear without reason?"),
    20: _("Q20 Does your skin turn red and show marks when scratched?"),
    21: _("Q21 Are your skin or lips dry?"),
    22: _("Q22 Do you have numb limbs or pain in a fixed place?"),
    23: _("Q23 Is your face or nose greasy or shiny?"),
    24: _("Q24 Is your complexion or eye socket dark, or do you have brown spots?"),
    25: _("Q25 Do you have eczema or boils?"),
    26: _("Q26 Is your mouth and throat dry, do you always want to drink?"),
    27: _("Q27 Do you have a bitter taste or bad smell in the mouth?"),
    28: _("Q28 Is your abdomen fat?"),
    29: _("Q29 Does cold food or drink upset you, or do you avoid it?"),
    30: _("Q30 Are your stools sticky, with a feeling of incomplete emptying?"),
    31: _("Q31 Are your stools often dry?"),
    32: _("Q32 Is your tongue coating thick and greasy?"),
    33: _("Q33 Are the veins under your tongue purple or thick?"),
}
TYPE_LABELS = {
    "qi_deficiency": _("qi deficiency"), "yang_deficiency": _("yang deficiency"),
    "yin_deficiency": _("yin deficiency"), "phlegm_damp": _("phlegm-dampness"), "damp_heat": _("damp-heat"),
    "blood_stasis": _("blood stasis"), "qi_stagnation": _("qi stagnation"), "special": _("special (allergic)"),
    "balanced": _("balanced"),
}


def _question(n):
    help_text = {9: _("anchored by BMI: <24 → 1, 24–25 → 2, 25–26 → 3, 26–28 → 4, ≥28 → 5"),
                 28: _("anchored by waist: <80 cm → 1, 80–85 → 2, 86–90 → 3, 91–105 → 4, >105 → 5")}.get(n, "")
    return models.PositiveSmallIntegerField(QUESTIONS[n], choices=_ANSWERS, null=True, blank=True,
                                            validators=[Between(1, 5)], help_text=help_text)


class TcmConstitution(ElderlyForm):
    """老年人中医药健康管理服务记录表: 33 questions, the constitution types and the guidance given per type."""

    kind = "tcm_elderly"

    bmi = models.DecimalField(_("body mass index (kg/m²)"), max_digits=4, decimal_places=1, null=True, blank=True,
                              validators=[Between(10, 80)], help_text=_("scores question 9 when given"))
    waist = models.DecimalField(_("waist (cm)"), max_digits=4, decimal_places=1, null=True, blank=True,
                                validators=[Between(30, 200)], help_text=_("scores question 28 when given"))
    locals().update({f"q{n}": _question(n) for n in QUESTIONS})
    for _t, _label in TYPE_LABELS.items():
        locals()[f"sum_{_t}"] = DerivedSmallIntegerField(format_lazy("{}：{}", _label, _("raw sum")), null=True,
                                                         blank=True)
        locals()[f"result_{_t}"] = DerivedCodeField(
            _label, valueset=C.TCM_BALANCED_RESULT if _t == "balanced" else C.TCM_RESULT, blank=True, default="")
        locals()[f"guidance_{_t}"] = CodeListField(format_lazy("{}：{}", _label, _("guidance")),
                                                   valueset=C.TCM_GUIDANCE)
    del _t, _label
    guidance_other = models.CharField(_("other guidance"), max_length=200, blank=True, default="")

    SECTIONS = (
        Section("measures", _("Anchors"), ("service_date", ("bmi", "waist"))),
        Section("questions", _("Constitution questions (the past year)"), tuple(f"q{n}" for n in QUESTIONS)),
        Section("results", _("Constitution identification: raw sum and result"),
                tuple((f"sum_{t}", f"result_{t}") for t in TYPE_LABELS)),
        Section("guidance", _("TCM health guidance"),
                tuple(f"guidance_{t}" for t in TYPE_LABELS) + ("guidance_other",)),
    )

    class Meta(ServiceForm.Meta):
        verbose_name = _("elderly TCM health management record")
        verbose_name_plural = _("elderly TCM health management records")
        indexes = [models.Index(fields=["record", "service_date"], name="tcm_record_date")]

    @classmethod
    def initial_for(cls, record) -> dict:
        """BMI and waist from this year's examination (they score Q9 and Q28)."""
        from jkda.records.rules import today
        from jkda.services.exam.models import Exam

        exam = (Exam.objects.filter(record=record, service_date__year=today().year)
                .order_by("-service_date", "-id").values("bmi", "waist").first())
        return {k: v for k, v in (exam or {}).items() if v is not None}

    def answers(self) -> dict[int, int | None]:
        return {n: getattr(self, f"q{n}") for n in QUESTIONS}

    def clean(self):
        super().clean()
        if self.bmi is not None:
            self.q9 = rules.q9_from_bmi(self.bmi)
        if self.waist is not None:
            self.q28 = rules.q28_from_waist(self.waist)
        answers = self.answers()
        missing = [n for n, v in answers.items() if v is None]
        if missing:
            raise ValidationError({f"q{n}": [gettext("Answer every question (1–5).")] for n in missing})
        sums, results = rules.tcm_results(answers)
        for t in rules.TCM_TYPES:
            setattr(self, f"sum_{t}", sums[t])
            setattr(self, f"result_{t}", results[t])
            if results[t] in (rules.YES, rules.TENDING) and not getattr(self, f"guidance_{t}"):
                setattr(self, f"guidance_{t}", list(rules.DEFAULT_GUIDANCE))

    def positive(self) -> list[str]:
        return rules.positive_types({t: getattr(self, f"result_{t}") for t in rules.TCM_TYPES})

    def summary(self) -> str:
        parts = []
        for t in self.positive():
            vs = C.TCM_BALANCED_RESULT if t == "balanced" else C.TCM_RESULT
            parts.append(f"{TYPE_LABELS[t]}（{vs.label(getattr(self, f'result_{t}'))}）")
        return gettext("constitution: %(types)s") % {"types": "、".join(str(p) for p in parts) or "—"}
