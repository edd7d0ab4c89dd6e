"""The indicator catalogue (DOMAIN.md §4), each row declared once: code, Chinese name, numerator, denominator,
population, unit and the settings that shape it. The engine (engine.py) turns these declarations into one grouped
query per family; the notices, targets, dashboards and facts all read this catalogue.

Periods: an activity counts when its date lies in the period up to its `as_of` day; a population (records open,
patients under management, children of an age) is taken on `as_of`.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from jkda.programs.child import models as child
from jkda.programs.child import rules as child_rules
from jkda.programs.chronic import rules as chronic_rules
from jkda.programs.chronic.models import DiabetesFollowup, HypertensionFollowup
from jkda.programs.elderly.models import SelfCareAssessment, TcmConstitution
from jkda.programs.maternal import rules as maternal_rules
from jkda.programs.maternal.models import Postpartum42d, PostpartumVisit, PrenatalFirst
from jkda.programs.mental.models import SmiFollowup
from jkda.programs.mental.rules import standard_followups as smi_standard_followups
from jkda.programs.models import Enrollment
from jkda.programs.tb.models import TbFirstVisit, TbOutcome
from jkda.records.completeness import complete_q, qualified_q
from jkda.services.base import service_models
from jkda.services.exam.models import Exam
from jkda.services.exam.rules import elderly_age
from jkda.services.timeline import usage_window_start

from .engine import Ctx, Family, Indicator, declare, open_records

FACE_TO_FACE = ("1", "2")  # clinic, home (a phone call is not a face-to-face follow-up)


def _fmt(msgid: str, **values):
    """A translated text with values put in, translated when shown (not when the catalogue is imported)."""
    return lazy(lambda: gettext(msgid) % values, str)()


def _ids(model, **filters):
    return model.objects.filter(**filters).values("record_id")


def _in(model, **filters) -> Q:
    return Q(pk__in=_ids(model, **filters))


def _served(ctx: Ctx) -> dict:
    return {"service_date__gte": ctx.start, "service_date__lte": ctx.as_of}


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def required_followups(annual: int, ctx: Ctx) -> int:
    """Follow-ups a patient needs in the period: the yearly minimum pro rata of the period's months, rounded up
    (a year: 4; a half-year: 2; a quarter or a month: 1)."""
    return max(1, math.ceil(annual * min(ctx.period.months, 12) / 12))


def usage_denominator() -> str:
    """JKDA_USAGE_DENOMINATOR: "base" (records, the default) or "resident_population"."""
    return getattr(settings, "JKDA_USAGE_DENOMINATOR", "base")


# --- records ------------------------------------------------------------------------------------------------------

RECORDS = Family("records", open_records)


def in_use(ctx: Ctx) -> Q:
    """A service within the 12 months up to as_of. `last_service_on` answers it for every record whose latest
    service is not after as_of; records served again since then are looked up in the forms themselves."""
    window = usage_window_start(ctx.as_of)
    q = Q(last_service_on__gt=window, last_service_on__lte=ctx.as_of)
    later = Q()
    for model in service_models():
        later |= _in(model, service_date__gt=window, service_date__lte=ctx.as_of)
    # "IS NOT NULL" before the lookups: a record never served has a NULL date, and NULL AND x makes the database
    # evaluate x (build every form's list) where FALSE stops at once
    return q | (Q(last_service_on__isnull=False) & Q(last_service_on__gt=ctx.as_of) & later)


declare(
    Indicator("electronic_record_rate", _("electronic record rate"), RECORDS,
              _("residents with an electronic health record"), _("resident population (base data)"),
              _("resident population"), denominator="resident_population", group="records"),
    Indicator("record_establishment_rate", _("record establishment rate"), RECORDS,
              _("residents whose record's cover and personal basic information are complete"),
              _("resident population (base data)"), _("resident population"),
              numerator=lambda ctx: complete_q(), denominator="resident_population",
              settings=("JKDA_COMPLETE_FIELDS",), group="records"),
    Indicator("qualified_record_rate", _("qualified record rate"), RECORDS,
              _("qualified records (complete, with ID number, a phone and, for adults, education, occupation and "
                "marital status)"), _("records"), _("residents with a record"),
              numerator=lambda ctx: qualified_q(ctx.as_of), settings=("JKDA_QUALIFIED_FIELDS",), group="records"),
    Indicator("record_usage_rate", _("record usage rate"), RECORDS,
              _("records with a service in the 12 months up to the period's end"), _("records (a setting)"),
              _("residents with a record"), numerator=in_use, denominator=usage_denominator,
              settings=("JKDA_USAGE_DENOMINATOR",), group="records"),
)


# --- elderly 65+ ------------------------------------------------------------------------------------------------

def elderly_base(ctx: Ctx):
    """Residents who are 65 (a setting) or older at some time in the as-of year: born by 31 December of
    year − 65."""
    return open_records(ctx).filter(resident__birth_date__lte=dt.date(ctx.as_of.year - elderly_age(), 12, 31))


ELDERLY = Family("elderly", elderly_base)


def elderly_managed(ctx: Ctx) -> Q:
    served = _served(ctx)
    guided = (Q(pk__in=Exam.objects.filter(**served).filter(Q(guidance__icontains='"') | Q(risk_control__icontains='"'))
                .values("record_id")) | _in(TcmConstitution, **served))
    return _in(Exam, **served) & _in(SelfCareAssessment, **served) & guided


declare(
    Indicator("elderly_health_management_rate", _("elderly health management rate"), ELDERLY,
              _("residents 65+ who received the year's management: an examination, a self-care assessment and "
                "guidance in the period"), _("residents aged 65+ (base data)"), _("residents aged 65 and over"),
              numerator=elderly_managed, denominator="aged_65_plus", settings=("JKDA_ELDERLY_AGE",), group="elderly"),
    Indicator("elderly_tcm_management_rate", _("elderly TCM health management rate"), ELDERLY,
              _("residents 65+ with a TCM constitution identification in the period"),
              _("residents aged 65+ (base data)"), _("residents aged 65 and over"),
              numerator=lambda ctx: _in(TcmConstitution, **_served(ctx)), denominator="aged_65_plus",
              settings=("JKDA_ELDERLY_AGE",), group="elderly"),
)


# --- hypertension, diabetes, severe mental disorder ---------------------------------------------------------------

def enrolled(program: str):
    def base(ctx: Ctx):
        return open_records(ctx).filter(
            pk__in=Enrollment.objects.active_on(ctx.as_of).filter(program=program).values("record_id"))
    return base


def standard(model, annual, face_to_face=True):
    def numerator(ctx: Ctx) -> Q:
        qs = model.objects.filter(**_served(ctx))
        if face_to_face:
            qs = qs.filter(method__in=FACE_TO_FACE)
        need = required_followups(annual(), ctx)
        return Q(pk__in=qs.order_by().values("record_id").annotate(n=Count("pk")).filter(n__gte=need)
                 .values("record_id"))
    return numerator


def controlled(model):
    """The latest follow-up in the period is controlled (the follow-up stores its control under the thresholds
    of the patient's age on that day)."""
    def numerator(ctx: Ctx) -> Q:
        served = _served(ctx)
        later = model.objects.filter(record_id=OuterRef("record_id"), **served).filter(
            Q(service_date__gt=OuterRef("service_date"))
            | Q(service_date=OuterRef("service_date"), pk__gt=OuterRef("pk")))
        return Q(pk__in=model.objects.filter(**served, controlled=True).filter(~Exists(later)).values("record_id"))
    return numerator


def chronic_standard_followups() -> int:
    return chronic_rules.setting("JKDA_CHRONIC_STANDARD_FOLLOWUPS")


HTN = Family("hypertension", enrolled("hypertension"))
DM = Family("diabetes", enrolled("diabetes"))
SMI = Family("smi", enrolled("smi"))

for fam, model, short, est, control_text in (
    (HTN, HypertensionFollowup, _("hypertension"), "est_hypertension",
     _("patients whose latest follow-up in the period has their blood pressure controlled (below 140/90; 150/90 "
       "from 65, a setting)")),
    (DM, DiabetesFollowup, _("type 2 diabetes"), "est_diabetes",
     _("patients whose latest follow-up in the period has fasting glucose below 7.0 mmol/L")),
):
    declare(
        Indicator(f"{fam.code}_management_rate", _fmt(gettext_noop("%(d)s management rate"), d=short), fam,
                  _("patients under management"), _("estimated patients (base data)"), _("estimated patients"),
                  denominator=est, group=fam.code),
        Indicator(f"{fam.code}_standard_management_rate",
                  _fmt(gettext_noop("%(d)s standard management rate"), d=short), fam,
                  _("patients with at least 4 face-to-face follow-ups a year (pro rata for shorter periods)"),
                  _("patients under management"), _("patients under management"),
                  numerator=standard(model, chronic_standard_followups),
                  settings=("JKDA_CHRONIC_STANDARD_FOLLOWUPS",), group=fam.code),
        Indicator(f"{fam.code}_control_rate", _fmt(gettext_noop("%(d)s control rate"), d=short), fam, control_text,
                  _("patients under management"), _("patients under management"), numerator=controlled(model),
                  settings=("JKDA_HTN_SBP_LIMIT", "JKDA_HTN_DBP_LIMIT", "JKDA_HTN_ELDERLY_SBP_LIMIT",
                            "JKDA_DM_GLUCOSE_LIMIT"), group=fam.code),
    )

declare(
    Indicator("smi_standard_management_rate", _("severe mental disorder standard management rate"), SMI,
              _("patients under management with at least 4 follow-ups a year (pro rata for shorter periods)"),
              _("registered patients (base data)"), _("registered severe mental disorder patients"),
              numerator=standard(SmiFollowup, smi_standard_followups, face_to_face=False),
              denominator="registered_smi", settings=("JKDA_SMI_STANDARD_FOLLOWUPS",), group="smi"),
)


# --- children 0–6 -------------------------------------------------------------------------------------------------

def born_in_period(ctx: Ctx):
    return open_records(ctx).filter(resident__birth_date__gte=ctx.start, resident__birth_date__lte=ctx.as_of)


def children_under(years: int = 0, months: int = 0):
    def base(ctx: Ctx):
        if months:
            born_after = child_rules.add_months(ctx.as_of, -months)
        else:
            born_after = years_before(ctx.as_of, years)
        return open_records(ctx).filter(resident__birth_date__gt=born_after, resident__birth_date__lte=ctx.as_of)
    return base


NEWBORNS = Family("newborns", born_in_period)
CHILDREN = Family("children", children_under(years=7))
INFANTS = Family("children_0_36", children_under(months=36))


def child_checked(ctx: Ctx) -> Q:
    q = Q()
    for model in (child.InfantCheck, child.ToddlerCheck, child.PreschoolCheck):
        q |= _in(model, **_served(ctx))
    return q


declare(
    Indicator("newborn_visit_rate", _("newborn visit rate"), NEWBORNS,
              _("newborns born in the period and visited at least once"), _("live births (base data)"),
              _("live births"), numerator=lambda ctx: _in(child.NewbornVisit, service_date__lte=ctx.as_of),
              denominator="live_births", group="child"),
    Indicator("child_health_management_rate", _("child health management rate (0–6)"), CHILDREN,
              _("children 0–6 with at least one health check in the period"), _("children aged 0–6 (base data)"),
              _("children aged 0–6"), numerator=child_checked, denominator="aged_0_6", group="child"),
    Indicator("child_tcm_management_rate", _("child TCM health management rate"), INFANTS,
              _("children 0–36 months with TCM guidance in the period"),
              _("children aged 0–36 months (base data)"), _("children aged 0–36 months"),
              numerator=lambda ctx: _in(child.ChildTcm, **_served(ctx)), denominator="aged_0_36_months",
              group="child"),
    Indicator("vaccination_certificate_rate", _("vaccination certificate rate"), CHILDREN,
              _("children 0–6 with a vaccination certificate issued"), _("children 0–6 with a record"),
              _("children aged 0–6"),
              numerator=lambda ctx: _in(child.VaccinationCertificate, service_date__lte=ctx.as_of), group="child"),
)


def _dose_due(dose: child_rules.Dose):
    """Children whose dose fell due (by the schedule's age) within the period."""
    def within(ctx: Ctx) -> Q:
        earliest = child_rules.add_months(ctx.start, -dose.months) - dt.timedelta(days=dose.days)
        latest = child_rules.add_months(ctx.as_of, -dose.months) - dt.timedelta(days=dose.days)
        return Q(resident__birth_date__gte=earliest, resident__birth_date__lte=latest)
    return within


# Every dose of the schedule counts inside one family (children under 8: a dose due by 6 years in a period of at
# most a year), each with its own due children, so the whole schedule is one grouped query. Dose 1 keeps the short
# code (vaccine_hepb_coverage); later doses name theirs (vaccine_hepb_dose3_coverage).
VACCINES = Family("vaccines", children_under(years=8))


def dose_code(dose: child_rules.Dose) -> str:
    slug = dose.vaccine.lower().replace("-", "_")
    return f"vaccine_{slug}_coverage" if dose.dose == 1 else f"vaccine_{slug}_dose{dose.dose}_coverage"


for _dose in child_rules.VACCINE_SCHEDULE:
    declare(Indicator(
        dose_code(_dose),
        _fmt(gettext_noop("%(v)s vaccination coverage (dose %(n)d)"), v=_dose.vaccine, n=_dose.dose),
        VACCINES,
        _fmt(gettext_noop("children whose dose %(n)d of %(v)s fell due in the period and who received it"),
             v=_dose.vaccine, n=_dose.dose),
        _fmt(gettext_noop("children whose dose %(n)d fell due in the period"), n=_dose.dose),
        _("children due for the vaccine"),
        within=_dose_due(_dose),
        numerator=lambda ctx, v=_dose.vaccine, n=_dose.dose: _in(child.VaccineDose, vaccine=v, dose_number=n,
                                                                 service_date__lte=ctx.as_of),
        group="vaccination"))


# --- maternal -----------------------------------------------------------------------------------------------------

def delivered_in_period(ctx: Ctx):
    """Women who delivered in the period (deliveries are known from the postpartum forms)."""
    q = Q()
    for model in (PostpartumVisit, Postpartum42d):
        q |= _in(model, delivery_date__gte=ctx.start, delivery_date__lte=ctx.as_of)
    return open_records(ctx).filter(q)


MOTHERS = Family("maternal", delivered_in_period)


def early_registered(ctx: Ctx) -> Q:
    pregnancies = Enrollment.objects.filter(program=maternal_rules.PROGRAM).filter(
        Q(pk__in=PostpartumVisit.objects.filter(delivery_date__gte=ctx.start, delivery_date__lte=ctx.as_of)
          .values("enrollment_id"))
        | Q(pk__in=Postpartum42d.objects.filter(delivery_date__gte=ctx.start, delivery_date__lte=ctx.as_of)
            .values("enrollment_id")))
    return _in(PrenatalFirst, enrollment_id__in=pregnancies.values("pk"), gestational_weeks__lt=13)


def postpartum_visited(ctx: Ctx) -> Q:
    days = dt.timedelta(days=maternal_rules.postpartum_indicator_days())
    visits = (PostpartumVisit.objects.filter(delivery_date__gte=ctx.start, delivery_date__lte=ctx.as_of)
              .annotate(anchor=Coalesce("discharge_date", "delivery_date"))
              .filter(service_date__gte=F("anchor"), service_date__lte=F("anchor") + days))
    return Q(pk__in=visits.values("record_id"))


declare(
    Indicator("early_pregnancy_registration_rate", _("early pregnancy registration rate"), MOTHERS,
              _("women delivered in the period who were registered with a first prenatal check before 13 weeks"),
              _("live births (base data)"), _("live births"), numerator=early_registered,
              denominator="live_births", group="maternal"),
    Indicator("postpartum_visit_rate", _("postpartum visit rate"), MOTHERS,
              _("women delivered in the period and visited at home within 28 days of discharge"),
              _("live births (base data)"), _("live births"), numerator=postpartum_visited,
              denominator="live_births", settings=("JKDA_MATERNAL_POSTPARTUM_INDICATOR_DAYS",), group="maternal"),
)


# --- tuberculosis -------------------------------------------------------------------------------------------------

def tb_notified(ctx: Ctx):
    return open_records(ctx).filter(pk__in=Enrollment.objects.filter(
        program="tb", enrolled_on__gte=ctx.start, enrolled_on__lte=ctx.as_of).values("record_id"))


def tb_completed(ctx: Ctx):
    return open_records(ctx).filter(pk__in=TbOutcome.objects.filter(
        stop_date__gte=ctx.start, stop_date__lte=ctx.as_of, stop_reason="1").values("record_id"))


TB_NOTIFIED = Family("tb_notified", tb_notified)
TB_COMPLETED = Family("tb_completed", tb_completed)

declare(
    Indicator("tb_management_rate", _("tuberculosis patient management rate"), TB_NOTIFIED,
              _("notified patients with a first home visit"), _("patients notified in the period"),
              _("tuberculosis patients notified"),
              numerator=lambda ctx: _in(TbFirstVisit, service_date__lte=ctx.as_of), group="tb"),
    Indicator("tb_regular_medication_rate", _("tuberculosis regular medication rate"), TB_COMPLETED,
              _("patients who completed treatment in the period and took more than 90 percent of their doses"),
              _("patients who completed treatment in the period"), _("tuberculosis patients who completed treatment"),
              numerator=lambda ctx: _in(TbOutcome, stop_date__gte=ctx.start, stop_date__lte=ctx.as_of,
                                        stop_reason="1", regular=True), group="tb"),
)
