"""The half-year analysis report as a Word document (python-docx), in the style of an official report: a centred
title, numbered headings (一、二、…), tables with the figures of `report.build_report`, the date it was generated and
a watermark line (who exported it, when) in the page header and at the end."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell

BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
TITLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
NUMERALS = "一二三四五六七八九十"


def cell(v) -> str:
    """How a figure is written in a table: counts as integers, shares with one decimal, nothing as a dash."""
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.1f}"
    return str(v)


def tables(report: dict) -> dict[str, list[list[str]]]:
    """The tables of the document (header row first), straight from the report's figures."""
    out = {
        "groups": [[_("Population group"), _("Residents with a record"), _("Served in the period"),
                    _("Served (%)"), _("Under management")]]
        + [[g["label"], cell(g["records"]), cell(g["served"]), cell(g["served_share"]), cell(g["enrolled"])]
           for g in report["groups"]],
        "problems": [[_("Rank"), _("Health problem"), _("Source"), _("People"), _("Share (%)")]]
        + [[cell(r["rank"]), r["problem"], r["source"], cell(r["count"]), cell(r["share"])]
           for r in report["problems"]["rows"]],
        "lifestyle": [[_("Factor"), _("People"), _("Denominator"), _("Share (%)")]]
        + [[r["factor"], cell(r["count"]), cell(r["denominator"]), cell(r["share"])]
           for r in report["lifestyle"]["rows"]],
        "control": [[_("Program"), _("Under management"), _("Followed up in the period"),
                     _("Controlled (stable)"), _("Control rate (%)")]]
        + [[c["label"], cell(c["managed"]), cell(c["followed"]), cell(c["controlled"]), cell(c["rate"])]
           for c in report["control"]],
        "targets": [[_("Category"), _("People")]]
        + [[c["label"], cell(c["count"])] for c in report["targets"]["categories"]]
        + [[_("Total"), cell(report["targets"]["total"])]],
    }
    if report["targets"]["people"] is not None:
        out["people"] = [[_("Category"), _("Name"), _("Sex"), _("Age"), _("ID number (masked)"), _("Record number"),
                          _("Managing institution"), _("Situation")]] + [
            [p["category"], p["name"], p["sex"], cell(p["age"]), p["id_number"], p["record"], p["institution"],
             p["detail"]] for p in report["targets"]["people"]]
    return out


def watermark(report: dict) -> str:
    who = report["generated_by"]
    if report.get("username") and report["username"] != who:
        who = f"{who}（{report['username']}）"
    return _("Exported by %(user)s at %(time)s · for work use only, do not pass on") % {
        "user": who, "time": report["generated_at"]}


def _fonts(run_or_style, east_asian: str, size: float | None = None, bold: bool | None = None) -> None:
    font = run_or_style.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = run_or_style.element
    rpr = element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi"):
        rfonts.set(qn(attr), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), east_asian)


class _Writer:
    def __init__(self, report: dict):
        self.report = report
        self.doc = Document()
        self.headings = 0
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
        _fonts(self.doc.styles["Normal"], BODY_FONT, 14)
        for name in ("Heading 1", "Heading 2"):
            style = self.doc.styles[name]
            _fonts(style, HEADING_FONT, 16 if name == "Heading 1" else 14, True)
            style.font.color.rgb = RGBColor(0, 0, 0)
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _fonts(header.add_run(watermark(report)), BODY_FONT, 9)

    def para(self, text: str, *, size=None, bold=None, align=None, font=BODY_FONT, indent=True):
        p = self.doc.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent and align is None:
            p.paragraph_format.first_line_indent = Pt(28)
        _fonts(p.add_run(text), font, size, bold)
        return p

    def heading(self, text: str, level: int = 1):
        if level == 1:
            text = f"{NUMERALS[self.headings]}、{text}"
            self.headings += 1
        h = self.doc.add_heading(level=level)
        _fonts(h.add_run(text), HEADING_FONT, 16 if level == 1 else 14, True)
        return h

    def table(self, rows: list[list[str]]):
        t = self.doc.add_table(rows=0, cols=len(rows[0]))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for i, row in enumerate(rows):
            # the cells straight from the new row's XML: Table.cell() and _Row.cells walk the whole table each time
            cells = [_Cell(tc, t) for tc in t.add_row()._tr.tc_lst]
            for j, value in enumerate(row):
                p = cells[j].paragraphs[0]
                if j > 0 and i > 0 and _numeric(value):
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                _fonts(p.add_run(value), HEADING_FONT if i == 0 else BODY_FONT, 10.5, i == 0)
        return t


def _numeric(value: str) -> bool:
    return value == "—" or value.replace(".", "", 1).isdigit()


def render_docx(report: dict) -> bytes:
    r = report
    w = _Writer(r)
    data = tables(r)
    w.para(r["title"], size=22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, font=TITLE_FONT)
    period = r["period"]
    sub = _("Period %(start)s to %(end)s") % {"start": period["start"], "end": period["end"]}
    if period["as_of"] != period["end"]:
        sub += _(" (figures up to %(as_of)s)") % {"as_of": period["as_of"]}
    w.para(sub, size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
    w.para(_("Generated on %(date)s") % {"date": r["generated_on"]}, size=12, align=WD_ALIGN_PARAGRAPH.CENTER)

    w.heading(_("Overview"))
    w.para(_("%(area)s (%(level)s, code %(code)s) holds %(n)s open health records at the end of the period. The "
             "figures below count residents whose record was established by then and not closed; people served are "
             "those with a service form dated in the period.") % {
        "area": r["area"]["name"], "level": r["area"]["level"], "code": r["area"]["code"], "n": r["records"]})

    w.heading(_("Health status of each population group"))
    w.para(_("Under management: patients enrolled in the program at the end of the period (children, adults and "
             "the elderly are managed by age, without enrolment)."))
    w.table(data["groups"])

    w.heading(_("Main health problems"))
    p = r["problems"]
    w.para(_("The %(n)s most frequent problems. Shares of past history, program and diagnosis rows are of the %(rec)s "
             "records; shares of examination rows are of the %(ex)s people examined in the period (their latest "
             "examination).") % {"n": p["top_n"], "rec": p["records"], "ex": p["examined"]})
    w.table(data["problems"])

    w.heading(_("Lifestyle and risk factors"))
    w.para(_("From the latest examination of each of the %(n)s people examined in the period; the denominator is the "
             "number of people with the item recorded. BMI bands follow the Chinese adult cut-offs (overweight 24, "
             "obesity 28).") % {"n": r["lifestyle"]["examined"]})
    w.table(data["lifestyle"])

    w.heading(_("Control among managed patients"))
    w.para(_("Controlled: the latest follow-up in the period shows the blood pressure (resp. fasting glucose) below "
             "the target; for severe mental disorder, the latest follow-up is classed stable. The rate is of the "
             "patients under management."))
    w.table(data["control"])

    w.heading(_("Key management targets"))
    w.table(data["targets"])
    if "people" in data:
        w.para(_("The people (ID numbers masked; at most %(n)s per category):") % {
            "n": r["targets"]["list_limit"]})
        w.table(data["people"])
    else:
        w.para(_("Names are not listed: your role receives the counts only."))

    w.heading(_("Plans and interventions"))
    for i, text in enumerate(r["plans"], 1):
        w.para(f"{i}. {text}")
    w.heading(_("Evaluation"), level=2)
    rows = [[_("Measure"), _("Responsible unit and person"), _("Deadline"), _("Evaluation of the effect")]]
    rows += [[f"{i}.", "", "", ""] for i in range(1, max(len(r["plans"]), 1) + 1)]
    w.table(rows)
    w.para("")
    w.para(_("Evaluated by: ____________    Date: ____________"), indent=False)
    w.para("")
    w.para(watermark(r), size=9, align=WD_ALIGN_PARAGRAPH.RIGHT)
    buf = io.BytesIO()
    w.doc.save(buf)
    return buf.getvalue()
