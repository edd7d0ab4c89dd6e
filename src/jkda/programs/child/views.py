"""Pages of the children's program: the immunisation card of one child and the immunisation overview."""

from __future__ import annotations

from django.shortcuts import redirect, render

from jkda.access import audit
from jkda.access.roles import Perm, has, requires
from jkda.programs.worklist import due_items, scoped_records
from jkda.records.models import Record
from jkda.records.rules import today
from jkda.records.search import base_queryset
from jkda.web.views import _record, allow, can_write, login_required

from .card import immunisation_card
from .program import CODE

OVERVIEW_LIMIT = 200


@requires(Perm.READ)
@login_required
@allow("GET")
def card(request, number):
    record = _record(request, number)
    audit.log("read", obj=record, detail={"what": "immunisation card"})
    as_of = today()
    return render(request, "child/card.html", {
        "record": record, "resident": record.resident, "card": immunisation_card(record, as_of), "as_of": as_of,
        "can_write": can_write(request.user, record.institution) and record.is_active,
    })


@requires(Perm.READ)
@login_required
@allow("GET")
def overview(request):
    """Find a child's card by record number; list the overdue doses in the user's scope."""
    q = (request.GET.get("q") or "").strip()[:20]
    if q:
        found = base_queryset(request.user).filter(number__endswith=q.replace("-", "")).first()
        if found is not None:
            return redirect("child_card", number=found.number)
    as_of = today()
    items = [i for i in due_items(scoped_records(request.user), as_of, program=CODE, category="vaccine")
             if i.overdue(as_of)]
    items.sort(key=lambda i: (i.due_on, i.record_id))
    total = len(items)
    items = items[:OVERVIEW_LIMIT]
    recs = {r.pk: r for r in Record.objects.filter(pk__in={i.record_id for i in items}).select_related(
        "resident", "village")}
    rows = [(i, recs[i.record_id], (as_of - i.due_on).days) for i in items if i.record_id in recs]
    audit.log("search", object_type="child.immunisation", detail={"q": q, "hits": total})
    return render(request, "child/overview.html", {"rows": rows, "total": total, "q": q, "as_of": as_of,
                                                   "not_found": bool(q), "limit": OVERVIEW_LIMIT,
                                                   "show_phones": has(request.user, Perm.REVEAL)})
