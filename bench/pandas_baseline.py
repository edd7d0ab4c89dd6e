"""The pandas baseline of bench_indicators.py: every indicator of the catalogue per institution, computed by pandas
over tables exported from the database, with the engine's semantics (engine.py, catalogue.py) restated in pandas.

    export_tables(year)         one plain SELECT per table (only the columns the indicators read), read in chunks
                                and kept narrow: ids as int64, dates as datetime64, codes and JSON code lists as
                                categoricals, free text the rules only test for emptiness as its state (-1 NULL,
                                0 empty, 1 filled), so that the 2M-record city fits in memory
    pandas_figures(t, period)   indicator code → institution id → (numerator, denominator), like
                                engine.institution_figures: merges, boolean masks and one groupby per family

Settings (thresholds, ages, follow-ups required, the usage denominator, the completeness fields) are read through
the helpers the catalogue uses; the counting is pandas alone (no ORM query after the export). The ids a record
counts for come from the same attribution rule as the engine: the managing institution on `as_of`, or, for a
record moved since (transferred or handed over at or after the end of `as_of`), the institution its first later
move took it from.

Compare with the engine for some periods (outside the benchmark):

    DATABASE_URL=sqlite:///bench/out/synth-S.sqlite3 .venv/bin/python bench/pandas_baseline.py 2026 2026H1 2026-03
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

CHUNK = 100_000  # rows fetched at a time

# Extra columns (name → kind) the indicators read from some service forms, besides record_id and service_date.
FORM_COLUMNS = {
    "exam": {"guidance": "cat", "risk_control": "cat"},
    "hypertension_followup": {"id": "int", "method": "cat", "controlled": "bool"},
    "diabetes_followup": {"id": "int", "method": "cat", "controlled": "bool"},
    "vaccination": {"vaccine": "cat", "dose_number": "int"},
    "prenatal_first": {"enrollment_id": "nint", "gestational_weeks": "nint"},
    "postpartum_visit": {"enrollment_id": "nint", "delivery_date": "date", "discharge_date": "date"},
    "postpartum_42d": {"enrollment_id": "nint", "delivery_date": "date"},
    "tb_outcome": {"stop_date": "date", "stop_reason": "cat", "regular": "bool"},
}


# --- export -------------------------------------------------------------------------------------------------------

def _state(values) -> np.ndarray:
    a = np.array(values, dtype=object)
    return np.where(pd.isna(a), -1, (a != "").astype(np.int8)).astype(np.int8)


def _time(values) -> np.ndarray:
    return pd.to_datetime(list(values), utc=True).tz_convert(None).to_numpy("datetime64[us]")


_CONVERT = {
    "int": lambda v: np.array(v, dtype=np.int64),
    "nint": lambda v: pd.array(list(v), dtype="Int64"),
    "date": lambda v: np.array(v, dtype="datetime64[D]").astype("datetime64[s]"),
    "time": _time,
    "bool": lambda v: np.array(v, dtype=bool),
    "cat": lambda v: pd.Categorical(list(v)),
    "state": _state,
}
_EMPTY_DTYPE = {"int": np.int64, "date": "datetime64[s]", "time": "datetime64[us]", "bool": bool, "state": np.int8}


def _join(kind: str, parts: list):
    if kind == "cat":
        return union_categoricals(parts) if parts else pd.Categorical([])
    if kind == "nint":
        return pd.concat([pd.Series(p) for p in parts], ignore_index=True).array if parts else pd.array(
            [], dtype="Int64")
    return np.concatenate(parts) if parts else np.empty(0, dtype=_EMPTY_DTYPE[kind])


def _select(table: str, columns: dict[str, str], where: str = "", params: tuple = ()) -> pd.DataFrame:
    """SELECT the columns (name → kind) of one table, chunk by chunk, each column converted to a narrow dtype."""
    from django.db import connection

    qn = connection.ops.quote_name
    sql = f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(table)}" + (f" WHERE {where}" if where else "")
    parts: dict[str, list] = {c: [] for c in columns}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            for (name, kind), values in zip(columns.items(), zip(*rows, strict=True), strict=True):
                parts[name].append(_CONVERT[kind](values))
    return pd.DataFrame({name: _join(kind, parts[name]) for name, kind in columns.items()})


def _text_kind(model, name: str) -> str:
    """How a resident column the completeness rules test is exported: codes and JSON as categoricals (few distinct
    values), other text (ID number, phones) as its NULL / empty / filled state."""
    from django.db.models import JSONField

    from jkda.codes.fields import CodeField

    field = model._meta.get_field(name)
    return "cat" if isinstance(field, CodeField | JSONField) else "state"


def export_base(year: int) -> pd.DataFrame:
    """The population base data of `year`: the columns the indicators' denominators name."""
    from jkda.indicators import engine
    from jkda.regions.models import PopulationBase

    fields = sorted({ind.denominator_source() for ind in engine.all_indicators()} - {"base"})
    return _select(PopulationBase._meta.db_table, {"institution_id": "int", **dict.fromkeys(fields, "int")},
                   "year = %s", (int(year),))


def export_tables(year: int) -> dict[str, pd.DataFrame]:
    """The rows every indicator reads, as DataFrames (one SELECT per table): records, residents, record moves,
    enrolments, the population base data of `year`, and each service form ("form:<kind>")."""
    from django.conf import settings

    from jkda.indicators import engine
    from jkda.programs.models import Enrollment
    from jkda.records import completeness
    from jkda.records.models import Record, RecordEvent, Resident
    from jkda.services.base import service_models

    tables = {
        "records": _select(Record._meta.db_table, {
            "id": "int", "institution_id": "int", "resident_id": "int", "established_on": "date",
            "closed_on": "date", "last_service_on": "date", "responsible_doctor_id": "nint",
            "responsible_doctor_name": "state"}),
        "moves": _select(RecordEvent._meta.db_table, {
            "id": "int", "record_id": "int", "at": "time", "from_institution_id": "nint"},
            f"kind IN ({', '.join(['%s'] * len(engine.MOVES))})", tuple(str(k) for k in engine.MOVES)),
        "enrollments": _select(Enrollment._meta.db_table, {
            "id": "int", "record_id": "int", "program": "cat", "enrolled_on": "date", "exited_on": "date"}),
    }
    # resident columns: the birth date and what the completeness settings name
    names = list(getattr(settings, "JKDA_COMPLETE_FIELDS", completeness.COMPLETE_FIELDS))
    items = getattr(settings, "JKDA_QUALIFIED_FIELDS", completeness.QUALIFIED_FIELDS)
    names += [n for item, cols in (("id_number", ["id_number"]), ("contact", ["phone", "contact_phone"]),
                                   ("adult_social", ["education", "occupation", "marital_status"]))
              if item in items for n in cols]
    columns = {"id": "int", "birth_date": "date"}
    columns.update({n: _text_kind(Resident, n) for n in dict.fromkeys(names)})
    tables["residents"] = _select(Resident._meta.db_table, columns)
    tables["base"] = export_base(year)
    for model in service_models():
        cols = {"record_id": "int", "service_date": "date", **FORM_COLUMNS.get(model.kind, {})}
        tables[f"form:{model.kind}"] = _select(model._meta.db_table, cols)
    return tables


# --- figures ------------------------------------------------------------------------------------------------------

class _Env:
    """One period over the exported tables: the records open on `as_of` (with their residents' columns and the
    institution that managed them then) and the tests every family needs."""

    def __init__(self, t: dict[str, pd.DataFrame], period):
        from jkda.indicators.engine import Ctx, _end_of_day

        self.t, self.ctx = t, Ctx(period)
        self.start, self.as_of = pd.Timestamp(self.ctx.start), pd.Timestamp(self.ctx.as_of)
        rec = t["records"]
        open_ = (rec["established_on"] <= self.as_of) & (rec["closed_on"].isna() | (rec["closed_on"] > self.as_of))
        res = t["residents"].rename(columns={"id": "resident_id"})
        o = rec[open_.to_numpy()].merge(res, on="resident_id", how="inner").sort_values("id", ignore_index=True)
        # attribution: a record moved at or after the end of as_of counts where its first such move took it from
        mv = t["moves"]
        end = _end_of_day(self.ctx.as_of).astimezone(dt.UTC).replace(tzinfo=None)
        later = mv[mv["at"] >= np.datetime64(end, "us")]
        first = later.sort_values(["at", "id"]).drop_duplicates("record_id", keep="first")
        then = pd.Series(first["from_institution_id"].fillna(-1).astype("int64").to_numpy(),
                         index=first["record_id"].to_numpy())
        moved = o["id"].isin(then.index).to_numpy()
        inst = o["institution_id"].to_numpy().copy()
        inst[moved] = o.loc[moved, "id"].map(then).to_numpy()
        self.o, self.inst = o, inst
        self.ids, self.birth = o["id"].to_numpy(), o["birth_date"].to_numpy()

    # record sets
    def has(self, record_ids) -> np.ndarray:
        """Open records whose id is among `record_ids` (a semi-join: the ids looked up in the sorted open ids)."""
        ids = np.asarray(record_ids, dtype=np.int64)
        pos = np.searchsorted(self.ids, ids)
        inside = pos < len(self.ids)
        pos, ids = pos[inside], ids[inside]
        mask = np.zeros(len(self.ids), dtype=bool)
        mask[pos[self.ids[pos] == ids]] = True
        return mask

    def form(self, kind: str) -> pd.DataFrame:
        return self.t[f"form:{kind}"]

    def in_period(self, dates: pd.Series) -> pd.Series:
        return (dates >= self.start) & (dates <= self.as_of)

    def served(self, kind: str) -> pd.DataFrame:
        """The forms of a kind dated in the period up to as_of."""
        f = self.form(kind)
        return f[self.in_period(f["service_date"])]

    def upto(self, kind: str) -> pd.DataFrame:
        f = self.form(kind)
        return f[f["service_date"] <= self.as_of]

    def enrolled(self, program: str, active=True) -> pd.DataFrame:
        en = self.t["enrollments"]
        en = en[en["program"] == program]
        if active:  # Enrollment.objects.active_on(as_of)
            return en[(en["enrolled_on"] <= self.as_of) & (en["exited_on"].isna() | (en["exited_on"] > self.as_of))]
        return en

    def born(self, after=None, since=None, by=None) -> np.ndarray:
        """Open records whose resident was born after / since / by the given days."""
        b = self.birth
        m = np.ones(len(b), dtype=bool)
        if after is not None:
            m &= b > np.datetime64(after)
        if since is not None:
            m &= b >= np.datetime64(since)
        if by is not None:
            m &= b <= np.datetime64(by)
        return m


# records ---------------------------------------------------------------------------------------------------------

def _text_filled(col: pd.Series) -> np.ndarray:
    """`~Q(col="")` as Django compiles it: true for NULL (only a nullable column has one) and any non-empty text."""
    if col.dtype == np.int8:  # exported as its state
        return (col != 0).to_numpy()
    return (~(col == "")).to_numpy()


def _complete(e: _Env) -> np.ndarray:
    """records.completeness.complete_q: a responsible doctor (linked or named) and every JKDA_COMPLETE_FIELDS field
    filled (list / dict fields: not NULL and not the empty JSON value)."""
    from django.conf import settings

    from jkda.records import completeness

    o = e.o
    q = o["responsible_doctor_id"].notna().to_numpy() | (o["responsible_doctor_name"] != 0).to_numpy()
    for name in getattr(settings, "JKDA_COMPLETE_FIELDS", completeness.COMPLETE_FIELDS):
        col = o[name]
        if name in completeness._EMPTY:
            q &= (col.notna() & (col != json.dumps(completeness._EMPTY[name]))).to_numpy()
        else:
            q &= _text_filled(col)
    return q


def _qualified(e: _Env) -> np.ndarray:
    """records.completeness.qualified_q on as_of."""
    from django.conf import settings

    from jkda.indicators.catalogue import years_before
    from jkda.records import completeness

    o = e.o
    q = _complete(e)
    items = getattr(settings, "JKDA_QUALIFIED_FIELDS", completeness.QUALIFIED_FIELDS)
    if "id_number" in items:
        q &= (o["id_number"] == 1).to_numpy()  # not NULL, not ""
    if "contact" in items:
        q &= _text_filled(o["phone"]) | _text_filled(o["contact_phone"])
    if "adult_social" in items:
        social = _text_filled(o["education"]) & _text_filled(o["occupation"]) & _text_filled(o["marital_status"])
        q &= e.born(after=years_before(e.ctx.as_of, completeness.ADULT_AGE)) | social
    return q


def _in_use(e: _Env) -> np.ndarray:
    """A service in the 12 months up to as_of: last_service_on in (window, as_of], or, for a record served again
    after as_of, any form dated in that window."""
    from jkda.services.timeline import usage_window_start

    window = pd.Timestamp(usage_window_start(e.ctx.as_of))
    last = e.o["last_service_on"]
    q = ((last > window) & (last <= e.as_of)).to_numpy()
    later = (last > e.as_of).to_numpy()
    if later.any():
        ids = [f["record_id"][(f["service_date"] > window) & (f["service_date"] <= e.as_of)]
               for k, f in e.t.items() if k.startswith("form:")]
        q = q | (later & e.has(np.unique(np.concatenate([i.to_numpy() for i in ids]))))
    return q


def _records(e: _Env):
    base = np.ones(len(e.o), dtype=bool)
    return base, {"electronic_record_rate": None, "record_establishment_rate": lambda: _complete(e),
                  "qualified_record_rate": lambda: _qualified(e), "record_usage_rate": lambda: _in_use(e)}


def _contains(col: pd.Series, text: str) -> np.ndarray:
    """Rows of a categorical column whose text contains `text` (tested once per distinct value; NULL: no)."""
    hit = np.append(np.asarray(col.cat.categories.astype(str).str.contains(text, regex=False), dtype=bool), False)
    return hit[col.cat.codes.to_numpy()]  # code -1 (NULL) picks the appended False


# elderly ---------------------------------------------------------------------------------------------------------

def _elderly(e: _Env):
    from jkda.services.exam.rules import elderly_age

    base = e.born(by=dt.date(e.ctx.as_of.year - elderly_age(), 12, 31))

    def managed():
        exams = e.served("exam")
        quote = _contains(exams["guidance"], '"') | _contains(exams["risk_control"], '"')  # __icontains='"'
        guided = e.has(exams["record_id"][quote]) | e.has(e.served("tcm_elderly")["record_id"])
        return e.has(exams["record_id"]) & e.has(e.served("selfcare")["record_id"]) & guided

    return base, {"elderly_health_management_rate": managed,
                  "elderly_tcm_management_rate": lambda: e.has(e.served("tcm_elderly")["record_id"])}


# hypertension, diabetes, severe mental disorder -------------------------------------------------------------------

def _standard(e: _Env, kind: str, annual: int, face_to_face: bool) -> np.ndarray:
    """At least the required follow-ups (face-to-face ones for the chronic programs) in the period."""
    from jkda.indicators.catalogue import FACE_TO_FACE, required_followups

    f = e.served(kind)
    if face_to_face:
        f = f[f["method"].isin(FACE_TO_FACE)]
    n = f["record_id"].value_counts()
    return e.has(n.index[n >= required_followups(annual, e.ctx)])


def _controlled(e: _Env, kind: str) -> np.ndarray:
    """The latest follow-up in the period (by service date, then id) is controlled."""
    latest = e.served(kind).sort_values(["service_date", "id"]).drop_duplicates("record_id", keep="last")
    return e.has(latest["record_id"][latest["controlled"]])


def _chronic(program: str, kind: str):
    def family(e: _Env):
        from jkda.indicators.catalogue import chronic_standard_followups

        base = e.has(e.enrolled(program)["record_id"])
        return base, {f"{program}_management_rate": None,
                      f"{program}_standard_management_rate":
                          lambda: _standard(e, kind, chronic_standard_followups(), face_to_face=True),
                      f"{program}_control_rate": lambda: _controlled(e, kind)}
    return family


def _smi(e: _Env):
    from jkda.programs.mental.rules import standard_followups

    base = e.has(e.enrolled("smi")["record_id"])
    return base, {"smi_standard_management_rate":
                  lambda: _standard(e, "smi_followup", standard_followups(), face_to_face=False)}


# children --------------------------------------------------------------------------------------------------------

def _newborns(e: _Env):
    return e.born(since=e.ctx.start, by=e.ctx.as_of), {
        "newborn_visit_rate": lambda: e.has(e.upto("newborn_visit")["record_id"])}


def _children(e: _Env):
    from jkda.indicators.catalogue import years_before

    def checked():
        q = np.zeros(len(e.o), dtype=bool)
        for kind in ("child_check_infant", "child_check_toddler", "child_check_preschool"):
            q |= e.has(e.served(kind)["record_id"])
        return q

    return e.born(after=years_before(e.ctx.as_of, 7), by=e.ctx.as_of), {  # children_under(years=7)
        "child_health_management_rate": checked,
        "vaccination_certificate_rate": lambda: e.has(e.upto("vaccination_certificate")["record_id"])}


def _infants(e: _Env):
    from jkda.programs.child.rules import add_months

    return e.born(after=add_months(e.ctx.as_of, -36), by=e.ctx.as_of), {  # children_under(months=36)
        "child_tcm_management_rate": lambda: e.has(e.served("tcm_child")["record_id"])}


def _vaccines(e: _Env):
    """Children under 8; each dose of the schedule counts among the children whose dose fell due in the period
    (`within`)."""
    from jkda.indicators.catalogue import dose_code, years_before
    from jkda.programs.child.rules import VACCINE_SCHEDULE, add_months

    doses = e.upto("vaccination")
    out, within = {}, {}
    for dose in VACCINE_SCHEDULE:
        code = dose_code(dose)  # the catalogue's name for the dose; the counting below is pandas'
        earliest = add_months(e.ctx.start, -dose.months) - dt.timedelta(days=dose.days)
        latest = add_months(e.ctx.as_of, -dose.months) - dt.timedelta(days=dose.days)
        within[code] = lambda a=earliest, b=latest: e.born(since=a, by=b)
        out[code] = lambda v=dose.vaccine, n=dose.dose: e.has(
            doses["record_id"][(doses["vaccine"] == v) & (doses["dose_number"] == n)])
    return e.born(after=years_before(e.ctx.as_of, 8), by=e.ctx.as_of), out, within  # children_under(years=8)


# maternal --------------------------------------------------------------------------------------------------------

def _maternal(e: _Env):
    from jkda.programs.maternal import rules as maternal_rules

    delivered = []
    for kind in ("postpartum_visit", "postpartum_42d"):
        f = e.form(kind)
        delivered.append(f[e.in_period(f["delivery_date"])])
    base = e.has(np.concatenate([d["record_id"].to_numpy() for d in delivered]))

    def early():
        pregnancies = e.enrolled(maternal_rules.PROGRAM, active=False)["id"]
        ids = pd.concat([d["enrollment_id"] for d in delivered]).dropna()
        pregnancies = pregnancies[pregnancies.isin(ids.to_numpy())]
        first = e.form("prenatal_first")
        first = first[first["enrollment_id"].isin(pregnancies.to_numpy()).fillna(False).astype(bool)
                      & (first["gestational_weeks"] < 13).fillna(False).astype(bool)]  # as the catalogue says
        return e.has(first["record_id"])

    def visited():
        days = pd.Timedelta(days=maternal_rules.postpartum_indicator_days())
        v = delivered[0]
        anchor = v["discharge_date"].fillna(v["delivery_date"])
        return e.has(v["record_id"][(v["service_date"] >= anchor) & (v["service_date"] <= anchor + days)])

    return base, {"early_pregnancy_registration_rate": early, "postpartum_visit_rate": visited}


# tuberculosis ----------------------------------------------------------------------------------------------------

def _tb_notified(e: _Env):
    en = e.enrolled("tb", active=False)
    base = e.has(en["record_id"][e.in_period(en["enrolled_on"])])
    return base, {"tb_management_rate": lambda: e.has(e.upto("tb_first_visit")["record_id"])}


def _tb_completed(e: _Env):
    f = e.form("tb_outcome")
    completed = f[e.in_period(f["stop_date"]) & (f["stop_reason"] == "1")]
    return e.has(completed["record_id"]), {
        "tb_regular_medication_rate": lambda: e.has(completed["record_id"][completed["regular"]])}


# family code → function of the period's _Env giving (the family's base: a mask over the open records, indicator
# code → a function giving its numerator mask, or None for the whole base[, indicator code → a function giving its
# own population inside the base, the catalogue's `within`]). Masks are computed only for the indicators asked for.
FAMILIES = {
    "records": _records, "elderly": _elderly, "hypertension": _chronic("hypertension", "hypertension_followup"),
    "diabetes": _chronic("diabetes", "diabetes_followup"), "smi": _smi, "newborns": _newborns,
    "children": _children, "children_0_36": _infants, "vaccines": _vaccines, "maternal": _maternal,
    "tb_notified": _tb_notified, "tb_completed": _tb_completed,
}


def _count(e: _Env, family: str, codes: list[str]) -> pd.DataFrame:
    """institution → "_base", each indicator's numerator and, for indicators with their own population, its
    "<code>__base": one groupby over the family's base."""
    if family not in FAMILIES:
        raise KeyError(f"no pandas definition of family {family}")
    base, numerators, *rest = FAMILIES[family](e)
    within = rest[0] if rest else {}
    cols = {"_base": base}
    for code in codes:
        if code not in numerators:
            raise KeyError(f"no pandas definition of indicator {code}")
        num = numerators[code]() if numerators[code] is not None else None
        if code in within:
            w = within[code]()
            cols[f"{code}__base"] = w
            num = w if num is None else w & num
        cols[code] = base if num is None else num
    frame = pd.DataFrame(cols)[base]
    return frame.groupby(e.inst[base], sort=False).sum()


def pandas_figures(t: dict[str, pd.DataFrame], period, indicators=None) -> dict[str, dict[int, tuple[int, int]]]:
    """indicator code → institution id → (numerator, denominator) for every indicator of the catalogue (or the
    given ones), as engine.institution_figures defines them; `t` from export_tables(period.year) (the base data of
    the denominators is that year's)."""
    from jkda.indicators import engine

    indicators = list(engine.all_indicators() if indicators is None else indicators)
    e = _Env(t, period)
    families: dict[str, list[str]] = defaultdict(list)
    for ind in indicators:
        families[ind.family.code].append(ind.code)
    counts = {fam: _count(e, fam, codes) for fam, codes in families.items()}
    base = t["base"].set_index("institution_id")
    out: dict[str, dict[int, tuple[int, int]]] = {}
    for ind in indicators:
        cnt = counts[ind.family.code]
        den = ind.denominator_source()
        if den == "base":
            pairs = pd.DataFrame({"n": cnt[ind.code], "d": cnt[f"{ind.code}__base" if ind.within else "_base"]})
        else:
            pairs = pd.DataFrame({"n": cnt[ind.code]}).join(base[[den]].rename(columns={den: "d"}), how="outer")
            pairs = pairs.fillna(0)
        out[ind.code] = {None if i == -1 else int(i): (int(n), int(d))
                         for i, n, d in zip(pairs.index, pairs["n"], pairs["d"], strict=True)}
    return out


# --- comparing with the engine ------------------------------------------------------------------------------------

def differences(ours: dict, engine_figs: dict) -> dict[str, tuple]:
    """indicator code → (institution, pandas pair, engine pair) of the first institution where they differ
    (pairs (0, 0) are left out on both sides)."""
    out = {}
    for code in sorted(set(ours) | set(engine_figs)):
        a = {k: v for k, v in ours.get(code, {}).items() if v != (0, 0)}
        b = {k: v for k, v in engine_figs.get(code, {}).items() if v != (0, 0)}
        if a != b:
            inst = min((k for k in set(a) | set(b) if a.get(k) != b.get(k)), key=lambda k: (k is None, k or 0))
            out[code] = (inst, a.get(inst), b.get(inst))
    return out


def main(argv=None) -> None:
    import argparse
    import time

    parser = argparse.ArgumentParser(description="pandas figures against the engine for some periods")
    parser.add_argument("periods", nargs="*", default=[], help="period codes (default: the current year)")
    parser.add_argument("--scenario", help="bench/out/synth-<scenario>.sqlite3 (default: DATABASE_URL)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_indicators import _database

    _database(args.scenario)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jkda.settings")
    import django

    django.setup()
    from jkda.indicators import engine, periods

    codes = args.periods or [str(periods.today().year)]
    started = time.perf_counter()
    base_year = periods.parse(codes[0]).year
    tables = export_tables(base_year)
    print(f"export: {(time.perf_counter() - started) * 1000:.0f} ms, {sum(len(t) for t in tables.values()):,} rows")
    inds = engine.all_indicators()
    bad = 0
    for code in codes:
        period = periods.parse(code)
        if period.year != base_year:
            base_year, tables["base"] = period.year, export_base(period.year)
        started = time.perf_counter()
        ours = pandas_figures(tables, period)
        pd_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        theirs = engine.institution_figures(inds, period)
        en_ms = (time.perf_counter() - started) * 1000
        diff = differences(ours, theirs)
        bad += len(diff)
        print(f"{period.code} (as of {period.as_of}): pandas {pd_ms:.0f} ms, engine {en_ms:.0f} ms, "
              f"{len(inds) - len(diff)}/{len(inds)} indicators agree")
        for c, (inst, a, b) in diff.items():
            print(f"  {c}: institution {inst}: pandas {a}, engine {b}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
