"""Masked identities: ID numbers, phones and addresses masked by default, revealed to managing staff, audited."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from jkda.access import masking
from jkda.access.models import AuditEntry


@given(st.text(alphabet="0123456789X", min_size=9, max_size=18))
def test_mask_id_keeps_length_and_ends_only(value):
    m = masking.mask_id(value)
    assert len(m) == len(value) and m[:4] == value[:4] and m[-4:] == value[-4:]
    assert set(m[4:-4]) <= {"*"}


def test_examples():
    assert masking.mask_id("11010519491231002X") == "1101**********002X"
    assert masking.mask_phone("13912345678") == "139****5678"
    assert masking.mask_phone("0512-6523") == "*****6523"
    assert masking.mask_address("苏州市吴中区新家路1号") == "苏州市吴中区****"
    assert masking.mask_id("") == "" and masking.mask_phone(None) == ""


def test_record_page_masks_and_reveals_with_audit(client, city, establish):
    rec = establish()
    idn = rec.resident.id_number
    client.force_login(city.doctor)
    page = client.get(f"/records/{rec.number}/").content.decode()
    assert idn not in page and "13912345678" not in page and "新家路1号" not in page
    assert masking.mask_id(idn) in page and 'id="reveal-link"' in page
    page = client.get(f"/records/{rec.number}/?reveal=1").content.decode()
    assert idn in page and "13912345678" in page and "新家路1号" in page
    entry = AuditEntry.objects.filter(action="reveal").latest("id")
    assert (entry.actor_name, entry.object_id, entry.outcome) == ("doctor", rec.number, "ok")


def test_bureau_staff_cannot_reveal(client, city, establish):
    rec = establish()
    client.force_login(city.bureau_user)
    page = client.get(f"/records/{rec.number}/?reveal=1").content.decode()
    assert rec.resident.id_number not in page and 'id="reveal-link"' not in page
    assert "无权查看" in page
    assert AuditEntry.objects.filter(action="reveal", outcome="denied", actor_name="bureau").exists()
