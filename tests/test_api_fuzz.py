"""The API never answers with a server error: schemathesis generates requests from the served OpenAPI schema
(/api/openapi.json) for every operation and sends them in-process to the Django WSGI app, authenticated with a
doctor's API token. Path parameters are half the time replaced by real record numbers and form ids, so that the
generated bodies reach the validation and the actions, not only the 404.

Examples per operation: JKDA_FUZZ_EXAMPLES (default 10: about 1,300 cases, two minutes for the whole schema); a
local deep run: `JKDA_FUZZ_EXAMPLES=40 pytest tests/test_api_fuzz.py`. Each run counts its cases in FUZZ_CASES.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error

from jkda.access.models import ApiToken
from jkda.services.actions import record_service
from jkda.services.clinical.models import Encounter

EXAMPLES = int(os.environ.get("JKDA_FUZZ_EXAMPLES", "10"))
FUZZ_CASES = {"count": 0, "by_status": {}}

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture(scope="module", autouse=True)
def _report_case_count():
    """After the module: how many cases the fuzz test sent, by status (the number for the report)."""
    yield
    print(f"\nAPI fuzz: {FUZZ_CASES['count']} cases, statuses {sorted(FUZZ_CASES['by_status'].items())}")


@pytest.fixture
def fuzz_env(city, establish):
    # the in-process WSGI call must not close the test's database connection (as Django's test client does)
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    record = establish()
    encounter = record_service(Encounter, record, city.doctor, {
        "service_date": dt.date.today() - dt.timedelta(days=3), "subjective": "头晕", "plan": "复诊"})
    yield {"token": ApiToken.issue(city.doctor, label="fuzz"), "number": record.number,
           "id": encounter.pk, "record": record}
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _pick(value, real):
    """Deterministically keep the generated value or use a real one (half of the values each)."""
    return real if hashlib.sha256(repr(value).encode()).digest()[0] % 2 else value


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          phases=[Phase.generate], suppress_health_check=list(HealthCheck))
def test_api_never_answers_a_server_error(case, fuzz_env):
    params = case.path_parameters or {}
    if "number" in params:
        params["number"] = _pick(params["number"], fuzz_env["number"])
    if "id" in params:
        params["id"] = _pick(params["id"], fuzz_env["id"])
    response = case.call(headers={"Authorization": f"Bearer {fuzz_env['token']}"})
    FUZZ_CASES["count"] += 1
    FUZZ_CASES["by_status"][response.status_code] = FUZZ_CASES["by_status"].get(response.status_code, 0) + 1
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
