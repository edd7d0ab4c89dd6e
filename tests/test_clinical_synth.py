"""Synthetic encounters, consultations and referrals: deterministic, plausible, and consistent with the rules."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import transaction

from jkda.records.models import Record, Resident
from jkda.regions.models import Institution
from jkda.services.clinical import rules
from jkda.services.clinical.models import Consultation, Encounter, Referral, ReferralBack
from jkda.synth.generator import generate

AS_OF = dt.date(2025, 6, 30)
SIZE = 2000


class _Rollback(Exception):
    pass


def _snapshot() -> dict:
    return {
        "enc": list(Encounter.objects.order_by("id").values_list("record__number", "service_date", "assessment")),
        "cons": list(Consultation.objects.order_by("id").values_list("record__number", "service_date", "consultants")),
        "ref": list(Referral.objects.order_by("id").values_list("record__number", "service_date",
                                                                 "to_institution__code", "status")),
        "back": list(ReferralBack.objects.order_by("id").values_list("referral__record__number", "service_date")),
    }


def _run(seed: int) -> dict:
    snap = {}
    try:
        with transaction.atomic():
            generate("S", seed, residents=SIZE, as_of=AS_OF)
            snap = _snapshot()
            raise _Rollback
    except _Rollback:
        pass
    assert not Resident.objects.exists()
    return snap


def test_same_seed_same_services(db):
    first, second, other = _run(4), _run(4), _run(5)
    assert first["enc"] and first["ref"]
    assert first == second
    assert first["enc"] != other["enc"]


@pytest.fixture
def synth(db):
    return generate("S", 3, residents=SIZE, as_of=AS_OF)


def test_counts_and_shares(synth):
    counts = synth.services
    assert counts["encounters"] == Encounter.objects.count()
    assert counts["consultations"] == Consultation.objects.count()
    assert counts["referrals"] == Referral.objects.count() > 0
    assert counts["referrals_back"] == ReferralBack.objects.count() > 0
    records = Record.objects.count()
    with_encounter = Encounter.objects.values("record").distinct().count()
    assert 0.05 * records <= with_encounter <= 0.18 * records
    per_record = Counter(Encounter.objects.values_list("record_id", flat=True))
    assert set(per_record.values()) <= {1, 2, 3}


def test_older_people_have_more_encounters(synth):
    def share(lo, hi):
        lo_birth, hi_birth = dt.date(AS_OF.year - hi, 1, 1), dt.date(AS_OF.year - lo, 1, 1)
        qs = Record.objects.filter(status="active", resident__birth_date__range=(lo_birth, hi_birth))
        n = qs.count()
        return Encounter.objects.filter(record__in=qs).values("record").distinct().count() / n

    assert share(66, 100) > share(20, 44)


def test_services_obey_the_rules(synth):
    start = AS_OF - dt.timedelta(days=365)
    for model in (Encounter, Consultation, Referral, ReferralBack):
        dates = model.objects.values_list("service_date", "record__resident__birth_date", "record__status")
        assert all(start <= d <= AS_OF and d >= b and s == "active" for d, b, s in dates)
    assert not any(rules.soap_is_empty({"subjective": s, "objective": o, "assessment": a, "plan": p})
                   for s, o, a, p in Encounter.objects.values_list("subjective", "objective", "assessment", "plan"))
    assert all(rules.consultants_filled(c) for c in Consultation.objects.values_list("consultants", flat=True))
    clinical = set(Institution.CLINICAL_KINDS)
    for ref in Referral.objects.select_related("to_institution", "institution"):
        assert ref.to_institution.code == ref.to_institution_code and ref.to_institution.kind in clinical
        assert ref.to_institution_id != ref.institution_id and ref.institution_id == ref.record.institution_id
        if ref.status == rules.SENT:
            assert ref.received_on is None
        else:
            assert ref.service_date <= ref.received_on <= AS_OF
        if ref.status == rules.REFUSED:
            assert ref.refusal_reason
    statuses = Counter(Referral.objects.values_list("status", flat=True))
    assert statuses[rules.RETURNED] and statuses[rules.SENT] + statuses[rules.RECEIVED]
    for back in ReferralBack.objects.select_related("referral"):
        assert back.referral.status == rules.RETURNED and back.record_id == back.referral.record_id
        assert back.institution_id == back.referral.to_institution_id
        assert back.referral.service_date <= back.service_date <= AS_OF
    assert ReferralBack.objects.count() == statuses[rules.RETURNED]
    # the records' latest-service date counts these services
    latest = max(Encounter.objects.filter(record_id=Encounter.objects.first().record_id).values_list(
        "service_date", flat=True))
    assert Record.objects.get(pk=Encounter.objects.first().record_id).last_service_on >= latest


def test_rates_differ_between_institutions(synth):
    rates = []
    for inst in Institution.objects.filter(kind__in=Institution.CLINICAL_KINDS):
        n = Record.objects.filter(institution=inst, status="active").count()
        if n >= 100:
            rates.append(Encounter.objects.filter(institution=inst).values("record").distinct().count() / n)
    assert len(rates) >= 3 and max(rates) - min(rates) > 0.03


def test_generated_referrals_show_in_the_inbox(synth, client):
    ref = Referral.objects.filter(status=rules.SENT).select_related("to_institution").first() or \
        Referral.objects.select_related("to_institution").first()
    from jkda.regions.models import Staff

    user = Staff.objects.filter(institution=ref.to_institution, role="doctor").first()
    client.force_login(user)
    page = client.get("/referrals/?status=all")
    assert page.status_code == 200 and f'id="referral-{ref.pk}"' in page.content.decode()
