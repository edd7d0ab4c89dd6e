"""Synthetic targets (`jkda synth` extension "targets"): every indicator of the catalogue gets an annual target for
the city and for each district / county, this year and last year, with the default half-year share and milestones
(so that dashboards, milestone tables and the monthly round of notices have something to measure against).

The values are plausible work-plan targets by indicator group, the same for every area (a bureau sets its own in
/targets/ or by XLSX import); the synthetic city's coverage differs by institution, so some areas meet them and
some do not.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

ANNUAL_BY_GROUP = {  # percent
    "records": 80, "elderly": 70, "hypertension": 65, "diabetes": 65, "smi": 85, "child": 90, "vaccination": 90,
    "maternal": 85, "tb": 90,
}
ANNUAL_BY_INDICATOR = {  # where an indicator's usual target differs from its group's
    "qualified_record_rate": 70, "record_usage_rate": 60, "hypertension_management_rate": 45,
    "diabetes_management_rate": 40, "hypertension_control_rate": 60, "diabetes_control_rate": 55,
    "child_tcm_management_rate": 75, "elderly_tcm_management_rate": 70,
}


def annual_target(code: str, group: str) -> Decimal:
    return Decimal(ANNUAL_BY_INDICATOR.get(code, ANNUAL_BY_GROUP.get(group, 80)))


def generate_targets(ctx) -> None:
    from jkda.indicators import engine
    from jkda.regions.models import Division, Institution

    from .models import Target

    areas = list(Division.objects.filter(level__in=("city", "county")).order_by("code"))
    bureaus = {i.division_id: i.name for i in Institution.objects.filter(kind="bureau")}
    rows = [Target(indicator=ind.code, level=d.level, area_code=d.code, year=year,
                   annual=annual_target(ind.code, ind.group), responsible_unit=bureaus.get(d.pk, d.name)[:100])
            for year in (ctx.as_of.year - 1, ctx.as_of.year) for d in areas for ind in engine.all_indicators()]
    with transaction.atomic():
        Target.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    ctx.add("targets", len(rows))
