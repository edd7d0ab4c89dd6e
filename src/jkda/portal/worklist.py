"""The residents' correction requests on the work list of the institutions that manage their records."""

from __future__ import annotations

from jkda.access.scope import restrict
from jkda.records.models import Record

from .models import CorrectionRequest


def corrections_panel(user, as_of):
    records = restrict(Record.objects.all(), user).values("pk")
    rows = list(CorrectionRequest.objects.filter(status=CorrectionRequest.Status.OPEN, record__in=records)
                .select_related("record__resident", "record__responsible_doctor").order_by("submitted_at")[:200])
    if not rows:
        return None
    return {"template": "portal/_worklist_corrections.html", "rows": rows}
