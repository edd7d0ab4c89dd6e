"""The resident's health record information card (居民健康档案信息卡) as a PDF with an embedded CJK font.

One A4 page with the card's two sides one above the other: print, cut along the outer line and fold along the
middle. Fields follow the national card (DOMAIN.md §3): name, sex, birth date, record number, ABO/Rh, chronic
conditions, allergies on the front; address and phone, emergency contact, institution and phone, responsible
doctor on the back.

The font is a TrueType/TTC file with CJK glyphs, embedded as a subset: settings.JKDA_CJK_FONT when set, else the
first of the usual system places that exists (Debian: `apt install fonts-wqy-microhei`).
"""

from __future__ import annotations

import warnings
from pathlib import Path

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jkda.codes import valuesets as V

from .models import Record

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
)
FONT = "cjk"


class FontUnavailable(Exception):
    """No usable CJK font: the card cannot be made (the web page explains how to fix it)."""


def font_candidates() -> list[Path]:
    configured = (getattr(settings, "JKDA_CJK_FONT", "") or "").strip()
    if configured:
        return [Path(configured)]
    return [Path(p) for p in FONT_CANDIDATES]


def _new_pdf():
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    errors = []
    for path in font_candidates():
        if not path.is_file():
            errors.append(f"{path}: not found")
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pdf.add_font(FONT, "", str(path), collection_font_number=0)
        except Exception as exc:  # a broken or unsupported font file: try the next one
            errors.append(f"{path}: {exc}")
            continue
        return pdf
    raise FontUnavailable("; ".join(errors))


def _labels(valueset: V.ValueSet, codes, other: str = "") -> str:
    sep = ", " if (get_language() or "").startswith("en") else "、"
    items = []
    for code in codes or []:
        code = str(code)
        if other and code == valueset.codes[-1]:
            items.append(f"{valueset.label(code)}（{other}）")
        else:
            items.append(valueset.label(code))
    return sep.join(items)


def card_fields(record: Record) -> dict[str, list[tuple[str, str]]]:
    """The card's text, side by side, as (label, value) pairs; shared by the PDF and any other output."""
    r = record.resident
    chronic = [str(item.get("code")) for item in (r.past_diseases or []) if isinstance(item, dict)]
    doctor = record.responsible_doctor
    front = [
        (_("Name"), r.name),
        (_("Sex"), V.SEX.label(r.sex)),
        (_("Birth date"), r.birth_date.isoformat() if r.birth_date else ""),
        (_("Record number"), record.number),
        (_("ABO blood group"), V.ABO.label(r.abo)),
        (_("Rh blood group"), V.RH.label(r.rh)),
        (_("Chronic conditions"), _labels(V.PAST_DISEASE, chronic)),
        (_("Drug allergies"), _labels(V.DRUG_ALLERGY, r.drug_allergy, r.drug_allergy_other)),
    ]
    back = [
        (_("Home address"), r.current_address),
        (_("Phone"), r.phone),
        (_("Emergency contact"), r.contact_name),
        (_("Contact phone"), r.contact_phone),
        (_("Managing institution"), record.institution.name),
        (_("Institution phone"), record.institution.phone),
        (_("Responsible doctor"), record.responsible_doctor_name or (str(doctor) if doctor else "")),
        (_("Doctor's phone"), getattr(doctor, "phone", "") if doctor else ""),
    ]
    return {"front": front, "back": back}


# geometry (mm)
LEFT, WIDTH = 30.0, 150.0
LABEL_W = 32.0
ROW_H = 9.0


def _fit(pdf, text: str, width: float, size: float = 11, smallest: float = 6.5) -> None:
    pdf.set_font(FONT, size=size)
    while size > smallest and pdf.get_string_width(text) > width - 2:
        size -= 0.5
        pdf.set_font(FONT, size=size)


def _cell(pdf, x, y, w, h, text, fill=False, size=11):
    pdf.set_xy(x, y)
    _fit(pdf, text, w, size)
    pdf.cell(w, h, text, border=1, fill=fill)


def _side(pdf, top: float, title: str, pairs: list[tuple[str, str]], wide: set[int]) -> float:
    pdf.set_font(FONT, size=14)
    pdf.set_xy(LEFT, top)
    pdf.cell(WIDTH, 11, title, border=1, align="C")
    y = top + 11
    half = WIDTH / 2
    i = 0
    while i < len(pairs):
        if i in wide:
            label, value = pairs[i]
            _cell(pdf, LEFT, y, LABEL_W, ROW_H, label, fill=True)
            _cell(pdf, LEFT + LABEL_W, y, WIDTH - LABEL_W, ROW_H, value)
            i += 1
        else:
            for col in range(2):
                if i >= len(pairs):
                    break
                label, value = pairs[i]
                x = LEFT + col * half
                _cell(pdf, x, y, LABEL_W, ROW_H, label, fill=True)
                _cell(pdf, x + LABEL_W, y, half - LABEL_W, ROW_H, value)
                i += 1
        y += ROW_H
    return y


def render_card(record: Record, watermark: str = "") -> bytes:
    """The info card as PDF bytes; FontUnavailable when no CJK font can be found. `watermark` (who exported it,
    when, why) is printed in the page footer."""
    pdf = _new_pdf()
    fields = card_fields(record)
    title = _("Resident health record information card")
    pdf.set_title(title)
    pdf.set_creator("jkda")
    pdf.add_page()
    pdf.set_fill_color(235, 235, 235)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.3)
    top = 20.0
    # front: name/sex, birth date/number, ABO/Rh, then chronic conditions and allergies each on a full line
    bottom = _side(pdf, top, title, fields["front"], wide={6, 7})
    # fold line
    pdf.set_dash_pattern(dash=2, gap=1.5)
    pdf.line(LEFT - 8, bottom + 6, LEFT + WIDTH + 8, bottom + 6)
    pdf.set_dash_pattern()
    pdf.set_xy(LEFT, bottom + 1)
    pdf.set_font(FONT, size=7)
    pdf.cell(WIDTH, 4, _("fold here"), align="C")
    # back: address and phone each on a full line, then contact, institution and doctor with their phones
    _side(pdf, bottom + 12, _("Contacts"), fields["back"], wide={0, 1})
    if watermark:
        pdf.set_xy(LEFT - 10, 282)
        _fit(pdf, watermark, WIDTH + 20, size=7, smallest=4)
        pdf.cell(WIDTH + 20, 5, watermark, align="C")
    return bytes(pdf.output())
