"""The access matrix, generated from the role table (access.roles) and the scope rule (access.scope).

Every URL pattern of the project (a walk of the Django resolver) and every API operation (the OpenAPI schema) is
requested by every role, against objects of three places:

- own:   the centre (C001) where the clinical staff work, which the assessor is assigned to;
- other: the township hospital (T101) in the same district (the bureau's and the CDC's, nobody else's);
- far:   a centre of another district (nobody's here);

and the answer is compared with what the role table allows: opened (200) where the role has the permission the
view declares and the object lies in the role's reach, refused (403 / 404) otherwise. Every answer is searched for
the personal data (name, ID number, phone) of the residents the role may not see, and for unmasked ID numbers and
phones where the role may not reveal them: the leak count must be zero.

- granted: a second record of that far centre, which an outside-access request opens: every role that may apply
  (all but the three administrators) filed an application, the far centre approved it and the resident consented,
  so an active, read-only grant opens exactly the grant's pages (the record page and its service forms, GET, in
  the browser) to them, with identities masked; every other page and the API still refuse it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from jkda.access import grants
from jkda.access.grants import GRANT_PAGES
from jkda.access.models import ApiToken, AssessmentAssignment
from jkda.access.roles import ADMIN_ROLES, AUTHENTICATED, PUBLIC, ROLE_PERMISSIONS, Perm
from jkda.access.scope import visible_institution_ids
from jkda.api import api
from jkda.programs.models import Enrollment
from jkda.records import actions as record_actions
from jkda.records.models import Resident
from jkda.regions.models import Division, Institution, Staff
from jkda.services.base import service_models
from jkda.services.community.models import MODELS as COMMUNITY_MODELS

from .conftest import login_verified, make_id, resident_data

# URL names that need no personal data and no role: they answer everybody the same.
PUBLIC_URLS = {"login", "logout", "set_language"}
# Not walked: Django's admin site (tested below per role), the API (walked from its OpenAPI schema instead), the
# resident portal (its own session, not staff accounts: tests/test_portal*.py and test_portal_is_not_staff_area).
SKIPPED_PREFIXES = ("admin/", "api/", "portal/")
# Pages naming an object the matrix world does not create (an outside-access application, a target): they declare
# their access (checked below) and their own tests request them by role (tests/test_access_grants*.py,
# tests/test_targets*.py).
NOT_WALKED = {"access_request", "access_request_decide", "access_request_revoke", "targets_edit",
              "targets_target_plan"}
# Pages that answer a request without their query with the form and its errors (400): opened, not refused.
FORM_ERROR_WITHOUT_QUERY = {"notice_download"}
# Views that answer a GET without a form purpose with a small page asking for it: give them one.
# The community "new" pages ask which institution first (the own one, or the centre for bureau staff).
EXPORT_QUERY = {"record_card": "?purpose=matrix", "worklist_export": "?purpose=matrix",
                "audit_export": "?purpose=matrix", "community_new": "?institution=C001"}

ROLES = [*ROLE_PERMISSIONS, "cdc"]  # "cdc": bureau-role staff of a CDC (reads its bureau's district)
TARGETS = ["own", "other", "far", "granted"]
# the roles holding an active outside-access grant of the "granted" record (administrators may not apply)
GRANTEES = {role for role in ROLES if role not in ADMIN_ROLES}

# which targets each role reaches (the scope rule, restated as the expected outcome)
REACH = {"doctor": {"own"}, "record_manager": {"own"}, "head": {"own"}, "bureau": {"own", "other"},
         "cdc": {"own", "other"}, "assessor": {"own"}, "sysadmin": set(), "secadmin": set(), "auditor": set()}


def role_perms(role: str) -> frozenset:
    return ROLE_PERMISSIONS["bureau" if role == "cdc" else role]


@dataclass
class Target:
    name: str
    institution: Institution
    record: object
    household: object
    id_number: str
    phone: str
    services: dict = field(default_factory=dict)  # kind → pk
    community: dict = field(default_factory=dict)  # slug → pk
    enrollment: int | None = None
    referral: int | None = None
    assignment: int | None = None


def _bare(model, **fields):
    """A stored form with only its base fields (the matrix needs ids, not clinical content)."""
    obj = model(**fields)
    for f in model._meta.concrete_fields:
        if not f.null and not f.has_default() and not f.blank and getattr(obj, f.attname, None) in (None, ""):
            return None
    try:
        from django.db import transaction

        with transaction.atomic():
            obj.save()
    except Exception:  # noqa: BLE001 - a form whose required fields a bare row cannot satisfy: no object
        return None
    return obj


def _target(name, inst, village, actor, person, birth, refer_to) -> Target:
    idn = make_id(birth=birth)
    phone = person[1]
    record = record_actions.establish_record(
        actor, Resident(**resident_data(name=person[0], id_number=idn, phone=phone,
                                        current_address=f"苏州市{person[0]}路8号")),
        institution=inst, village=village)
    household = record_actions.create_household(actor, institution=inst, village=village,
                                                address=f"苏州市{person[0]}路8号", head=record)
    t = Target(name, inst, record, household, idn, phone)
    today = dt.date.today()
    for model in service_models():
        obj = _bare(model, record=record, institution=inst, service_date=today - dt.timedelta(days=2),
                    doctor_name="医生")
        if obj is not None:
            t.services[model.kind] = obj.pk
    from jkda.services.actions import record_service
    from jkda.services.clinical.models import Referral

    t.referral = record_service(Referral, record, actor, {
        "to_institution_code": refer_to, "to_department": "内科", "urgency": "2", "initial_impression": "高血压",
        "reason": "血压控制不满意", "service_date": today - dt.timedelta(days=1)}).pk
    from django.utils import timezone

    from jkda.services.community import actions as community_actions

    for slug, model in COMMUNITY_MODELS.items():
        obj = _bare(model, institution=inst)
        if obj is not None:
            t.community[slug] = obj.pk
    now = timezone.now()
    t.community["infectious"] = community_actions.create(COMMUNITY_MODELS["infectious"], None, inst, {
        "patient_name": person[0], "id_number": idn, "phone": phone, "sex": "1", "age_years": 70, "disease": "B05",
        "case_type": "3", "onset_date": today - dt.timedelta(days=5), "diagnosed_at": now - dt.timedelta(days=2),
        "reported_at": now - dt.timedelta(days=2, hours=-1), "reporting_doctor": "王医生"}).pk
    t.enrollment = Enrollment.objects.create(record=record, institution=inst, program="hypertension", enrolled_on=today,
                                             source="2").pk
    return t


@pytest.fixture
def world(city):
    county2 = Division.objects.create(code="320507", name="相城区", level="county")
    street2 = Division.objects.create(code="320507001", name="元和街道", level="township", parent=county2)
    v21 = Division.objects.create(code="320507001001", name="元和社区", level="village", parent=street2)
    bureau2 = Institution.objects.create(code="B320507", name="相城区卫生健康局", kind="bureau", division=county2)
    centre2 = Institution.objects.create(code="C201", name="元和社区卫生服务中心", kind="chc", division=street2,
                                         parent=bureau2)
    cdc = Institution.objects.create(code="D320506", name="吴中区疾病预防控制中心", kind="cdc",
                                     division=city.county, parent=city.bureau)
    far_doctor = Staff.objects.create_user(username="far_doctor", institution=centre2, role="doctor")
    targets = {
        "own": _target("own", city.centre, city.v1, city.doctor, ("欧阳本辖", "13911110001"),
                       dt.date(1950, 1, 2), "T101"),
        "other": _target("other", city.hospital, city.v3, city.town_doctor, ("司马邻院", "13922220002"),
                         dt.date(1951, 3, 4), "V101"),
        "far": _target("far", centre2, v21, far_doctor, ("诸葛外区", "13933330003"), dt.date(1952, 5, 6),
                     "T101"),
        "granted": _target("granted", centre2, v21, far_doctor, ("慕容授权", "13944440004"), dt.date(1953, 7, 8),
                           "T101"),
    }
    users = {}
    for role in ROLES:
        inst = {"bureau": city.bureau, "cdc": cdc, "assessor": city.bureau}.get(role, city.centre)
        users[role] = Staff.objects.create_user(username=f"m_{role}", role="bureau" if role == "cdc" else role,
                                                institution=inst, full_name=f"矩阵{role}")
    a = AssessmentAssignment.objects.create(assessor=users["assessor"], starts_on=dt.date.today(),
                                            ends_on=dt.date.today() + dt.timedelta(days=30), purpose="年度绩效考核",
                                            created_by=users["bureau"])
    a.institutions.set([city.centre])
    for t in targets.values():
        t.assignment = a.pk
    far_manager = Staff.objects.create_user(username="far_manager", institution=centre2, role="record_manager")
    granted = targets["granted"].record
    today = dt.date.today()
    for role in sorted(GRANTEES):
        req = grants.submit_request(users[role], record_numbers=[granted.number], organisation="苏州大学公共卫生学院",
                                    purpose="高血压队列研究，核对随访数据", period_start=today,
                                    period_end=today + dt.timedelta(days=29))
        grants.approve(far_manager, req)
        req = grants.decide_consent(req.items.get(), by=granted.resident, agree=True)
        assert req.status == "active", (role, req.status)
    return {"targets": targets, "users": users, "city": city}


# --- the URLs --------------------------------------------------------------------------------------------------

def url_patterns():
    """(route, url name, view) of every pattern, admin, API and portal excluded."""
    return [p for p in _all_patterns() if not p[0].startswith(SKIPPED_PREFIXES)]


def concrete_urls(route: str, name: str, t: Target) -> list[tuple[str, bool]]:
    """The route with its parameters filled from target t: (url, whether it names an object of t)."""
    import re

    params = re.findall(r"<(?:\w+:)?(\w+)>", route)
    if not params:
        return [("/" + route + EXPORT_QUERY.get(name, ""), False)]
    names_object = any(p in ("number", "pk") for p in params)
    fills: list[dict] = [{}]
    for p in params:
        if p == "number":
            value = [t.household.number] if route.startswith("households/") else [t.record.number]
            fills = [{**f, p: v} for f in fills for v in value]
        elif p == "kind":
            kinds = list(t.services) if "pk" in params else ["encounter"]
            fills = [{**f, "kind": k} for f in fills for k in kinds]
        elif p == "slug":
            fills = [{**f, "slug": s} for f in fills for s in (t.community if "pk" in params else COMMUNITY_MODELS)]
        elif p == "year":
            fills = [{**f, p: dt.date.today().year} for f in fills]
        elif p == "name":  # the record page's lazily loaded action forms
            fills = [{**f, p: n} for f in fills for n in ("transfer", "close", "reopen")]
        elif p == "fmt":
            fills = [{**f, p: "xlsx"} for f in fills]
        elif p == "level":
            fills = [{**f, p: "institution"} for f in fills]
        elif p == "code":
            names_object = True  # an area: the institution of the target
            fills = [{**f, p: t.institution.code} for f in fills]
        elif p == "indicator":
            from jkda.indicators import engine

            fills = [{**f, p: engine.all_indicators()[0].code} for f in fills]
        elif p == "pk":
            def pk_for(f):
                if "kind" in f:
                    return t.services[f["kind"]]
                if "slug" in f:
                    return t.community[f["slug"]]
                if route.startswith("referrals/"):
                    return t.referral
                if route.startswith("public-health/infectious/"):
                    return t.community.get("infectious")
                if "programs/" in route:
                    return t.enrollment
                if route.startswith("assessors/"):
                    return t.assignment
                if route.startswith("corrections/"):
                    return 1  # POST only: its GET answers 405 (or 403 to roles that may not write)
                raise AssertionError(f"no object for <pk> in {route}")
            fills = [{**f, "pk": pk_for(f)} for f in fills]
        else:
            raise AssertionError(f"the matrix does not know how to fill <{p}> in {route}: add it")
    out = []
    for f in fills:
        url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m, f=f: str(f[m.group(1)]), route)
        out.append((url + EXPORT_QUERY.get(name, ""), names_object))
    return out


def view_needs(view):
    needed = getattr(view, "access", None)
    assert needed is not None, f"{view} declares no access rule"
    return needed


def role_may(role: str, needed, view=None) -> bool:
    if PUBLIC in needed or AUTHENTICATED in needed:
        return True
    narrowed = getattr(view, "access_roles", None)
    if narrowed is not None and ("bureau" if role == "cdc" else role) not in narrowed:
        return False
    return any(Perm(p) in role_perms(role) for p in needed)


def leaks(body: str, role: str, targets: dict, reach: set[str], opened_by_grant: frozenset = frozenset()) -> list[str]:
    """Personal data of targets out of reach, and unmasked identities of targets within reach that the role may not
    reveal, found in a response. A target opened by a grant on this page may show its name, never its identities."""
    found = []
    for name, t in targets.items():
        if name in opened_by_grant:
            for text in (t.id_number, t.phone):
                if text in body:
                    found.append(f"{name}:unmasked {text} through a grant")
        elif name not in reach:
            for text in (t.record.resident.name, t.id_number, t.phone):
                if text in body:
                    found.append(f"{name}:{text}")
        elif Perm.REVEAL not in role_perms(role):
            for text in (t.id_number, t.phone):  # within reach but masked for this role
                if text in body:
                    found.append(f"{name}:unmasked {text}")
    return found


def test_every_view_declares_its_access():
    undeclared = [(route, name) for route, name, view in url_patterns()
                  if name not in PUBLIC_URLS and getattr(view, "access", None) is None]
    assert undeclared == []


@pytest.mark.parametrize("role", ROLES)
def test_pages_follow_the_role_table(client, world, role):
    user = world["users"][role]
    login_verified(client, user)
    targets = world["targets"]
    reach = REACH[role]
    # the scope rule agrees with the matrix's expectation
    assert set(visible_institution_ids(user)) >= {targets[n].institution.pk for n in REACH[role]}
    assert not set(visible_institution_ids(user)) & {targets[n].institution.pk for n in TARGETS
                                                     if n not in REACH[role]}
    wrong, leaked, checked = [], [], 0
    for route, name, view in url_patterns():
        if name in PUBLIC_URLS or name in NOT_WALKED:
            continue
        needed = view_needs(view)
        for tname in TARGETS:
            for url, names_object in concrete_urls(route, name, targets[tname]):
                if not names_object and tname != "own":
                    continue  # a list page: requested once
                resp = client.get(url)
                checked += 1
                body = resp.content.decode("utf-8", "replace")
                through_grant = role in GRANTEES and name in GRANT_PAGES
                opened_by_grant = frozenset({"granted"}) if through_grant else frozenset()
                leaked += [f"{url}: {x}" for x in leaks(body, role, targets, reach, opened_by_grant)]
                if resp.status_code == 405:
                    continue  # a POST-only action: its GET answers nothing
                expected = role_may(role, needed, view) and (
                    not names_object or tname in reach or (tname == "granted" and through_grant))
                opened = resp.status_code in (200, 302) or (name == "record_card" and resp.status_code == 503) or (
                    name in FORM_ERROR_WITHOUT_QUERY and resp.status_code == 400)
                if resp.status_code == 302:
                    assert "/login/" not in resp["Location"], url
                if expected != opened:
                    wrong.append(f"{url}: {resp.status_code}, expected {'open' if expected else 'refused'}")
    assert checked > 50
    assert wrong == [], "\n".join(wrong)
    assert leaked == [], f"{len(leaked)} leaks:\n" + "\n".join(leaked)


def api_operations():
    schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method in methods:
            yield path, method.upper()


def api_url(path: str, t: Target) -> tuple[str, bool] | None:
    import re

    params = re.findall(r"{(\w+)}", path)
    if not params:
        return path, False
    if path == "/api/indicators/{code}":  # an aggregate over the caller's jurisdiction, not an object
        from jkda.indicators import engine

        return f"/api/indicators/{engine.all_indicators()[0].code}?period={dt.date.today().year}", False
    values = {}
    for p in params:
        if p == "number":
            values[p] = t.household.number if path.startswith("/api/households/") else t.record.number
        elif p == "kind":
            values[p] = "hypertension_followup"
        elif p == "id":
            m = re.match(r"/api/services/(\w+)/", path) or re.match(r"/api/chronic/\{kind\}/", path)
            if path.startswith("/api/services/"):
                values[p] = t.services.get(m.group(1))
            elif path.startswith("/api/chronic/"):
                values[p] = t.services.get("hypertension_followup")
            elif path.startswith("/api/referrals/"):
                values[p] = t.referral
            elif path.startswith("/api/public-health/"):
                slug = path.split("/")[3]
                values[p] = t.community.get(slug)
            elif "/enrollments/" in path:
                values[p] = t.enrollment
        else:
            raise AssertionError(f"the matrix does not know how to fill {{{p}}} in {path}: add it")
        if values[p] is None:
            return None
    return re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), path), True


@pytest.mark.parametrize("role", ROLES)
def test_api_follows_the_role_table(client, world, role):
    user = world["users"][role]
    token = ApiToken.issue(user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    targets = world["targets"]
    reach = REACH[role]  # a grant opens browser pages only: through the API the granted record stays refused
    wrong, leaked, checked = [], [], 0
    for path, method in api_operations():
        if path in ("/api/openapi.json", "/api/docs", "/api/"):
            continue
        needed = (Perm.AGGREGATES,) if path.startswith(("/api/public-health/summary/", "/api/indicators/")) \
            else (Perm.READ,)
        for tname in TARGETS:
            made = api_url(path, targets[tname])
            if made is None or (not made[1] and tname != "own"):
                continue
            url, names_object = made
            if method == "GET":
                resp = client.get(url, **auth)
            else:
                resp = client.generic(method, url, "{}", content_type="application/json", **auth)
            checked += 1
            body = resp.content.decode("utf-8", "replace")
            leaked += [f"{method} {url}: {x}" for x in leaks(body, role, targets, reach)]
            assert resp.status_code < 500, (method, url, body[:300])
            allowed_role = role_may(role, needed)
            if not allowed_role:
                if resp.status_code != 403:
                    wrong.append(f"{method} {url}: {resp.status_code}, expected 403")
                continue
            if method != "GET":
                # a write with an empty body: out of reach it must be refused (404, or 403 / 422 before the lookup);
                # within reach an empty change may succeed (a no-op) or be refused by the validation
                if names_object and tname not in reach and resp.status_code in (200, 201):
                    wrong.append(f"{method} {url}: {resp.status_code} out of reach")
                elif Perm.WRITE not in role_perms(role) and resp.status_code in (200, 201):
                    wrong.append(f"{method} {url}: {resp.status_code} by a read-only role")
                continue
            expected = not names_object or tname in reach
            if expected != (resp.status_code == 200):
                wrong.append(f"{method} {url}: {resp.status_code}, expected {'200' if expected else 'refused'}")
    assert checked > 100
    assert wrong == [], "\n".join(wrong)
    assert leaked == [], f"{len(leaked)} leaks:\n" + "\n".join(leaked)


@pytest.mark.parametrize("role", ROLES)
def test_admin_site_follows_the_role_table(client, world, role):
    login_verified(client, world["users"][role])
    perms = role_perms(role)
    index = client.get("/admin/")
    may = Perm.ADMIN_USERS in perms or Perm.ADMIN_SECURITY in perms
    assert (index.status_code == 200) == may, index.status_code
    users = client.get("/admin/regions/staff/")
    assert (users.status_code == 200) == (Perm.ADMIN_USERS in perms)
    devices = client.get("/admin/otp_totp/totpdevice/")
    assert (devices.status_code == 200) == (Perm.ADMIN_SECURITY in perms)
    for resp in (index, users, devices):
        assert leaks(resp.content.decode(), role, world["targets"], set()) == []


def test_portal_is_not_staff_area(client, world):
    """The portal lets staff sessions through the policy middleware but shows them nothing: it wants its own
    (resident) session."""
    login_verified(client, world["users"]["doctor"])
    for route, _name, _view in [p for p in _all_patterns() if p[0].startswith("portal/")]:
        if "<" in route:
            continue
        resp = client.get("/" + route)
        assert resp.status_code in (200, 302, 405), (route, resp.status_code)
        assert leaks(resp.content.decode("utf-8", "replace"), "doctor", world["targets"], set()) == [], route


def _all_patterns():
    """(route, url name, view) of every pattern of the project (a walk of the resolver)."""
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p.name, p.callback

    return list(walk(get_resolver().url_patterns))
