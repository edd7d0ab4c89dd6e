"""`jkda demo --no-serve`: data loaded, accounts usable, and running it twice changes nothing."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from jkda.indicators.periods import today
from jkda.records.models import Record
from jkda.web.management.commands.demo import DEMO_PASSWORD


@pytest.mark.django_db
def test_demo_prepares_a_usable_district(capsys, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # a small district: the S scenario with fewer residents keeps the test quick
    call_command("synth", scenario="S", seed=3, residents=400)
    call_command("demo", no_serve=True)
    out = capsys.readouterr().out
    assert "demo_doctor" in out and DEMO_PASSWORD in out
    request = RequestFactory().post("/login/")
    assert authenticate(request, username="demo_doctor", password=DEMO_PASSWORD) is not None
    assert authenticate(request, username="demo_admin", password=DEMO_PASSWORD).is_superuser
    count = Record.objects.count()
    from jkda.indicators.models import FactMonth

    assert FactMonth.objects.count() == today().month  # the dashboards' precomputed figures of this year
    call_command("demo", no_serve=True)
    assert Record.objects.count() == count
