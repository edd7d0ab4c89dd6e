"""Resident search: each kind of query runs as one indexed lookup, never a scan.

Names, initials and pinyin are looked up on the record's copies, beside the managing institution: within a user's
institutions a prefix is one range per institution on (institution, key), whatever the city holds.

- Chinese characters: name equal to or starting with the text
- Latin letters: pinyin initials (zsf) or full pinyin (zhangsanfeng), exact or as a prefix
- 18 / 15 characters: ID number; 6 characters: last six of the ID number
- 16 / 17 digits: record number; 8 digits: last eight of the record number (or a landline)
- 11 digits starting with 1, or landline shapes: phone
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Q, QuerySet

from jkda.access.scope import restrict

from .models import Record

HAN_RE = re.compile(r"^[\u3400-\u9fff·]+$")
LATIN_RE = re.compile(r"^[a-z]+$")
MAX_HITS = 500  # a search shows at most this many records; refine the query for more


def prefix(field: str, text: str) -> Q:
    """`field` starts with `text`, in a form that uses the field's index on each database.

    PostgreSQL turns startswith into LIKE 'x%', served by the varchar_pattern_ops index. SQLite's LIKE is
    case-insensitive and never uses a BINARY index, so there the prefix becomes a range.
    """
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": text, f"{field}__lt": text + "\U0010ffff"})
    return Q(**{f"{field}__startswith": text})


def classify(q: str) -> list[Q]:
    """The lookups a query stands for, most specific first (each uses its own index)."""
    q = q.strip().replace(" ", "")
    if not q:
        return []
    low = q.lower()
    upper = q.upper()
    lookups: list[Q] = []
    if HAN_RE.match(q):
        lookups.append(Q(resident_name=q))
        lookups.append(prefix("resident_name", q))
    elif LATIN_RE.match(low):
        lookups.append(Q(resident_initials=low))
        lookups.append(Q(resident_pinyin=low))
        if len(low) >= 2:
            lookups.append(prefix("resident_initials", low))
        if len(low) >= 3:
            lookups.append(prefix("resident_pinyin", low))
    elif re.match(r"^\d{17}[\dX]$", upper) or re.match(r"^\d{15}$", q):
        lookups.append(Q(resident__id_number=upper))
    if re.match(r"^\d{16,17}$", q):
        lookups.append(Q(number=q))
    if re.match(r"^\d{5}[\dX]$", upper):
        lookups.append(Q(resident__id_last6=upper))
    if re.match(r"^\d{8}$", q) or re.match(r"^\d{3}-\d{5}$", q):
        lookups.append(Q(number_last8=q.replace("-", "")))
    if re.match(r"^(1\d{10}|0\d{2,3}-?\d{7,8}|\d{7,8})$", q):
        lookups.append(Q(resident__phone=q))
    return lookups


def base_queryset(user) -> QuerySet:
    return restrict(Record.objects.select_related("resident", "institution", "village"), user)


def search_records(user, q: str = "", *, status: str = "", institution_id: int | None = None,
                   sex: str = "", age_min: int | None = None, age_max: int | None = None,
                   village_code: str = "") -> QuerySet:
    qs = base_queryset(user)
    if status:
        qs = qs.filter(status=status)
    if institution_id:
        qs = qs.filter(institution_id=institution_id)
    if sex:
        qs = qs.filter(resident__sex=sex)
    if village_code:
        qs = qs.filter(village__code__startswith=village_code)
    if age_min is not None or age_max is not None:
        from .rules import today

        t = today()
        if age_max is not None:
            qs = qs.filter(resident__birth_date__gt=t.replace(year=t.year - age_max - 1))
        if age_min is not None:
            qs = qs.filter(resident__birth_date__lte=t.replace(year=t.year - age_min))
    lookups = classify(q) if q else None
    if lookups is None:
        return qs.order_by("-id")
    # One indexed query per lookup, capped: an OR across the joined tables would defeat the indexes.
    ids: set[int] = set()
    for lookup in lookups:
        ids.update(qs.filter(lookup).order_by().values_list("id", flat=True)[:MAX_HITS])
        if len(ids) >= MAX_HITS:
            break
    return qs.filter(id__in=ids).order_by("resident_name", "id")
