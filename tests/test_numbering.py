"""Record numbers: the configured scheme, creation order per village, uniqueness under concurrency."""

import threading

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from jkda.records import numbering
from jkda.records.models import NumberCounter, Record


def test_17_digit_default(establish, city):
    numbers = [establish(id_number="", name=f"测试{i}", birth_date="2000-01-01", sex="1").number for i in range(3)]
    assert numbers == [f"{city.v1.code}{i:05d}" for i in (1, 2, 3)]
    rec = Record.objects.get(number=numbers[1])
    assert rec.short_number == f"{numbers[1][-8:-5]}-{numbers[1][-5:]}"


def test_16_digit_setting(establish, city, settings):
    settings.JKDA_RECORD_NUMBER_DIGITS = 16
    rec = establish(village=city.v2)
    assert rec.number == f"{city.v2.code}0001" and len(rec.number) == 16


def test_numbers_are_per_village(establish, city):
    a = establish(village=city.v1)
    b = establish(village=city.v2)
    c = establish(village=city.v1)
    assert (a.number[-5:], b.number[-5:], c.number[-5:]) == ("00001", "00001", "00002")


def test_legacy_numbers_are_kept_and_skipped(establish, city):
    legacy = f"{city.v1.code}00005"
    from jkda.records import actions
    from jkda.records.models import Resident

    from .conftest import resident_data

    actions.establish_record(city.doctor, Resident(**resident_data()), institution=city.centre, village=city.v1,
                             number=legacy)
    assert NumberCounter.objects.get(pk=city.v1.code).last_serial == 5
    assert establish().number == f"{city.v1.code}00006"
    # a legacy 16-digit number from another system imports too
    old16 = f"{city.v2.code}0042"
    actions.establish_record(city.doctor, Resident(**resident_data()), institution=city.centre, village=city.v2,
                             number=old16)
    assert Record.objects.filter(number=old16).exists()


def test_village_runs_out_of_numbers(city, settings):
    settings.JKDA_RECORD_NUMBER_DIGITS = 16
    NumberCounter.objects.create(village_code=city.v1.code, last_serial=9999)
    with pytest.raises(Exception) as exc:
        numbering.allocate_number(city.v1.code)
    assert "9999" in str(exc.value)


class TestNumberProperties(TestCase):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        villages=st.lists(st.sampled_from(["320506001001", "320506001002", "320506101101"]), min_size=1, max_size=30),
        digits=st.sampled_from([16, 17]),
    )
    def test_allocation_is_dense_ordered_and_unique(self, villages, digits):
        from django.test import override_settings

        NumberCounter.objects.all().delete()
        with override_settings(JKDA_RECORD_NUMBER_DIGITS=digits):
            issued = [numbering.allocate_number(v) for v in villages]
        assert len(set(issued)) == len(issued)
        for number, village in zip(issued, villages, strict=True):
            assert len(number) == digits and number.startswith(village) and number.isdigit()
        for village in set(villages):
            serials = [int(n[12:]) for n in issued if n.startswith(village)]
            assert serials == list(range(1, len(serials) + 1))


@pytest.mark.django_db(transaction=True)
def test_concurrent_establishment_never_shares_a_number(city):
    """Eight threads, each with its own database connection, establish records in the same village at once."""
    from jkda.records import actions
    from jkda.records.models import Resident

    from .conftest import make_id, resident_data

    datas = [resident_data(id_number=make_id(), name=f"并发{i}") for i in range(24)]
    errors, numbers = [], []
    barrier = threading.Barrier(8)

    def worker(chunk):
        try:
            barrier.wait()
            for data in chunk:
                rec = actions.establish_record(None, Resident(**data), institution=city.centre, village=city.v1)
                numbers.append(rec.number)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(datas[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(numbers) == 24 and len(set(numbers)) == 24
    assert sorted(int(n[-5:]) for n in numbers) == list(range(1, 25))
