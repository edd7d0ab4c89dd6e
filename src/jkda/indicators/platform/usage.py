"""The system counts the use of its own business functions as it happens: a record established or a service form
written by a signed-in user is one use of the function the form belongs to, by that user at their institution
(`actions.record_usage`, source "system"). Bulk loaders (synth, imports) write no such events: they are no use of
the functions by a doctor.

JKDA_PLATFORM_SERVICE_FUNCTIONS maps a service kind to a business function code (None or a missing kind: not
counted); a record established counts as "health_records".
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.models.signals import post_save

log = logging.getLogger(__name__)

SERVICE_FUNCTIONS = {
    "exam": "health_exam",
    "encounter": "clinic_encounter",
    "consultation": "consultation",
    "referral": "two_way_referral", "referral_back": "two_way_referral",
    "hypertension_followup": "followup", "diabetes_followup": "followup", "smi_profile": "followup",
    "smi_followup": "followup", "selfcare": "followup", "tcm_elderly": "followup", "tb_first_visit": "followup",
    "tb_followup": "followup", "tb_outcome": "followup",
    "newborn_visit": "child_maternal", "child_check_infant": "child_maternal", "child_check_toddler": "child_maternal",
    "child_check_preschool": "child_maternal", "tcm_child": "child_maternal", "prenatal_first": "child_maternal",
    "prenatal_followup": "child_maternal", "postpartum_visit": "child_maternal", "postpartum_42d": "child_maternal",
    "vaccination": "vaccination", "vaccination_certificate": "vaccination",
}


def service_functions() -> dict[str, str | None]:
    return getattr(settings, "JKDA_PLATFORM_SERVICE_FUNCTIONS", SERVICE_FUNCTIONS)


def _count(user, function: str, institution) -> None:
    from django.core.exceptions import PermissionDenied, ValidationError

    from .actions import record_usage

    if user is None or not getattr(user, "pk", None) or institution is None:
        return
    try:
        record_usage(user, function, institution=institution)
    except (ValidationError, PermissionDenied) as exc:  # a function no longer counted, or not in the catalogue
        log.info("use of %s not counted: %s", function, exc)


def on_service(sender, instance, created=False, raw=False, **kwargs):
    if raw or not created:
        return
    function = service_functions().get(getattr(sender, "kind", ""))
    if function:
        _count(getattr(instance, "created_by", None), function, getattr(instance, "institution", None))


def on_record(sender, instance, created=False, raw=False, **kwargs):
    if raw or not created:
        return
    _count(getattr(instance, "established_by", None), "health_records", instance.institution)


def connect() -> None:
    from jkda.records.models import Record
    from jkda.services.base import service_models

    post_save.connect(on_record, sender=Record, dispatch_uid="platform.usage.record")
    for model in service_models():
        post_save.connect(on_service, sender=model, dispatch_uid=f"platform.usage.{model._meta.label}")
