"""Synthetic institution-level services: deterministic by seed, valid by the model rules, realistic spread
(some institutions below the yearly minimums, a few late report cards)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from jkda.regions.models import Institution
from jkda.services.community import rules, summaries
from jkda.services.community.models import (
    EducationActivity,
    InfectiousReport,
    NoticeBoard,
    PrintedMaterial,
    SupervisionReport,
    SupervisionVisit,
)
from jkda.synth.generator import generate

AS_OF = dt.date(2025, 6, 30)
SIZE = 2000


class _Rollback(Exception):
    pass


def _snapshot() -> dict:
    return {
        "boards": list(NoticeBoard.objects.order_by("institution__code", "name").values_list(
            "institution__code", "name", "location", "area", "set_up_on")),
        "materials": sorted(PrintedMaterial.objects.values_list("institution__code", "title_text", "material_form",
                                                                "copies", "provided_on")),
        "activities": sorted(EducationActivity.objects.values_list(
            "institution__code", "activity_date", "activity_kind", "theme", "place", "participants",
            "board__name")),
        "cards": sorted(InfectiousReport.objects.values_list(
            "card_number", "patient_name", "patient_record__number", "disease", "diagnosed_at", "reported_at")),
        "visits": sorted(SupervisionVisit.objects.values_list("institution__code", "visit_date", "kind", "place")),
        "reports": sorted(SupervisionReport.objects.values_list("institution__code", "found_on", "kind",
                                                                "reported_on")),
    }


def _generate_and_roll_back(seed: int) -> dict:
    snap = {}
    try:
        with transaction.atomic():
            generate("S", seed, residents=SIZE, as_of=AS_OF)
            snap = _snapshot()
            raise _Rollback
    except _Rollback:
        pass
    return snap


@pytest.fixture
def synth(db):
    return generate("S", 5, residents=SIZE, as_of=AS_OF)


def test_same_seed_same_services(db):
    first = _generate_and_roll_back(3)
    second = _generate_and_roll_back(3)
    other = _generate_and_roll_back(4)
    assert first == second
    assert all(first[k] for k in first)
    assert first["cards"] != other["cards"] and first["activities"] != other["activities"]


def test_counts_and_dates(synth):
    counts = synth.services
    assert counts["education activities"] == EducationActivity.objects.count() > 0
    assert counts["infectious disease report cards"] == InfectiousReport.objects.count() > 0
    assert counts["supervision visits"] == SupervisionVisit.objects.count() > 0
    assert counts["notice boards"] == NoticeBoard.objects.count()
    clinical = Institution.objects.filter(kind__in=Institution.CLINICAL_KINDS)
    assert set(EducationActivity.objects.values_list("institution_id", flat=True).distinct()) == \
        set(clinical.values_list("id", flat=True))
    dates = EducationActivity.objects.values_list("activity_date", flat=True)
    assert min(dates) >= dt.date(AS_OF.year - 1, 1, 1) and max(dates) <= AS_OF


def test_rows_pass_the_model_rules(synth):
    for model in (EducationActivity, InfectiousReport, NoticeBoard, PrintedMaterial, SupervisionReport,
                  SupervisionVisit):
        for obj in model.objects.select_related("institution").order_by("id")[:300]:
            obj.full_clean()
    for card in InfectiousReport.objects.all():
        assert card.disease_class == rules.disease_class(card.disease)
        assert card.urgent == rules.is_urgent(card.disease)
        assert card.reported_at >= card.diagnosed_at
        if card.patient_record_id:
            assert card.patient_record.institution_id == card.institution_id
            assert card.patient_name == card.patient_record.resident.name


def test_some_institutions_below_the_minimums_and_a_few_late_cards(synth):
    rows = summaries.education_summary(Institution.objects.all(), AS_OF.year - 1)
    met = [r.met for r in rows]
    assert any(met) and not all(met)
    talks = {r.item("talks").done for r in rows}
    assert len(talks) > 3
    cards = summaries.infectious_timeliness(Institution.objects.all(), dt.date(AS_OF.year - 1, 1, 1), AS_OF)
    total = sum(r.cards for r in cards)
    on_time = sum(r.on_time for r in cards)
    assert total == InfectiousReport.objects.count()
    assert 0.6 * total <= on_time < total
    sup = summaries.supervision_counts(Institution.objects.all(), dt.date(AS_OF.year - 1, 1, 1), AS_OF)
    assert sum(r.visits for r in sup) == SupervisionVisit.objects.count()
