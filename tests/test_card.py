"""The info card PDF: a real PDF, with an embedded CJK font, whose text (read back without fpdf2) holds the data."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from django.utils import translation

from jkda.records import card

WQY = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


# --- a small PDF text reader, independent of fpdf2 -----------------------------------------------------------

STREAM_RE = re.compile(rb"obj\s*(<<.*?>>)\s*stream\r?\n(.*?)\r?\nendstream", re.S)
LITERAL_RE = re.compile(rb"\((?:\\.|[^\\)])*\)", re.S)
HEX_RE = re.compile(rb"<([0-9A-Fa-f\s]+)>")
ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def _streams(data: bytes):
    for match in STREAM_RE.finditer(data):
        head, body = match.groups()
        if b"/FlateDecode" in head:
            body = zlib.decompress(body)
        yield head, body


def _unescape(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i:i + 1]
        if c == b"\\" and i + 1 < len(raw):
            nxt = raw[i + 1:i + 2]
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1:i + 4])
            if octal:
                out.append(int(octal.group(), 8) & 0xFF)
                i += 1 + len(octal.group())
                continue
            out += ESCAPES.get(nxt, nxt)
            i += 2
            continue
        out += c
        i += 1
    return bytes(out)


def _cmap(streams) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for _head, body in streams:
        if b"begincmap" not in body:
            continue
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", body, re.S):
            for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", body, re.S):
            for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                start = int(dst, 16)
                for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    mapping[code] = chr(start + offset)
    return mapping


def pdf_text_builtin(data: bytes) -> str:
    """Text shown by Tj/TJ operators, mapped through the fonts' ToUnicode CMaps (2-byte Identity-H codes)."""
    streams = list(_streams(data))
    mapping = _cmap(streams)
    pieces = []
    for _head, body in streams:
        if b"BT" not in body or (b"Tj" not in body and b"TJ" not in body):
            continue
        for op in re.finditer(rb"(\[.*?\]\s*TJ|\((?:\\.|[^\\)])*\)\s*Tj|<[0-9A-Fa-f\s]*>\s*Tj)", body, re.S):
            chunk = op.group()
            raw = b"".join(_unescape(m.group()[1:-1]) for m in LITERAL_RE.finditer(chunk))
            raw += b"".join(bytes.fromhex(m.group(1).decode().replace(" ", "")) for m in HEX_RE.finditer(chunk))
            codes = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw) - 1, 2)]
            pieces.append("".join(mapping.get(c, "") for c in codes))
    return "\n".join(pieces)


def pdf_text(data: bytes) -> str:
    """pdftotext (poppler) when installed, else the built-in reader."""
    if shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, timeout=60)
        if done.returncode == 0:
            return done.stdout.decode("utf-8")
    return pdf_text_builtin(data)


# --- tests ---------------------------------------------------------------------------------------------------


@pytest.fixture
def record(establish, city):
    city.centre.phone = "0512-66001234"
    city.centre.save()
    city.doctor.phone = "13511112222"
    city.doctor.save()
    rec = establish(
        name="张三丰", abo="3", rh="2", contact_name="张无忌", contact_phone="13600000000",
        past_diseases=[{"code": "2", "date": "2015-03"}, {"code": "3", "date": "2018-07"}],
        drug_allergy=["2", "5"], drug_allergy_other="头孢",
    )
    rec.responsible_doctor = city.doctor
    rec.responsible_doctor_name = city.doctor.full_name
    rec.save()
    return rec


def test_card_is_a_pdf_with_an_embedded_cjk_font(record):
    data = card.render_card(record)
    assert data.startswith(b"%PDF-")
    assert b"/FontFile2" in data  # the TrueType font program is embedded (as a subset)
    assert b"/ToUnicode" in data  # so the text can be searched and copied


def test_card_text_holds_the_resident_data(record, city):
    with translation.override("zh-hans"):
        text = pdf_text(card.render_card(record))
    for expected in ("张三丰", record.number, "1960-05-17", "男", "O型", "阳性", "高血压", "糖尿病", "青霉素",
                     "头孢", "苏州市吴中区新家路1号", "13912345678", "张无忌", "13600000000", city.centre.name,
                     "0512-66001234", "王医生", "13511112222"):
        assert expected in text, expected


def test_builtin_reader_finds_cjk_and_ascii_text(record):
    # exercised even where pdftotext is installed, so the fallback path stays honest
    with translation.override("zh-hans"):
        text = pdf_text_builtin(card.render_card(record))
    assert "张三丰" in text and "高血压" in text and record.number in text


def test_card_fields_follow_the_language(record):
    with translation.override("en"):
        fields = card.card_fields(record)
    values = dict(fields["front"])
    assert "Hypertension" in "".join(values.values())


def test_configured_font_is_used(record, settings):
    assert Path(WQY).is_file(), "the card needs a CJK font: apt-get install fonts-wqy-microhei"
    settings.JKDA_CJK_FONT = WQY
    assert b"WenQuanYi" in card.render_card(record)


def test_missing_font_raises_font_unavailable(record, settings):
    settings.JKDA_CJK_FONT = "/nonexistent/font.ttc"
    with pytest.raises(card.FontUnavailable) as exc:
        card.render_card(record)
    assert "/nonexistent/font.ttc" in str(exc.value)


def test_broken_font_file_is_unavailable_not_a_crash(record, settings, tmp_path):
    bad = tmp_path / "broken.ttf"
    bad.write_bytes(b"not a font")
    settings.JKDA_CJK_FONT = str(bad)
    with pytest.raises(card.FontUnavailable):
        card.render_card(record)


def test_card_of_a_sparse_record(establish):
    rec = establish(name="李", id_number="", birth_date="2020-01-01", sex="2", phone="", drug_allergy=[])
    text = pdf_text(card.render_card(rec))
    assert "李" in text and rec.number in text
