"""The notice as a Word document (official-document layout after GB/T 9704, approximately) and as an Excel
workbook with the annex tables. Both read only the plain-data notice of `notice.build_notice`."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_HEADING = "黑体"
FONT_KAITI = "楷体_GB2312"
RED = "C00000"


@dataclass
class Annex:
    sheet: str  # sheet name / annex label (附件1)
    title: str
    headers: list[str]
    rows: list[list]  # numbers as numbers, rates as floats (or None), names as text
    total: list | None = None
    rate_columns: tuple[int, ...] = ()
    int_columns: tuple[int, ...] = ()


def annexes(notice: dict) -> list[Annex]:
    """The tables of the notice: annex 1 (areas and ranks), annex 2 (institutions below the target, worst last)
    and the institutions criticised."""
    lab = notice["labels"]
    doc = notice["document"]
    areas = Annex(
        _("Annex 1"), doc["annexes"][0],
        [lab["rank"], lab["area"], lab["population"], lab["numerator"], lab["rate"]],
        [[a["rank"], a["name"], a["population"], a["numerator"], a["rate"]] for a in notice["areas"]],
        total=[None, lab["total"], notice["total"]["population"], notice["total"]["numerator"],
               notice["total"]["rate"]],
        rate_columns=(4,), int_columns=(0, 2, 3),
    )

    def institutions(sheet, title, rows):
        return Annex(sheet, title,
                     [lab["number"], lab["institution_area"], lab["institution"], lab["population"], lab["numerator"],
                      lab["rate"]],
                     [[i, r["area"], r["name"], r["population"], r["numerator"], r["rate"]]
                      for i, r in enumerate(rows, 1)],
                     rate_columns=(5,), int_columns=(0, 3, 4))

    return [areas, institutions(_("Annex 2"), doc["annexes"][1], notice["institutions_below_target"]),
            institutions(_("Criticised"), doc["criticized_title"], notice["criticized"])]


def cell_text(value, rate: bool = False) -> str:
    """How a value is printed in the Word tables."""
    if value is None:
        return "—" if rate else ""
    if rate:
        return f"{value:.2f}"
    return str(value)


# --- Word -----------------------------------------------------------------------------------------------------

def _font(run, name: str, size: float, bold: bool = False, color: str | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    run.font.name = name
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    run.font.size = Pt(size)
    run.font.bold = bold
    if color:
        run.font.color.rgb = RGBColor.from_string(color)


def _para(document, text: str = "", font: str = FONT_BODY, size: float = 16, align=None, bold=False, color=None,
          indent_chars: float = 0, space_after: float = 0):
    from docx.shared import Pt

    p = document.add_paragraph()
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    fmt.space_after = Pt(space_after)
    fmt.space_before = Pt(0)
    fmt.line_spacing = Pt(28)
    if indent_chars:
        fmt.first_line_indent = Pt(size * indent_chars)
    if text:
        _font(p.add_run(text), font, size, bold, color)
    return p


def _red_rule(paragraph) -> None:
    """A red line under the paragraph (the red separator below the document number)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "18"), ("w:space", "4"), ("w:color", RED)):
        bottom.set(qn(k), v)
    borders.append(bottom)
    ppr.append(borders)


def _table(document, annex: Annex) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    rows = annex.rows + ([annex.total] if annex.total else [])
    table = document.add_table(rows=1 + len(rows), cols=len(annex.headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    # table.cell(i, j) walks the whole grid each time (quadratic on a long annex): take the cells once
    ncols = len(annex.headers)
    cells = table._cells
    for j, header in enumerate(annex.headers):
        cell = cells[j]
        cell.text = ""
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(p.add_run(header), FONT_HEADING, 11)
    for i, row in enumerate(rows, 1):
        for j, value in enumerate(row):
            cell = cells[i * ncols + j]
            p = cell.paragraphs[0]
            numeric = j in annex.rate_columns or j in annex.int_columns
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if numeric else WD_ALIGN_PARAGRAPH.LEFT
            _font(p.add_run(cell_text(value, rate=j in annex.rate_columns)), FONT_BODY, 11)


def render_docx(notice: dict) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = notice["document"]
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = document.styles["Normal"]
    normal.font.name = FONT_BODY
    normal.font.size = Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT_BODY)
    document.core_properties.title = doc["title"]
    document.core_properties.author = doc["issuer"]

    centre, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    _para(document, doc["issuer"], FONT_TITLE, 30, centre, color=RED, space_after=12)
    number = _para(document, doc["number"], FONT_BODY, 16, centre, space_after=6)
    _red_rule(number)
    _para(document)
    _para(document, doc["title"], FONT_TITLE, 22, centre, space_after=12)
    _para(document, doc["addressees"] + _("："))
    for para in doc["paragraphs"]:
        if para["style"] == "heading":
            _para(document, para["text"], FONT_HEADING, 16, indent_chars=2)
        else:
            _para(document, para["text"], FONT_BODY, 16, indent_chars=2)
    _para(document)
    for i, title in enumerate(doc["annexes"], 1):
        label = _("Annexes: ") if i == 1 else ""
        p = _para(document, f"{label}{i}. {title}", FONT_BODY, 16)
        p.paragraph_format.left_indent = Pt(32) if i == 1 else Pt(32 + 16 * 5)
    _para(document)
    _para(document, doc["issuer"], FONT_BODY, 16, right)
    _para(document, doc["date_text"], FONT_BODY, 16, right)

    for annex in annexes(notice)[:2]:
        p = _para(document)
        p.add_run().add_break(WD_BREAK.PAGE)
        _para(document, annex.sheet, FONT_HEADING, 16)
        _para(document, annex.title, FONT_TITLE, 18, centre, space_after=12)
        _table(document, annex)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- Excel ----------------------------------------------------------------------------------------------------

def render_xlsx(notice: dict) -> bytes:
    """One sheet per annex: the title in row 1, the headers in row 2, the rows from row 3 (annex 1 ends with the
    total). Numbers are numbers; rates have two decimals."""
    return _workbook(annexes(notice))


def summary_annexes(summary: dict) -> list[Annex]:
    """The cover sheet of a monthly round of notices (monthly.MonthlyRound.summary): one line per indicator, and
    the indicators without a target for the scope."""
    scope = summary["scope"]["name"]
    rows = [[i, r["name"], r["target"], r["criticize_below"], r["population"], r["numerator"], r["rate"],
             r["areas_met"], r["areas"], r["institutions_below_target"], r["criticized"]]
            for i, r in enumerate(summary["notices"], 1)]
    main = Annex(_("Summary of the notices"), _("%(scope)s: notices of %(period)s") % {"scope": scope,
                                                                        "period": summary["period_label"]},
                 [_("No."), _("indicator"), _("target line (%)"), _("criticism line (%)"), _("population"),
                  _("numerator"), _("rate (%)"), _("areas that met the target"), _("areas"),
                  _("institutions below the target"), _("institutions criticised")],
                 rows, rate_columns=(2, 3, 6), int_columns=(0, 4, 5, 7, 8, 9, 10))
    missing = Annex(_("Indicators without target"), _("Indicators without a target for %(scope)s") % {"scope": scope},
                    [_("No."), _("code"), _("indicator")],
                    [[i, r["indicator"], r["name"]] for i, r in enumerate(summary["without_target"], 1)],
                    int_columns=(0,))
    return [main, missing]


def render_summary_xlsx(summary: dict) -> bytes:
    return _workbook(summary_annexes(summary))


def _workbook(tables: list[Annex]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for annex in tables:
        ws = wb.create_sheet(annex.sheet)
        ws.cell(1, 1, annex.title).font = Font(bold=True, size=14)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(annex.headers))
        ws.cell(1, 1).alignment = Alignment(horizontal="center")
        for j, header in enumerate(annex.headers, 1):
            c = ws.cell(2, j, header)
            c.font = Font(bold=True)
            c.alignment = Alignment(horizontal="center", wrap_text=True)
        rows = annex.rows + ([annex.total] if annex.total else [])
        for i, row in enumerate(rows, 3):
            for j, value in enumerate(row):
                c = ws.cell(i, j + 1, value)
                if j in annex.rate_columns:
                    c.number_format = "0.00"
                elif j in annex.int_columns:
                    c.number_format = "0"
        for j in range(1, len(annex.headers) + 1):
            ws.column_dimensions[get_column_letter(j)].width = 14 if j != 2 and j != 3 else 28
        ws.freeze_panes = "A3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
