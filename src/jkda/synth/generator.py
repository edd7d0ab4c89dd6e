"""The deterministic synthetic city: divisions, institutions, staff, population base data, residents, households
and their health records.

    generate(scenario="S", seed=1)          # S ≈ one district, 20k residents; M 200k; L a city of 2M

Same scenario, seed, size and reference date ⇒ the same names, ID numbers, household and record numbers. Every
random draw comes from a `random.Random` seeded with a string derived from the seed (one stream for the geography,
one for staff, one for coverage, one for population figures, one per village), never from the global generator,
so the output does not depend on PYTHONHASHSEED; villages are generated in code order, and what must be unique
across villages (ID number sequences, primary keys) is allocated in that order.

Speed: residents, households and records are written in chunks with multi-row statements (executemany on SQLite,
COPY on PostgreSQL), inside one transaction per chunk, with primary keys assigned here so that the three tables can
reference each other without a round trip. Everything `save()` would derive (pinyin, initials, last six of the ID
number, last eight of the record number, the institution path) is computed here. Pinyin is computed once per
surname and per given name, not per resident. No django-simple-history rows and no RecordEvent rows are written for
synthetic seed data: the seed is the starting state, not a change anybody made.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
import multiprocessing
import os
import random
import re
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from queue import Empty

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from jkda.codes import idnumber
from jkda.records.models import Household, HouseholdCounter, NumberCounter, Record, Resident
from jkda.records.names import pinyin_of
from jkda.records.numbering import serial_width
from jkda.regions.models import Division, Institution, PopulationBase, Staff

from . import data as D
from . import extensions


class SynthError(Exception):
    """The generator cannot run (for example the database is not empty)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    residents: int
    # (county code, streets, towns)
    counties: tuple[tuple[str, int, int], ...]
    committees_per_street: int = 6
    stations_per_centre: int = 2
    villages_per_town: int = 8  # the town's own residents' committee (001) + villages 101...
    clinics_per_hospital: int = 2


SCENARIOS: dict[str, Scenario] = {
    "S": Scenario("S", 20_000, (("320506", 3, 3),)),
    "M": Scenario("M", 200_000, (("320508", 6, 0), ("320506", 3, 3), ("320507", 2, 2))),
    "L": Scenario("L", 2_000_000, (
        ("320508", 8, 0), ("320505", 4, 1), ("320506", 4, 4), ("320507", 3, 3), ("320509", 3, 5),
        ("320581", 4, 4), ("320582", 1, 4), ("320583", 2, 5), ("320585", 2, 3),
    )),
}

# Demo accounts: created with unusable passwords; the caller (e.g. `jkda demo`) sets a password if it wants them.
DEMO_ACCOUNTS = (
    ("demo_doctor", "chc", Staff.Role.DOCTOR),
    ("demo_manager", "chc", Staff.Role.RECORD_MANAGER),
    ("demo_head", "chc", Staff.Role.HEAD),
    ("demo_station", "chs", Staff.Role.DOCTOR),
    ("demo_town", "thc", Staff.Role.DOCTOR),
    ("demo_village", "vc", Staff.Role.DOCTOR),
    ("demo_bureau", "district_bureau", Staff.Role.BUREAU),
    ("demo_city", "city_bureau", Staff.Role.BUREAU),
)
STAFF_PER_KIND = {  # role → how many, per institution kind
    "chc": (("head", 1), ("record_manager", 1), ("doctor", 4)),
    "chs": (("doctor", 2),),
    "thc": (("head", 1), ("record_manager", 1), ("doctor", 3)),
    "vc": (("doctor", 1),),
    "bureau": (("bureau", 2),),
    "cdc": (("bureau", 1),),
}


@dataclass
class Summary:
    scenario: str
    seed: int
    as_of: dt.date
    divisions: int = 0
    institutions: int = 0
    staff: int = 0
    residents: int = 0
    records: int = 0
    closed_records: int = 0
    households: int = 0
    population_rows: int = 0
    seconds: float = 0.0
    demo_usernames: list[str] = field(default_factory=list)
    services: dict[str, int] = field(default_factory=dict)  # rows written by the extensions (synth.extensions)

    def rows(self) -> int:
        return self.residents + self.records + self.households


def demo_usernames() -> list[str]:
    """Usernames of the demo accounts the generator created (their passwords are unusable until set)."""
    wanted = [name for name, _kind, _role in DEMO_ACCOUNTS]
    found = set(Staff.objects.filter(username__in=wanted).values_list("username", flat=True))
    return [name for name in wanted if name in found]


# ---------------------------------------------------------------------------------------------------------------
# small helpers

class Weighted:
    """A fast weighted choice over a mapping key → weight, drawing from the given rng."""

    __slots__ = ("keys", "cum", "total")

    def __init__(self, mapping):
        items = list(mapping.items()) if isinstance(mapping, dict) else list(mapping)
        self.keys = [k for k, _w in items]
        self.cum = []
        total = 0.0
        for _k, w in items:
            total += w
            self.cum.append(total)
        self.total = total

    def __call__(self, rng: random.Random):
        return self.keys[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _rng(seed: int, label: str) -> random.Random:
    return random.Random(f"jkda-synth:{seed}:{label}")


_AGE_CUM: dict[str, list[float]] = {}


def _age_table(kind: str = "population") -> list[float]:
    table = _AGE_CUM.get(kind)
    if table is None:
        bands = D.AGE_BANDS if kind == "population" else D.ANCHOR_BANDS
        table, total = [], 0.0
        for age in range(101):
            total += bands[min(age // 5, len(bands) - 1)] / 5
            table.append(total)
        _AGE_CUM[kind] = table
    return table


def sample_age(rng: random.Random, lo: int, hi: int, kind: str = "population") -> int:
    """An age in [lo, hi] following the population pyramid (or the anchor weights)."""
    cum = _age_table(kind)
    lo, hi = max(0, lo), min(100, hi)
    if hi <= lo:
        return max(0, lo)
    base = cum[lo - 1] if lo > 0 else 0.0
    u = base + rng.random() * (cum[hi] - base)
    return min(hi, max(lo, bisect.bisect_left(cum, u)))


def _surname_table() -> Weighted:
    pairs = []
    for name, weight in re.findall(r"(\D+?)([\d.]+)", D.SURNAMES.replace(" ", "")):
        pairs.append((name, float(weight) * D.LOCAL_SURNAME_BOOST.get(name, 1.0)))
    return Weighted(pairs)


def _county_label(raw: str) -> tuple[str, bool]:
    """stdnum's '[1983-2012]沧浪区' or '[-1991]东郊区,[1992-]东丽区' → (current name, is current)."""
    last = raw.split(",")[-1]
    m = re.match(r"^\[(\d*)-(\d*)\](.*)$", last)
    if m:
        return m.group(3), not m.group(2)
    return last, True


def _place_codes() -> dict[str, list[tuple[str, str, str]]]:
    """Current county-level codes in stdnum's table by province prefix: [(code, province, county)]."""
    from stdnum import numdb

    out: dict[str, list[tuple[str, str, str]]] = {}
    for _len, prov, _hi, props, children in numdb.get("cn/loc").prefixes:
        pname = props.get("province", "")
        for _l2, rest, _h2, cprops, _c in children:
            code = prov + rest
            name, current = _county_label(cprops.get("county", ""))
            if not current or not name or code.endswith(("00", "01")) or name in {"市辖区", "县"}:
                continue
            if code.startswith(D.CITY_CODE[:4]):
                continue
            if idnumber.known_address_code(code):
                out.setdefault(prov, []).append((code, pname, name))
    return out


class IdAllocator:
    """Unique ID numbers: a sequence per (address code, birth date, sex), walked in a fixed pseudo-random order."""

    def __init__(self, local_codes):
        self.local = {code: bytearray(2 * 80000) for code in local_codes}
        self.other: dict[int, int] = {}
        self.epoch = dt.date(1900, 1, 1).toordinal()

    def make(self, address: str, birth: dt.date, male: bool) -> str:
        day = birth.toordinal() - self.epoch
        slot = 2 * day + (1 if male else 0)
        table = self.local.get(address)
        if table is not None and 0 <= slot < len(table):
            count = table[slot]
            if count >= 255:
                raise SynthError(f"more than 255 people born on {birth} in {address}")
            table[slot] = count + 1
        else:
            key = int(address) * 200000 + slot
            count = self.other.get(key, 0)
            self.other[key] = count + 1
        if count >= 499:
            raise SynthError(f"more than 499 people born on {birth} in {address}")
        idx = (day * 7919 + int(address) * 104729 + slot + count * 211) % 499 + 1  # 1..499, a permutation in count
        return idnumber.make(address, birth, 2 * idx + (1 if male else 0))


class Pinyin:
    """Pinyin of names, computed once per surname and per given name and joined.

    The join equals records.names.pinyin_of(full name) unless pypinyin's phrase segmentation would read the
    surname and the first given character as one word; those names are computed whole (and cached).
    """

    def __init__(self):
        self.parts: dict[str, tuple[str, str]] = {}
        self.whole: dict[str, tuple[str, str]] = {}
        self.joinable: dict[tuple[str, str], bool] = {}
        try:
            from pypinyin.constants import PHRASES_DICT
            from pypinyin.seg.mmseg import p_set
        except ImportError:  # pragma: no cover - another pypinyin layout: compute every name whole
            self.prefixes, self.phrases = None, None
        else:
            self.prefixes, self.phrases = p_set, PHRASES_DICT

    def part(self, text: str) -> tuple[str, str]:
        got = self.parts.get(text)
        if got is None:
            got = self.parts[text] = pinyin_of(text)
        return got

    def __call__(self, surname: str, given: str) -> tuple[str, str]:
        key = (surname, given[:1])
        ok = self.joinable.get(key)
        if ok is None:
            ok = self.prefixes is not None and (surname + given[:1]) not in self.prefixes and (
                len(surname) == 1 or surname in self.phrases)
            self.joinable[key] = ok
        if ok:
            a, b = self.part(surname), self.part(given)
            return a[0] + b[0], a[1] + b[1]
        name = surname + given
        got = self.whole.get(name)
        if got is None:
            got = self.whole[name] = pinyin_of(name)
        return got


# ---------------------------------------------------------------------------------------------------------------
# writing rows fast

class TableWriter:
    """Insert rows of plain values (str, int, None; dates as ISO strings, JSON as text) into a model's table.

    Columns the generator does not know (a field added later) get the field's default, so the writer keeps working
    when the model grows a field with a default; a new required field without one stops the load with a message.
    """

    def __init__(self, model: type[models.Model], columns: list[str]):
        self.model = model
        meta = model._meta
        by_attname = {f.attname: f for f in meta.concrete_fields}
        unknown = [c for c in columns if c not in by_attname]
        if unknown:
            raise SynthError(f"{model.__name__} has no column(s) {unknown}")
        now = timezone.now()
        extra_cols, extra_vals = [], []
        for f in meta.concrete_fields:
            if f.attname in columns or (f.primary_key and f.auto_created):
                continue  # an id left out is given by the database
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            else:
                raise SynthError(f"synth does not know how to fill the new field {model.__name__}.{f.name}")
            extra_cols.append(f.column)
            extra_vals.append(self._plain(f, value))
        self.columns = [by_attname[c].column for c in columns] + extra_cols
        self.extra = tuple(extra_vals)
        self.vendor = connection.vendor
        q = connection.ops.quote_name
        cols = ", ".join(q(c) for c in self.columns)
        self.table = q(meta.db_table)
        self.insert_sql = f"INSERT INTO {self.table} ({cols}) VALUES ({', '.join(['%s'] * len(self.columns))})"
        self.copy_sql = f"COPY {self.table} ({cols}) FROM STDIN"

    @staticmethod
    def _plain(f, value):
        if value is None:
            return None
        if isinstance(f, models.JSONField):
            return json.dumps(value)
        if isinstance(value, dt.datetime):
            if connection.vendor == "sqlite":
                return connection.ops.adapt_datetimefield_value(value)
            return value.isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, str)):
            return value
        return str(f.get_db_prep_save(value, connection))

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        extra = self.extra
        if self.vendor == "postgresql":
            # COPY in text format; psycopg formats and escapes each row in C (values go as text, the server
            # parses dates and JSON).
            with connection.cursor() as cursor, connection.wrap_database_errors, \
                    cursor.cursor.copy(self.copy_sql) as copy:
                write = copy.write_row
                if extra:
                    for row in rows:
                        write(row + extra)
                else:
                    for row in rows:
                        write(row)
        else:
            params = [row + extra for row in rows] if extra else rows
            with connection.cursor() as cursor:
                cursor.executemany(self.insert_sql, params)


# ---------------------------------------------------------------------------------------------------------------
# the plan: geography, institutions, staff

@dataclass
class VillagePlan:
    code: str
    name: str
    id: int
    township: str
    county: str
    county_code: str
    urban: bool
    weight: float
    inst_id: int = 0
    inst_code: str = ""
    residents: int = 0


@dataclass
class Plan:
    scenario: Scenario
    seed: int
    as_of: dt.date
    villages: list[VillagePlan]
    counties: list[str]
    doctors: dict[int, list[tuple[int, str]]]  # institution id → [(staff id, name)]
    coverage: dict[int, float]  # institution id → share of its population with a record
    summary: Summary


def _unique_names(rng: random.Random, n: int, suffix: str, taken: set[str], first=D.PLACE_FIRST,
                  second=D.PLACE_SECOND) -> list[str]:
    out = []
    while len(out) < n:
        name = rng.choice(first) + rng.choice(second) + suffix
        if name not in taken:
            taken.add(name)
            out.append(name)
    return out


def given_name(rng: random.Random, sex: str, birth_year: int) -> str:
    """A given name of one or two characters in the fashion of the person's birth cohort."""
    cohort = 0 if birth_year < 1960 else 1 if birth_year < 1980 else 2 if birth_year < 2000 else 3
    chars = D.GIVEN_CHARS[(sex, cohort)]
    if rng.random() < D.SINGLE_GIVEN_SHARE[cohort]:
        return rng.choice(chars)
    a = rng.choice(chars)
    b = a if (sex == "2" and rng.random() < 0.04) else rng.choice(chars)
    return a + b


def _person_name(rng: random.Random, surnames: Weighted, sex: str, birth_year: int) -> tuple[str, str]:
    return surnames(rng), given_name(rng, sex, birth_year)


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _bulk_divisions(objs: list[Division]) -> None:
    Division.objects.bulk_create(objs)
    if any(d.pk is None for d in objs):  # a backend that does not return ids from bulk inserts
        ids = dict(Division.objects.filter(code__in=[d.code for d in objs]).values_list("code", "id"))
        for d in objs:
            d.pk = ids[d.code]


def _build_geography(plan_rng: random.Random, scenario: Scenario, summary: Summary) -> tuple[list, list, dict]:
    """Divisions (bulk), returning (villages, county codes, township info)."""
    province = Division(code=D.PROVINCE_CODE, name=D.PROVINCE_NAME, level="province")
    province.save()
    city = Division(code=D.CITY_CODE, name=D.CITY_NAME, level="city", parent=province)
    city.save()
    counties = []
    for code, _streets, _towns in scenario.counties:
        if code not in D.COUNTIES:
            raise SynthError(f"unknown county {code}")
        counties.append(Division(code=code, name=D.COUNTIES[code]["name"], level="county", parent=city))
    _bulk_divisions(counties)
    townships, township_meta = [], []
    for county, (code, n_streets, n_towns) in zip(counties, scenario.counties, strict=True):
        info = D.COUNTIES[code]
        taken = set(info["streets"]) | set(info["towns"])
        streets = list(info["streets"][:n_streets])
        streets += _unique_names(plan_rng, n_streets - len(streets), "街道", taken)
        towns = list(info["towns"][:n_towns])
        towns += _unique_names(plan_rng, n_towns - len(towns), "镇", taken)
        for i, name in enumerate(streets, 1):
            townships.append(Division(code=f"{code}{i:03d}", name=name, level="township", parent=county))
            township_meta.append(("street", county))
        for i, name in enumerate(towns, 101):
            townships.append(Division(code=f"{code}{i:03d}", name=name, level="township", parent=county))
            township_meta.append(("town", county))
    _bulk_divisions(townships)
    villages, village_meta = [], []
    for township, (kind, county) in zip(townships, township_meta, strict=True):
        taken: set[str] = set()
        if kind == "street":
            names = _unique_names(plan_rng, scenario.committees_per_street, "社区", taken)
            codes = [f"{township.code}{i:03d}" for i in range(1, len(names) + 1)]
            urban = [True] * len(names)
        else:
            names = _unique_names(plan_rng, 1, "社区", taken)
            names += _unique_names(plan_rng, scenario.villages_per_town - 1, "村", taken)
            codes = [f"{township.code}001"] + [f"{township.code}{i:03d}" for i in range(101, 100 + len(names))]
            urban = [True] + [False] * (len(names) - 1)
        for name, code, is_urban in zip(names, codes, urban, strict=True):
            villages.append(Division(code=code, name=name, level="village", parent=township))
            village_meta.append((township, county, is_urban))
    _bulk_divisions(villages)
    summary.divisions = 2 + len(counties) + len(townships) + len(villages)
    plans = []
    for v, (township, county, is_urban) in zip(villages, village_meta, strict=True):
        weight = math.exp(plan_rng.gauss(0, 0.35)) * (1.25 if is_urban else 0.8)
        plans.append(VillagePlan(code=v.code, name=v.name, id=v.pk, township=township.name, county=county.name,
                                 county_code=county.code, urban=is_urban, weight=weight))
    return plans, [c.code for c in counties], {"city": city, "counties": counties, "townships": townships,
                                               "villages": villages, "township_meta": township_meta}


def _landline(rng: random.Random) -> str:
    return f"{D.AREA_CODE}-6{rng.randrange(10**7):07d}"


def _build_institutions(plan_rng: random.Random, scenario: Scenario, geo: dict, villages: list[VillagePlan],
                        summary: Summary) -> dict:
    """Institutions in hierarchy order (save() keeps the materialised path), and which one manages each village."""
    created: dict[str, list[Institution]] = {k: [] for k in ("city_bureau", "district_bureau", "cdc", "chc", "chs",
                                                              "thc", "vc")}

    def make(code, name, kind, division, parent, group):
        inst = Institution(code=code, name=name, kind=kind, division=division, parent=parent,
                           phone=_landline(plan_rng), address=f"{D.CITY_NAME}{division.name}")
        inst.save()
        created[group].append(inst)
        return inst

    city = geo["city"]
    city_bureau = make(f"B{city.code}", f"{D.CITY_NAME}卫生健康委员会", "bureau", city, None, "city_bureau")
    make(f"D{city.code}", f"{D.CITY_NAME}疾病预防控制中心", "cdc", city, city_bureau, "cdc")
    bureaus = {}
    for county in geo["counties"]:
        bureaus[county.pk] = make(f"B{county.code}", f"{county.name}卫生健康委员会", "bureau", county, city_bureau,
                                  "district_bureau")
        make(f"D{county.code}", f"{county.name}疾病预防控制中心", "cdc", county, bureaus[county.pk], "cdc")
    by_code = {v.code: v for v in villages}
    by_township: dict[int, list[VillagePlan]] = {}
    for v_div, plan in zip(geo["villages"], villages, strict=True):
        by_township.setdefault(v_div.parent_id, []).append(plan)
    for township, (kind, county) in zip(geo["townships"], geo["township_meta"], strict=True):
        members = by_township.get(township.pk, [])
        if kind == "street":
            head = make(f"C{township.code}", f"{township.name}社区卫生服务中心", "chc", township, bureaus[county.pk],
                        "chc")
            sub_kind, sub_group, sub_n, suffix = "chs", "chs", scenario.stations_per_centre, "社区卫生服务站"
        else:
            head = make(f"T{township.code}", f"{township.name}卫生院", "thc", township, bureaus[county.pk], "thc")
            sub_kind, sub_group, sub_n, suffix = "vc", "vc", scenario.clinics_per_hospital, "卫生室"
        for plan in members:
            plan.inst_id, plan.inst_code = head.pk, head.code
        # sub-units serve the villages after the first (the centre's / hospital's own area comes first)
        candidates = members[1:] if len(members) > 1 else members
        for plan in candidates[:sub_n]:
            division = next(d for d in geo["villages"] if d.code == plan.code)
            label = plan.name.removesuffix("社区") if sub_kind == "chs" else plan.name
            sub = make(f"{'S' if sub_kind == 'chs' else 'V'}{plan.code}", f"{label}{suffix}", sub_kind, division,
                       head, sub_group)
            by_code[plan.code].inst_id, by_code[plan.code].inst_code = sub.pk, sub.code
    summary.institutions = sum(len(v) for v in created.values())
    return created


def _build_staff(seed: int, created: dict, surnames: Weighted, summary: Summary) -> dict[int, list[tuple[int, str]]]:
    rng = _rng(seed, "staff")
    unusable = make_password(None)
    staff: list[Staff] = []
    for group in ("city_bureau", "district_bureau", "cdc", "chc", "chs", "thc", "vc"):
        for inst in created[group]:
            for role, count in STAFF_PER_KIND[inst.kind]:
                for i in range(1, count + 1):
                    sex = "1" if rng.random() < 0.45 else "2"
                    surname, given = _person_name(rng, surnames, sex, rng.randrange(1965, 2000))
                    suffix = {"record_manager": "manager"}.get(role, role)
                    staff.append(Staff(username=f"{inst.code.lower()}-{suffix}{i}", institution=inst, role=role,
                                       full_name=surname + given, password=unusable))
    for username, group, role in DEMO_ACCOUNTS:
        if not created[group]:
            continue
        inst = created[group][0]
        surname, given = _person_name(rng, surnames, "1" if rng.random() < 0.5 else "2", rng.randrange(1970, 1995))
        staff.append(Staff(username=username, institution=inst, role=role, full_name=surname + given,
                           password=unusable))
        summary.demo_usernames.append(username)
    clash = set(Staff.objects.filter(username__in=[s.username for s in staff]).values_list("username", flat=True))
    if clash:
        raise SynthError(f"staff accounts already exist: {', '.join(sorted(clash)[:5])}")
    Staff.objects.bulk_create(staff, batch_size=500)
    if any(s.pk is None for s in staff):  # a backend that does not return ids from bulk inserts
        ids = dict(Staff.objects.filter(username__in=[s.username for s in staff]).values_list("username", "id"))
        for s in staff:
            s.pk = ids[s.username]
    summary.staff = len(staff)
    doctors: dict[int, list[tuple[int, str]]] = {}
    for s in staff:
        if s.role == Staff.Role.DOCTOR and not s.username.startswith("demo_"):
            doctors.setdefault(s.institution_id, []).append((s.pk, s.full_name))
    return doctors


def _allocate(total: int, villages: list[VillagePlan]) -> None:
    """Split the residents over the villages by weight (largest remainder: deterministic, sums exactly)."""
    weight = sum(v.weight for v in villages)
    quotas = [total * v.weight / weight for v in villages]
    for v, q in zip(villages, quotas, strict=True):
        v.residents = int(q)
    rest = total - sum(v.residents for v in villages)
    order = sorted(range(len(villages)), key=lambda i: (-(quotas[i] - int(quotas[i])), i))
    for i in order[:rest]:
        villages[i].residents += 1


def _coverage(rng: random.Random, villages: list[VillagePlan]) -> dict[int, float]:
    """Record coverage by institution: most 70-95%, some below the 60% target, a few below 30%.

    The few below 30% are drawn from the smaller half of the institutions (a big centre at 25% would drag the
    whole city below any plausible rate); the city as a whole lands around 70-80%."""
    size: dict[int, int] = {}
    for v in villages:
        size[v.inst_id] = size.get(v.inst_id, 0) + v.residents
    ids = sorted(size)
    small = sorted(ids, key=lambda i: (size[i], i))[: max(1, len(ids) // 2)]
    n_low = max(1, round(len(ids) * 0.08))
    n_mid = max(1, round(len(ids) * 0.12))
    low = set(rng.sample(small, min(n_low, len(small))))
    rest = [i for i in ids if i not in low]
    mid = set(rng.sample(rest, min(n_mid, len(rest))))
    out = {}
    for inst_id in ids:
        if inst_id in low:
            out[inst_id] = rng.uniform(0.18, 0.28)
        elif inst_id in mid:
            out[inst_id] = rng.uniform(0.42, 0.58)
        else:
            out[inst_id] = rng.uniform(0.70, 0.95)
    return out


# ---------------------------------------------------------------------------------------------------------------
# people

RES_COLS = [
    "id", "name", "name_pinyin", "name_initials", "sex", "birth_date", "id_number", "id_last6", "work_unit", "phone",
    "contact_name", "contact_phone", "current_address", "registered_address", "residence_type", "ethnicity", "abo",
    "rh", "education", "occupation", "marital_status", "payment", "payment_other", "drug_allergy",
    "drug_allergy_other", "exposure", "exposure_detail", "past_diseases", "operations", "injuries", "transfusions",
    "family_history", "genetic_disease", "disability", "disability_other", "kitchen_exhaust", "fuel",
    "drinking_water", "toilet", "livestock_pen", "household_id", "relation_to_head", "form_version", "version",
]
REC_COLS = [
    "id", "number", "number_last8", "resident_id", "institution_id", "village_id", "established_by_institution_id",
    "established_by_id", "established_by_name", "responsible_doctor_id", "responsible_doctor_name", "established_on",
    "status", "closed_on", "close_reason", "close_note", "form_version", "version",
    *Record.SEARCH_KEYS,  # the record's copies of the resident's search keys, taken from the resident's row
]
SEARCH_KEYS_AT = [RES_COLS.index(own) for own in Record.SEARCH_KEYS.values()]
HH_COLS = ["id", "number", "institution_id", "village_id", "address", "head_id"]

_J = json.dumps
J_EMPTY_LIST, J_EMPTY_DICT = _J([]), _J({})
J_NONE = {name: _J(["1"]) for name in ("drug_allergy", "exposure", "disability")}
J_PAST_NONE = _J([{"code": "1", "date": "", "note": ""}])


class Person:
    __slots__ = ("relation", "sex", "age", "birth", "surname", "given", "name", "couple", "phone", "est", "parent",
                 "code", "id_number")

    def __init__(self, relation, sex, age, couple=False, parent=None):
        self.relation, self.sex, self.age, self.couple, self.parent = relation, sex, age, couple, parent
        self.phone = ""
        self.id_number = None


def _clip(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def _opposite(sex):
    return "2" if sex == "1" else "1"


def _child(rng, mother_age):
    """Age of a child from the mother's age (mothers aged 21-36 at birth), or None if there can be none."""
    if mother_age < 21:
        return None
    age = mother_age - rng.randint(21, 36)
    return age if age >= 0 else rng.randint(0, mother_age - 21)


def _sex(rng, age):
    return "2" if rng.random() < (0.49 if age < 60 else 0.53 if age < 75 else 0.6) else "1"


def household_members(rng: random.Random) -> list[Person]:
    """One household, built around a person drawn from the population pyramid (so that the ages of all residents
    stay close to it): a child with the parents, a young adult on their own, with a partner or at the parents', a
    middle-aged couple with children, an old couple or widow(er), sometimes three generations. The head comes
    first; at most five members."""
    anchor = sample_age(rng, 0, 100, kind="anchor")
    out: list[Person] = []

    def couple(age, sex, head_is_anchor=True):
        """A couple around a partner of the given age and sex; returns (head, spouse, mother's age)."""
        gap = rng.randint(-1, 6)
        other_age = _clip(age + gap if sex == "2" else age - gap, 18, 100)
        a = Person("02", sex, age, couple=True)
        b = Person("10", _opposite(sex), other_age, couple=True)
        husband, wife = (a, b) if sex == "1" else (b, a)
        head, spouse = (husband, wife) if rng.random() < 0.8 else (wife, husband)
        head.relation, spouse.relation = "02", "10"
        out.extend([head, spouse])
        return head, spouse, wife.age

    def child(parent, mother_age, age=None):
        age = _child(rng, mother_age) if age is None else age
        if age is None:
            return None
        sex = "1" if rng.random() < 0.515 else "2"
        c = Person("20" if sex == "1" else "30", sex, age, parent=parent)
        out.append(c)
        return c

    def grandparent(head):
        if head.age + 22 > 100:
            return
        out.append(Person("50", "2" if rng.random() < 0.58 else "1", min(100, head.age + rng.randint(22, 34))))

    r = rng.random()
    if anchor < 18:
        mother = anchor + rng.randint(21, 36)
        if r < 0.1:  # single parent
            head = Person("02", "2" if rng.random() < 0.75 else "1", mother)
            out.append(head)
        else:
            head, _spouse, _m = couple(mother, "2")
        child(head, mother, anchor)
        if rng.random() < 0.35:
            sib = _clip(anchor + rng.randint(-8, 8), 0, max(0, mother - 21))
            child(head, mother, sib)
        if rng.random() < 0.25:
            grandparent(head)
    elif anchor < 30:
        sex = _sex(rng, anchor)
        if r < 0.35:  # at the parents'
            mother = anchor + rng.randint(21, 34)
            head, _spouse, _m = couple(mother, "2") if rng.random() < 0.85 else (
                Person("02", "2", mother), None, mother)
            if head not in out:
                out.append(head)
            c = child(head, mother, anchor)
            c.sex, c.relation = sex, ("20" if sex == "1" else "30")
            if rng.random() < 0.2:
                child(head, mother, _clip(anchor + rng.randint(-6, 6), 0, mother - 21))
        elif r < 0.6 or anchor < 20:
            out.append(Person("02", sex, anchor))
        else:
            head, _spouse, mother = couple(anchor, sex)
            if rng.random() < 0.45:
                child(head, mother, rng.randint(0, max(0, mother - 21)) if mother >= 21 else None)
    elif anchor < 60:
        sex = _sex(rng, anchor)
        if r < 0.15:
            head = Person("02", sex, anchor)
            out.append(head)
            if rng.random() < 0.4:
                child(head, anchor if sex == "2" else anchor - 2)
        else:
            head, _spouse, mother = couple(anchor, sex)
            for _ in range(rng.choice((0, 1, 1, 1, 2, 2))):
                c_age = _child(rng, mother)
                if c_age is not None and (c_age <= 30 or rng.random() < 0.3):
                    child(head, mother, c_age)
            if rng.random() < 0.15:
                grandparent(head)
    else:
        sex = _sex(rng, anchor)
        if r < 0.3 + (0.2 if anchor >= 80 else 0):
            out.append(Person("02", sex, anchor))
        elif r < 0.88:
            couple(anchor, sex)
        else:  # three generations: the old couple, a son, his wife and their child
            head, _spouse, mother = couple(anchor, sex)
            son_age = _clip(mother - rng.randint(23, 34), 20, 100)
            son = Person("20", "1", son_age, couple=True, parent=head)
            dil = Person("80", "2", _clip(son_age + rng.randint(-4, 2), 20, 100), couple=True)
            out.extend([son, dil])
            g_age = _child(rng, dil.age)
            if g_age is not None:
                sex = "1" if rng.random() < 0.515 else "2"
                out.append(Person("40", sex, g_age, parent=son))
    return out[:5]


class PeopleMaker:
    """Generates the residents of one village after another; all state that must be global (unique ID numbers,
    name caches) lives here, so villages processed in order give the same result every time."""

    def __init__(self, plan: Plan, width: int):
        self.plan = plan
        self.as_of = plan.as_of
        self.width = width
        self.form_version = settings.JKDA_FORM_VERSION
        self.surnames = _surname_table()
        self.pinyin = Pinyin()
        local = set(plan.counties)
        for code in list(local):
            for _before, codes in D.HISTORICAL_CODES.get(code, []):
                local.update(codes)
        all_city = sorted({c for c in local} | {c for c in D.COUNTIES})
        self.ids = IdAllocator(all_city)
        self.city_codes = sorted(D.COUNTIES)
        places = _place_codes()
        self.migrant_province = Weighted({p: w for p, w in D.MIGRANT_PROVINCES.items() if p in places})
        self.places = places
        self.county_names = {code: info["name"] for code, info in D.COUNTIES.items()}
        self.w_minority = Weighted(D.MINORITIES)
        self.w_education = [(year, Weighted(table)) for year, table in D.EDUCATION_BY_COHORT]
        self.w_occ_urban, self.w_occ_rural = Weighted(D.OCCUPATION_URBAN), Weighted(D.OCCUPATION_RURAL)
        self.w_env = {u: {k: Weighted(v) for k, v in (D.ENV_URBAN if u else D.ENV_RURAL).items()}
                      for u in (True, False)}
        self.w_abo = Weighted({"1": 28, "2": 24, "3": 34, "4": 9})
        years = {y: D.ESTABLISHED_YEAR_WEIGHTS.get(y, D.ESTABLISHED_LATER_WEIGHT)
                 for y in range(2010, self.as_of.year + 1)}
        years[self.as_of.year] *= (self.as_of.timetuple().tm_yday / 366)
        self.w_year = Weighted(years)
        self.roads = [a + b + D.ROAD_SUFFIX[i % len(D.ROAD_SUFFIX)]
                      for i, (a, b) in enumerate(zip(D.ROAD_FIRST[::2], D.ROAD_FIRST[1::2], strict=False))]
        self.w_disability = Weighted({"5": 15, "2": 7, "3": 8, "4": 2, "6": 3, "7": 3, "8": 1})
        self.json_cache: dict[tuple, str] = {}
        self.next_resident = (Resident.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        self.next_record = (Record.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        self.next_household = (Household.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        self.stats: dict[int, list[int]] = {}  # institution → [active, 65+, 0-6, 0-36 months, adults]
        self.counters: list[tuple[str, int, int]] = []  # (village code, records, households)
        self.closed = 0

    # --- small draws ---
    def jlist(self, codes) -> str:
        key = tuple(codes)
        got = self.json_cache.get(key)
        if got is None:
            got = self.json_cache[key] = _J(list(codes))
        return got

    def est_date(self, rng) -> dt.date:
        year = self.w_year(rng)
        start = dt.date(year, 1, 1)
        end = min(dt.date(year, 12, 31), self.as_of)
        return start + dt.timedelta(days=rng.randrange((end - start).days + 1))

    def mobile(self, rng) -> str:
        return rng.choice(D.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"

    def address_code(self, rng, county_code: str, birth: dt.date, registered: bool, origin: tuple | None) -> str:
        if not registered and origin:
            return origin[0]
        code = county_code if rng.random() < 0.88 else rng.choice(self.city_codes)
        issued = birth.year if birth.year >= 1985 else 1985 + rng.randrange(12)
        for before, codes in D.HISTORICAL_CODES.get(code, []):
            if issued < before:
                return codes[0] if len(codes) == 1 else rng.choice(codes)
        return code

    def year_month(self, rng, birth: dt.date, min_age: int) -> str:
        lo = max(birth.year + min_age, self.as_of.year - 30)
        year = rng.randint(min(lo, self.as_of.year), self.as_of.year)
        month = rng.randint(1, 12)
        if (year, month) > (self.as_of.year, self.as_of.month):
            month = self.as_of.month
        if (year, month) < (birth.year, birth.month):
            year, month = birth.year, birth.month
        return f"{year:04d}-{month:02d}"

    def day_after(self, rng, birth: dt.date, min_age: int) -> str:
        lo = max(birth + dt.timedelta(days=365 * min_age), dt.date(1970, 1, 1))
        if lo >= self.as_of:
            lo = birth
        return (lo + dt.timedelta(days=rng.randrange(max(1, (self.as_of - lo).days)))).isoformat()

    # --- one village ---
    def village(self, v: VillagePlan) -> tuple[list, list, list]:
        rng = _rng(self.plan.seed, f"village:{v.code}")
        as_of = self.as_of
        doctors = self.plan.doctors.get(v.inst_id) or [(None, "")]
        households = []
        remaining = v.residents
        while remaining > 0:
            members = household_members(rng)[:remaining]
            if not members:
                continue
            remaining -= len(members)
            households.append(members)
        roads = rng.sample(self.roads, k=min(4, len(self.roads)))
        origin_by_hh = []
        people = []  # (est date, household index, member index, person)
        hh_rows_meta = []
        for h, members in enumerate(households):
            hh_est = self.est_date(rng)
            registered = rng.random() >= (0.3 if v.urban else 0.12)
            origin = None
            if not registered:
                prov = self.migrant_province(rng)
                origin = rng.choice(self.places[prov])
            origin_by_hh.append(origin)
            if v.urban:
                address = (f"{D.CITY_NAME}{v.county}{v.township}{rng.choice(roads)}{rng.randint(1, 300)}号"
                           f"{rng.randint(1, 30)}幢{rng.randint(1, 18)}{rng.randint(1, 4):02d}室")
            else:
                address = f"{D.CITY_NAME}{v.county}{v.township}{v.name}{rng.randint(1, 18)}组{rng.randint(1, 120)}号"
            env = {k: w(rng) for k, w in self.w_env[v.urban].items()}
            doctor = doctors[h % len(doctors)]
            hh_rows_meta.append((address, env, registered, doctor))
            # surnames: the husband's line for the couple's children
            paternal = self.surnames(rng)
            for p in members:
                p.birth = years_before(as_of, p.age) - dt.timedelta(days=rng.randrange(1, 365))
            head = members[0]
            for p in members:
                if p.relation == "02":
                    p.surname = paternal if (p.sex == "1" or not p.couple) else self.surnames(rng)
                elif p.relation == "10":
                    p.surname = paternal if p.sex == "1" else self.surnames(rng)
                elif p.relation in ("20", "30"):
                    p.surname = paternal if rng.random() < 0.92 else self.surnames(rng)
                elif p.relation == "50":
                    p.surname = head.surname if p.sex == "1" else self.surnames(rng)
                elif p.relation == "40":
                    p.surname = p.parent.surname if p.parent is not None else paternal
                else:
                    p.surname = self.surnames(rng)
                p.given = given_name(rng, p.sex, p.birth.year)
                p.name = p.surname + p.given
                if p.birth >= hh_est:
                    est = p.birth + dt.timedelta(days=rng.randint(7, 90))
                    p.est = est if est <= as_of else as_of
                else:
                    p.est = hh_est
                people.append((p.est, h, len(people), p))
        people.sort(key=lambda t: (t[0], t[1], t[2]))

        # ids, numbers
        width = self.width
        if len(people) >= 10**width:
            raise SynthError(f"village {v.code} would need more than {10**width - 1} record numbers")
        hh_order = sorted(range(len(households)), key=lambda h: min(p.est for p in households[h]))
        hh_id = {h: self.next_household + i for i, h in enumerate(hh_order)}
        self.next_household += len(hh_order)
        ordered = []  # (resident id, person, household index, record number) in creation order
        stats = self.stats.setdefault(v.inst_id, [0, 0, 0, 0, 0])
        person_id = {}
        for serial, (_est, h, _i, p) in enumerate(people, 1):
            rid = self.next_resident
            self.next_resident += 1
            person_id[id(p)] = rid
            registered = hh_rows_meta[h][2]
            if (p.age == 0 and rng.random() < 0.4) or (p.age in (1, 2) and rng.random() < 0.05):
                p.id_number = None  # infants often have no ID number yet
            else:
                code = self.address_code(rng, v.county_code, p.birth, registered, origin_by_hh[h])
                p.id_number = self.ids.make(code, p.birth, p.sex == "1")
            number = f"{v.code}{serial:0{width}d}"
            ordered.append((rid, p, h, number))
        # phones first: contacts refer to other members
        for members in households:
            for p in members:
                a = p.age
                if a >= 18:
                    if a <= 75:
                        p.phone = self.mobile(rng) if rng.random() < 0.93 else ""
                    else:
                        r = rng.random()
                        p.phone = self.mobile(rng) if r < 0.55 else _landline(rng) if r < 0.75 else ""
                elif a >= 14:
                    p.phone = self.mobile(rng) if rng.random() < 0.6 else ""
        out_res, out_rec = [], []
        for rid, p, h, number in ordered:
            members = households[h]
            address, env, registered, doctor = hh_rows_meta[h]
            res_row = self.resident_row(rng, v, p, rid, hh_id[h], members, address, env, registered,
                                        origin_by_hh[h])
            out_res.append(res_row)
            rec_id = self.next_record
            self.next_record += 1
            est = p.est
            status, closed_on, reason = "active", None, ""
            span = (as_of - est).days
            if span > 30:
                a = p.age
                p_death = 0.002 if a < 50 else 0.01 if a < 65 else 0.03 if a < 75 else 0.08 if a < 85 else 0.18
                r = rng.random()
                if r < p_death:
                    reason = "1"
                elif r < p_death + 0.015:
                    reason = "2"
                if reason:
                    status = "closed"
                    closed_on = (est + dt.timedelta(days=rng.randint(30, span))).isoformat()
                    self.closed += 1
            if status == "active":
                stats[0] += 1
                age = p.age
                if age >= 65:
                    stats[1] += 1
                if age <= 6:
                    stats[2] += 1
                if (as_of - p.birth).days < 3 * 365:
                    stats[3] += 1
                if age >= 18:
                    stats[4] += 1
            by_id, by_name = doctor if rng.random() < 0.8 else doctors[rng.randrange(len(doctors))]
            out_rec.append((rec_id, number, number[-8:], rid, v.inst_id, v.id, v.inst_id, by_id, by_name,
                            doctor[0], doctor[1], est.isoformat(), status, closed_on, reason, "",
                            self.form_version, 1, *(res_row[i] for i in SEARCH_KEYS_AT)))
        hh_rows = []
        for serial, h in enumerate(hh_order, 1):
            head = next(p for p in households[h] if p.relation == "02")
            hh_rows.append((hh_id[h], f"{v.code}{serial:05d}", v.inst_id, v.id, hh_rows_meta[h][0],
                            person_id[id(head)]))
        self.counters.append((v.code, len(people), len(households)))
        return hh_rows, out_res, out_rec

    def resident_row(self, rng, v, p, rid, hh_id, members, address, env, registered, origin) -> tuple:
        age = p.age
        sex = p.sex
        birth = p.birth
        surname, given = p.surname, p.given
        py, ini = self.pinyin(surname, given)
        idn = p.id_number
        # contact: a parent for children, a child or spouse for the old, sometimes someone for the others
        contact_name = contact_phone = ""
        if age < 18 or age >= 65 or rng.random() < 0.4:
            for q in members:
                if q is not p and q.phone and q.age >= 18:
                    contact_name, contact_phone = q.name, q.phone
                    break
        # coded items
        ethnicity = "01" if rng.random() < 0.985 else self.w_minority(rng)
        if rng.random() < 0.4:
            abo, rh = "5", "3"
        else:
            abo = self.w_abo(rng)
            rh = "3" if rng.random() < 0.3 else ("1" if rng.random() < 0.004 else "2")
        if age < 6:
            education = ""
        elif age < 12:
            education = "8"
        elif age < 15:
            education = "7"
        elif age < 18:
            education = "6" if rng.random() < 0.7 else "4"
        else:
            year = birth.year
            education = next(w for y, w in self.w_education if year >= y)(rng)
        work_unit = ""
        if age < 16:
            occupation = ""
        elif age < 23:
            occupation = "8" if rng.random() < 0.7 else (self.w_occ_urban if v.urban else self.w_occ_rural)(rng)
        elif age < 60:
            occupation = (self.w_occ_urban if v.urban else self.w_occ_rural)(rng)
            if occupation in ("0", "1", "2", "3", "5", "7") and rng.random() < 0.5:
                if rng.random() < 0.75:
                    a, b = rng.choice(D.PLACE_FIRST), rng.choice(D.PLACE_FIRST)
                    work_unit = f"{D.CITY_SHORT}{a}{b}{rng.choice(D.INDUSTRIES)}有限公司"
                else:
                    work_unit = f"{v.county}{rng.choice(D.PUBLIC_EMPLOYERS)}"
        else:
            occupation = "8" if (v.urban or rng.random() < 0.6) else "4"
        if p.couple:
            marital = "2"
        elif age < 20:
            marital = "1"
        elif age < 30:
            marital = "1" if rng.random() < 0.75 else "4"
        elif age < 60:
            r = rng.random()
            marital = "1" if r < 0.3 else "4" if r < 0.65 else "3" if r < 0.8 else "2"
        else:
            r = rng.random()
            marital = "3" if r < 0.7 else "4" if r < 0.8 else "2" if r < 0.95 else "1"
        # payment
        if not v.urban:
            pay = ["3"]
        elif occupation in ("0", "1", "2", "3", "5", "6", "7") and age < 60:
            pay = ["1"]
        elif age >= 60 and rng.random() < 0.5:
            pay = ["1"]
        else:
            pay = ["2"]
        r = rng.random()
        if r < 0.08:
            pay.append("5")
        elif r < 0.09:
            pay.append("4")
        elif r < 0.095:
            pay = ["7"]
        payment = self.jlist(pay)
        # allergies, exposure, disability
        r = rng.random()
        allergy_other = ""
        if r < 0.93:
            allergy = J_NONE["drug_allergy"]
        elif r < 0.97:
            allergy = self.jlist(["2"])
        elif r < 0.98:
            allergy = self.jlist(["3"])
        elif r < 0.985:
            allergy = self.jlist(["4"])
        else:
            allergy = self.jlist(["5"])
            allergy_other = rng.choice(D.OTHER_ALLERGIES)
        exposure, exposure_detail = J_NONE["exposure"], ""
        if 18 <= age < 65 and rng.random() < 0.01:
            exposure, exposure_detail = self.jlist(["2"]), "苯、甲醛（车间作业）"
        r = rng.random()
        disability_other = ""
        if r < 0.96:
            disability = J_NONE["disability"]
        else:
            code = self.w_disability(rng)
            disability = self.jlist([code])
            if code == "8":
                disability_other = "多重残疾"
        # past diseases
        past = []
        if age >= 18:
            for table, code in ((D.HYPERTENSION_BY_AGE, "2"), (D.DIABETES_BY_AGE, "3")):
                prev = 0.0
                for lo, share in table:
                    if age >= lo:
                        prev = share
                if rng.random() < prev * D.AWARENESS:
                    past.append({"code": code, "date": self.year_month(rng, birth, 25), "note": ""})
            if age >= 65:
                for code, share in D.OTHER_DISEASES_65:
                    if rng.random() < share:
                        past.append({"code": code, "date": self.year_month(rng, birth, 45), "note": ""})
            for code, share in D.OTHER_DISEASES_ADULT:
                if rng.random() < share:
                    past.append({"code": code, "date": self.year_month(rng, birth, 18), "note": ""})
        past_diseases = _J(past) if past else J_PAST_NONE
        operations = injuries = transfusions = J_EMPTY_LIST
        if age >= 10 and rng.random() < 0.06:
            pool = D.OPERATIONS + (D.OPERATIONS_FEMALE if sex == "2" and age >= 25 else ())
            operations = _J([{"name": rng.choice(pool), "date": self.day_after(rng, birth, 10)}])
        if age >= 5 and rng.random() < 0.02:
            injuries = _J([{"name": rng.choice(D.INJURIES), "date": self.day_after(rng, birth, 5)}])
        if age >= 18 and rng.random() < 0.01:
            transfusions = _J([{"name": rng.choice(D.TRANSFUSIONS), "date": self.day_after(rng, birth, 18)}])
        family = J_EMPTY_DICT
        if rng.random() < 0.35:
            fam = {"father": ["1"], "mother": ["1"], "siblings": ["1"], "children": ["1"]}
            for member in ("father", "mother"):
                r = rng.random()
                if r < 0.25:
                    fam[member] = ["2"]
                elif r < 0.32:
                    fam[member] = ["2", "3"]
                elif r < 0.36:
                    fam[member] = ["7"]
            family = _J(fam)
        return (
            rid, p.name, py, ini, sex, birth.isoformat(), idn, idn[-6:] if idn else "", work_unit, p.phone,
            contact_name, contact_phone, address,
            address if registered else (f"{origin[1]}{origin[2]}" if origin else address),
            "1" if registered else "2", ethnicity, abo, rh, education, occupation, marital, payment, "",
            allergy, allergy_other, exposure, exposure_detail, past_diseases, operations, injuries, transfusions,
            family, "", disability, disability_other, env["kitchen_exhaust"], env["fuel"], env["drinking_water"],
            env["toilet"], env["livestock_pen"], hh_id, p.relation, self.form_version, 1,
        )


# ---------------------------------------------------------------------------------------------------------------
# orchestration

def check_empty() -> None:
    if Resident.objects.exists() or Record.objects.exists():
        raise SynthError(
            "数据库中已有居民或档案：合成数据只能载入空数据库（请换一个新数据库）。 / The database already holds "
            "residents or records: synthetic data loads only into an empty database (use a fresh one)."
        )
    if Division.objects.exists() or Institution.objects.exists():
        raise SynthError(
            "数据库中已有行政区划或机构：合成城市只能载入空数据库。 / The database already holds divisions or "
            "institutions: the synthetic city loads only into an empty database."
        )


class _FastLoad:
    """Speed settings for the bulk load, restored afterwards (only outside an enclosing transaction)."""

    def __enter__(self):
        self.active = not connection.in_atomic_block
        if not self.active:
            return self
        with connection.cursor() as c:
            if connection.vendor == "sqlite":
                c.execute("PRAGMA synchronous=OFF")
                c.execute("PRAGMA cache_size=-262144")  # 256 MB page cache while loading
                c.execute("PRAGMA temp_store=MEMORY")
            elif connection.vendor == "postgresql":
                c.execute("SET synchronous_commit TO off")
        return self

    def __exit__(self, *exc):
        if not self.active:
            return False
        with connection.cursor() as c:
            if connection.vendor == "sqlite":
                c.execute("PRAGMA synchronous=NORMAL")
                c.execute("PRAGMA cache_size=-2000")
            elif connection.vendor == "postgresql":
                c.execute("SET synchronous_commit TO DEFAULT")
        return False


def _population_base(plan: Plan, maker: PeopleMaker, rng: random.Random) -> list[PopulationBase]:
    """Base data per clinical institution for this year and last: the real population of its area, above the
    number of records by the institution's coverage."""
    rows = []
    expected = {}
    for v in plan.villages:
        expected[v.inst_id] = expected.get(v.inst_id, 0) + v.residents
    year = plan.as_of.year
    for inst_id in sorted(plan.coverage):
        cov = plan.coverage[inst_id]
        active, n65, n06, n036, adults = maker.stats.get(inst_id, [0, 0, 0, 0, 0])
        base = active if active else max(1, expected.get(inst_id, 0))
        pop = max(1, math.ceil(base / cov))
        share65 = n65 / active if active else 0.14
        share06 = n06 / active if active else 0.07
        share036 = n036 / active if active else 0.025
        share_adult = adults / active if active else 0.82
        for y, scale in ((year, 1.0), (year - 1, rng.uniform(0.97, 1.0))):
            p = max(1, round(pop * scale))
            a65 = min(p, round(p * share65 * rng.uniform(0.95, 1.08)))
            a06 = min(p, round(p * share06 * rng.uniform(1.0, 1.25)))
            a036 = min(a06, round(p * share036 * rng.uniform(1.0, 1.25)))
            adult = p * share_adult
            rows.append(PopulationBase(
                institution_id=inst_id, year=y, resident_population=p, aged_65_plus=a65, aged_0_6=a06,
                aged_0_36_months=a036, live_births=min(p, max(1, round(a036 / 3 * rng.uniform(1.0, 1.15)))),
                est_hypertension=min(p, round(adult * rng.uniform(0.18, 0.25))),
                est_diabetes=min(p, round(adult * rng.uniform(0.08, 0.10))),
                registered_smi=min(p, round(p * rng.uniform(0.0035, 0.0045))),
            ))
    return rows


def generate(scenario: str = "S", seed: int = 1, *, residents: int | None = None, as_of: dt.date | None = None,
             chunk_size: int = 20_000, progress: Callable[[int], None] | None = None,
             parallel: bool | None = None) -> Summary:
    """Build the synthetic city into the (empty) default database and return what was made.

    `parallel` generates the people in a second process while this one writes (default: for 50,000 residents or
    more, on a machine with two cores or more, outside an enclosing transaction). The output is the same either
    way: the producer runs exactly the sequential code.

    Each chunk is committed on its own: a load that is killed half-way leaves a partial city behind, and the
    generator refuses to run into it; start again with a fresh database.
    """
    if scenario not in SCENARIOS:
        raise SynthError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    sc = SCENARIOS[scenario]
    today = timezone.localdate()
    as_of = as_of or today
    if as_of > today:
        raise SynthError("the reference date cannot be in the future")
    total = sc.residents if residents is None else residents
    if total < 0:
        raise SynthError("the number of residents cannot be negative")
    started = time.perf_counter()
    check_empty()
    summary = Summary(scenario=scenario, seed=seed, as_of=as_of)
    width = serial_width()
    geo_rng = _rng(seed, "geography")
    with _FastLoad():
        with transaction.atomic():
            villages, county_codes, geo = _build_geography(geo_rng, sc, summary)
            created = _build_institutions(geo_rng, sc, geo, villages, summary)
            doctors = _build_staff(seed, created, _surname_table(), summary)
        _allocate(total, villages)
        coverage = _coverage(_rng(seed, "coverage"), villages)
        plan = Plan(scenario=sc, seed=seed, as_of=as_of, villages=villages, counties=county_codes,
                    doctors=doctors, coverage=coverage, summary=summary)
        maker = PeopleMaker(plan, width)
        w_hh = TableWriter(Household, HH_COLS)
        w_res = TableWriter(Resident, RES_COLS)
        w_rec = TableWriter(Record, REC_COLS)
        if parallel is None:
            parallel = (total >= 50_000 and (os.cpu_count() or 1) >= 2 and not connection.in_atomic_block
                        and "fork" in multiprocessing.get_all_start_methods())
        chunks = _chunks_in_process(maker, villages, chunk_size) if parallel else _chunks(maker, villages,
                                                                                            chunk_size)
        for hh_rows, res_rows, rec_rows in chunks:
            with transaction.atomic():
                w_hh.write(hh_rows)
                w_res.write(res_rows)
                w_rec.write(rec_rows)
            summary.households += len(hh_rows)
            summary.residents += len(res_rows)
            summary.records += len(rec_rows)
            if progress:
                progress(len(res_rows))
        summary.closed_records = maker.closed
        with transaction.atomic():
            NumberCounter.objects.bulk_create(
                [NumberCounter(village_code=code, last_serial=n) for code, n, _h in maker.counters if n],
                batch_size=500)
            HouseholdCounter.objects.bulk_create(
                [HouseholdCounter(village_code=code, last_serial=h) for code, _n, h in maker.counters if h],
                batch_size=500)
            base = _population_base(plan, maker, _rng(seed, "population"))
            PopulationBase.objects.bulk_create(base, batch_size=500)
            summary.population_rows = len(base)
            extensions.reset_sequences([Resident, Record, Household])
        _analyze()
        ctx = extensions.Context(seed=seed, scenario=scenario, as_of=as_of)
        extensions.run(ctx)
        summary.services = ctx.counts
        if ctx.counts:
            from jkda.services.actions import recompute_last_service

            with transaction.atomic():
                recompute_last_service()
            _analyze()
    summary.seconds = time.perf_counter() - started
    return summary


def _produce(maker: PeopleMaker, villages: list[VillagePlan], chunk_size: int, queue) -> None:
    """In the producer process: generate every chunk in order, then hand back the totals."""
    try:
        for chunk in _chunks(maker, villages, chunk_size):
            queue.put(("chunk", chunk))
        queue.put(("done", (maker.stats, maker.counters, maker.closed)))
    except BaseException:  # report anything, including KeyboardInterrupt, to the writer
        queue.put(("error", traceback.format_exc()))


def _chunks_in_process(maker: PeopleMaker, villages: list[VillagePlan],
                       chunk_size: int) -> Iterator[tuple[list, list, list]]:
    """The chunks of `_chunks`, generated in a forked process while the caller writes the previous ones."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue(maxsize=3)
    proc = ctx.Process(target=_produce, args=(maker, villages, chunk_size, queue), daemon=True)
    proc.start()  # the child only computes: it never touches the database connection it inherits
    try:
        while True:
            try:
                kind, payload = queue.get(timeout=5)
            except Empty:
                if not proc.is_alive():
                    raise SynthError(f"the generating process stopped (exit code {proc.exitcode})") from None
                continue
            if kind == "chunk":
                yield payload
            elif kind == "done":
                maker.stats, maker.counters, maker.closed = payload
                return
            else:
                raise SynthError(f"the generating process failed:\n{payload}")
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(timeout=10)


def _chunks(maker: PeopleMaker, villages: list[VillagePlan], chunk_size: int) -> Iterator[tuple[list, list, list]]:
    hh, res, rec = [], [], []
    for v in villages:
        if not v.residents:
            continue
        a, b, c = maker.village(v)
        hh += a
        res += b
        rec += c
        if len(res) >= chunk_size:
            yield hh, res, rec
            hh, res, rec = [], [], []
    if res:
        yield hh, res, rec


def _analyze() -> None:
    """Fresh planner statistics: search picks the right index only when the planner knows the tables."""
    if connection.in_atomic_block:
        return
    with connection.cursor() as c:
        if connection.vendor == "sqlite":
            c.execute("PRAGMA analysis_limit=2000")
            c.execute("ANALYZE")
        elif connection.vendor == "postgresql":
            c.execute("ANALYZE")
