"""What the rules decided for a follow-up (the generic form API returns only the fields a user fills in).

    GET /api/chronic/{kind}/{id}/assessment   classification, control, referral prompt, next visit suggestion
"""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from jkda.access import audit
from jkda.records.search import base_queryset

from . import codes as C
from .models import DiabetesFollowup, HypertensionFollowup

router = Router(tags=["chronic"])

MODELS = {m.kind: m for m in (HypertensionFollowup, DiabetesFollowup)}


class AssessmentOut(Schema):
    id: int
    kind: str
    record: str
    service_date: dt.date
    controlled: bool
    classification: str
    classification_label: str
    referral_prompt: str
    referral_prompt_label: str
    referral_prompt_text: str
    next_visit_date: dt.date | None
    next_visit_suggested: dt.date | None
    summary: str


@router.get("/chronic/{kind}/{id}/assessment", response=AssessmentOut,
            summary="The rules' assessment of a hypertension or diabetes follow-up")
def assessment(request, kind: str, id: int):
    model = MODELS.get(kind)
    if model is None:
        raise Http404
    obj = get_object_or_404(model.objects.select_related("record"), pk=id)
    if not base_queryset(request.user).filter(pk=obj.record_id).exists():
        raise Http404
    audit.log("read", obj=obj, detail={"what": "assessment"})
    return {"id": obj.pk, "kind": kind, "record": obj.record.number, "service_date": obj.service_date,
            "controlled": obj.controlled, "classification": obj.classification,
            "classification_label": C.CLASSIFICATION.label(obj.classification),
            "referral_prompt": obj.referral_prompt,
            "referral_prompt_label": C.REFERRAL_PROMPT.label(obj.referral_prompt),
            "referral_prompt_text": obj.referral_prompt_text(), "next_visit_date": obj.next_visit_date,
            "next_visit_suggested": obj.next_visit_suggested, "summary": obj.summary()}
