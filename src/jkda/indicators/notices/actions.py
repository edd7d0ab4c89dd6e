"""The one state change of the notices: an export, which is rendered and then written to the audit trail."""

from __future__ import annotations

import json

from jkda.access import audit

from .render import render_docx, render_xlsx

FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def export_notice(user, notice: dict, fmt: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) of the notice in `fmt`; the export is audited once it is rendered."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    if fmt == "docx":
        data = render_docx(notice)
    elif fmt == "xlsx":
        data = render_xlsx(notice)
    else:
        data = json.dumps(notice, ensure_ascii=False, indent=1).encode()
    within = notice["within"]["code"] if notice["within"] else ""
    audit.log("export", user=user, object_type="notices.notice", object_id=f"{notice['indicator']}:{notice['period']}",
              detail={"format": fmt, "indicator": notice["indicator"], "period": notice["period"],
                      "level": notice["level"], "within": within, "target": notice["target"],
                      "criticize_below": notice["criticize_below"], "criticized": notice["counts"]["criticized"]})
    name = f"notice-{notice['indicator']}-{notice['period']}".replace("..", "_").replace("/", "-")
    return data, FORMATS[fmt], f"{name}.{fmt}"
