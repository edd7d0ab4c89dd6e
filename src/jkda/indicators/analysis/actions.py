"""The export of the half-year analysis report: build, render and audit in one place (web and CLI call it)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from jkda.access import audit

from .document import render_docx
from .report import build_report, parse_half_year, resolve_area

OBJECT_TYPE = "analysis_report"


def export_report(area_code: str, half_year: str, user, *, top_n: int | None = None) -> tuple[dict, bytes]:
    """The report and its Word document for an area and a half-year. Bad input raises ValidationError (nothing is
    logged); a refused area raises PermissionDenied and is logged as a denied export; a document written is logged
    as an export with the number of people named in it."""
    half = parse_half_year(half_year)
    area = resolve_area(area_code)
    try:
        report = build_report(area, half, user, **({"top_n": top_n} if top_n else {}))
    except PermissionDenied:
        audit.log("export", user=user, object_type=OBJECT_TYPE, object_id=area.code,
                  detail={"half_year": half.code}, outcome="denied")
        raise
    content = render_docx(report)
    people = report["targets"]["people"]
    audit.log("export", user=user, object_type=OBJECT_TYPE, object_id=area.code, detail={
        "half_year": half.code, "area": area.name, "records": report["records"],
        "targets": report["targets"]["total"], "people": len(people) if people is not None else 0,
        "format": "docx"})
    return report, content


def filename(report: dict) -> str:
    return f"{report['area']['code']}-{report['half_year']}-analysis.docx"
