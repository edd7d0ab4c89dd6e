"""Reading import files: CSV (any common encoding) or XLSX, streamed row by row, with headers mapped to columns.

Nothing here knows about residents or institutions: `open_table` returns a `Table` whose rows are
(row number, list of cell texts); `map_headers` matches the header row against the column declarations of the
kind being imported (`columns.py`). Every problem with the file as a whole raises `ImportFileError` with a message
for the person holding the file, never a traceback.

Row numbers are the ones a spreadsheet shows: the header is row 1, blank lines count, a quoted cell spanning
several lines is one row.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# Cells of a few megabytes are always a broken quote, never data.
csv.field_size_limit(1 << 20)

SAMPLE_BYTES = 1 << 18
BLOCK_BYTES = 1 << 20
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Encodings charset-normalizer may name for a Chinese file; GB18030 decodes everything GB2312 and GBK do.
GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "hz", "hz_gb_2312", "euc_cn", "gb_2312_80"}


class ImportFileError(Exception):
    """The file as a whole cannot be read: the message says why and what to do."""


def _hint_resave() -> str:
    return _("Save the file as “CSV UTF-8” (Excel: Save As → CSV UTF-8) or as .xlsx, or name its encoding with "
             "--encoding (for example --encoding gb18030).")


# --- encoding ----------------------------------------------------------------------------------------------------

def _decodes(path: str, encoding: str) -> tuple[bool, int]:
    """Whether the whole file decodes strictly; on failure also the byte offset of the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with open(path, "rb") as fh:
        while True:
            block = fh.read(BLOCK_BYTES)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                return False, offset + max(exc.start, 0)
            if not block:
                return True, -1
            offset += len(block)


def _line_of(path: str, offset: int) -> int:
    with open(path, "rb") as fh:
        return fh.read(max(offset, 0)).count(b"\n") + 1


def _mostly_chinese(text: str) -> bool:
    """True when the non-ASCII characters of a decoded sample are overwhelmingly CJK text and punctuation."""
    wide = [c for c in text if ord(c) > 127]
    if not wide:
        return True
    good = sum(1 for c in wide if "\u3400" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"
               or c in "·—…“”‘’")
    return good >= 0.9 * len(wide)


def _damaged_utf8(path: str, bad_at: int) -> bool:
    """True when the text around the first bad byte is UTF-8 Chinese with a stray byte or two (read as GB18030 it
    would import as garbage); GBK text read as UTF-8 fails on nearly every Chinese character instead."""
    with open(path, "rb") as fh:
        fh.seek(max(0, bad_at - 32768))
        window = fh.read(65536)
    text = window.decode("utf-8", errors="replace")
    wide = sum(1 for c in text if ord(c) > 127)
    return wide >= 20 and text.count("\ufffd") < 0.05 * wide


def detect_encoding(path: str) -> str:
    """The encoding of a CSV file: a BOM wins; else strict UTF-8 over the whole file; else GB18030 when the text
    reads as Chinese (charset-normalizer's guess is consulted); otherwise ImportFileError naming what to do."""
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    ok, bad_at = _decodes(path, "utf-8")
    if ok:
        return "utf-8"
    if _damaged_utf8(path, bad_at):
        raise ImportFileError(
            _("The file is UTF-8, but line %(line)d holds bytes that are not (the file may have been cut or pasted "
              "together): correct that line, or open the file in Excel and save it again as “CSV UTF-8”.") % {
                "line": _line_of(path, bad_at)})
    ok_gb, _bad = _decodes(path, "gb18030")
    guess = None
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(head).best()
        guess = best.encoding if best is not None else None
    except Exception:  # a detector failure is no reason to refuse the file  # noqa: BLE001
        guess = None
    if ok_gb and (guess in GB_FAMILY or _mostly_chinese(head.decode("gb18030", errors="replace"))):
        return "gb18030"
    raise ImportFileError(
        _("The file is not UTF-8 (the first bad byte is on line %(line)d) and does not read as GBK/GB18030 "
          "either%(guess)s. %(hint)s") % {
            "line": _line_of(path, bad_at),
            "guess": (_(" (it may be %(enc)s)") % {"enc": guess}) if guess else "",
            "hint": _hint_resave(),
        }
    )


# --- tables ------------------------------------------------------------------------------------------------------

class _CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read (the progress bar follows it)."""

    def __init__(self, raw):
        self.raw = raw
        self.count = 0

    def readable(self):
        return True

    def readinto(self, b):
        n = self.raw.readinto(b)
        self.count += n or 0
        return n

    def close(self):
        self.raw.close()
        super().close()


@dataclass
class Table:
    """A stream of rows. `header` is the header row's cell texts; `rows()` yields (row number, cells)."""

    path: str
    kind: str  # "csv" or "xlsx"
    encoding: str = ""
    header: list[str] = field(default_factory=list)
    header_row: int = 1
    size: int = 0  # progress total: bytes for CSV, rows for XLSX
    _iter: Iterator | None = None
    _counter: _CountingReader | None = None
    _closer: object = None
    _rows_done: int = 0

    def rows(self) -> Iterator[tuple[int, list]]:
        yield from self._iter

    @property
    def progress(self) -> int:
        if self._counter is not None:
            return self._counter.count
        return self._rows_done

    def close(self):
        if self._closer is not None:
            try:
                self._closer.close()
            except Exception:  # noqa: BLE001 - closing a broken file must not hide the real problem
                pass


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _blank(cells) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _open_csv(path: str, encoding: str | None) -> Table:
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ImportFileError(_("Unknown encoding “%(enc)s”: use utf-8, gb18030, gbk or big5.") % {
                "enc": encoding}) from None
        if encoding.lower().replace("-", "").replace("_", "") in {"utf8", "utf8sig"}:
            encoding = "utf-8-sig"  # a BOM is welcome either way
    else:
        encoding = detect_encoding(path)
    raw = open(path, "rb")  # noqa: SIM115 - closed by Table.close
    counter = _CountingReader(raw)
    text = io.TextIOWrapper(io.BufferedReader(counter, BLOCK_BYTES), encoding=encoding, errors="strict", newline="")
    table = Table(path=path, kind="csv", encoding=encoding, size=os.path.getsize(path))
    table._counter = counter
    table._closer = text
    try:
        first = text.readline()
        while first and not first.strip():
            first = text.readline()
            table.header_row += 1
    except UnicodeDecodeError:
        table.close()
        raise ImportFileError(_("The file cannot be read as %(enc)s. %(hint)s") % {
            "enc": encoding, "hint": _hint_resave()}) from None
    if not first.strip():
        table.close()
        raise ImportFileError(_("The file is empty: it needs a header row and at least one row of data."))
    first = first.lstrip("\ufeff")
    delimiter = _sniff_delimiter(first)
    reader = csv.reader(itertools.chain([first], text), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except (csv.Error, StopIteration, UnicodeDecodeError) as exc:
        table.close()
        raise ImportFileError(_("The header row is not valid CSV (%(err)s).") % {"err": exc}) from None
    table.header = [h.strip().lstrip("\ufeff") for h in header]
    while table.header and not table.header[-1]:
        table.header.pop()

    def gen():
        number = table.header_row
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportFileError(_("Row %(row)d is not valid CSV (%(err)s): the rows before it were read; "
                                        "fix the file from that row on and import it again.") % {
                    "row": number + 1, "err": exc}) from None
            except UnicodeDecodeError:
                raise ImportFileError(_("Row %(row)d cannot be read as %(enc)s: the rows before it were read. "
                                        "%(hint)s") % {"row": number + 1, "enc": encoding,
                                                       "hint": _hint_resave()}) from None
            number += 1
            if not cells or _blank(cells):
                continue
            yield number, cells

    table._iter = gen()
    return table


def _cell_text(value) -> object:
    """XLSX cell values stay typed (dates, numbers) for the column parsers; strings are stripped."""
    if isinstance(value, str):
        return value.strip()
    return value


def _open_xlsx(path: str) -> Table:
    try:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - a broken workbook raises anything from zipfile to KeyError
        raise ImportFileError(_("The file cannot be read as an Excel workbook (.xlsx): %(err)s") % {
            "err": exc.__class__.__name__}) from None
    if not wb.worksheets:
        wb.close()
        raise ImportFileError(_("The file is empty: it needs a header row and at least one row of data."))
    ws = wb.worksheets[0]
    table = Table(path=path, kind="xlsx", size=ws.max_row or 0)
    table._closer = wb
    rows = ws.iter_rows(values_only=True)
    number = 0
    header = None
    try:
        for cells in rows:
            number += 1
            if not _blank(cells):
                header = cells
                break
    except Exception as exc:  # noqa: BLE001
        table.close()
        raise ImportFileError(_("The file cannot be read as an Excel workbook (.xlsx): %(err)s") % {
            "err": exc.__class__.__name__}) from None
    if header is None:
        table.close()
        raise ImportFileError(_("The file is empty: it needs a header row and at least one row of data."))
    table.header_row = number
    width = len(header)
    while width and (header[width - 1] is None or str(header[width - 1]).strip() == ""):
        width -= 1
    table.header = ["" if h is None else str(h).strip() for h in header[:width]]

    def gen():
        n = number
        try:
            for cells in rows:
                n += 1
                table._rows_done = n
                if _blank(cells):
                    continue
                out = [_cell_text(c) for c in cells[:width]]
                extra = [c for c in cells[width:] if not (c is None or (isinstance(c, str) and not c.strip()))]
                if extra:
                    out.extend(_cell_text(c) for c in cells[width:])
                yield n, out
        except Exception as exc:  # noqa: BLE001
            raise ImportFileError(_("Row %(row)d of the workbook cannot be read (%(err)s).") % {
                "row": n, "err": exc.__class__.__name__}) from None

    table._iter = gen()
    return table


def open_table(path: str, encoding: str | None = None) -> Table:
    """Open a CSV or XLSX file for streaming; ImportFileError for anything that is not a readable table."""
    if not os.path.exists(path):
        raise ImportFileError(_("There is no file %(path)s.") % {"path": path})
    if os.path.isdir(path):
        raise ImportFileError(_("%(path)s is a folder, not a file.") % {"path": path})
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
    except OSError as exc:
        raise ImportFileError(_("The file cannot be opened: %(err)s") % {"err": exc.strerror or exc}) from None
    if not magic:
        raise ImportFileError(_("The file is empty: it needs a header row and at least one row of data."))
    if magic.startswith(XLS_MAGIC):
        raise ImportFileError(_("Excel 97-2003 workbooks (.xls) are not read: save the file as .xlsx or as "
                                "“CSV UTF-8”."))
    if magic.startswith(XLSX_MAGIC) or path.lower().endswith((".xlsx", ".xlsm")):
        return _open_xlsx(path)
    if b"\x00" in magic and not magic.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError(_("This is not a text (CSV) file. %(hint)s") % {"hint": _hint_resave()})
    return _open_csv(path, encoding)


# --- headers -----------------------------------------------------------------------------------------------------

_MARKS_RE = re.compile(r"[\s*＊:：_\-]+|（必填）|\(必填\)|\(required\)")


def normalise_header(text) -> str:
    """Compare headers loosely: full-width forms folded (NFKC), case and spaces, a trailing * or （必填） ignored."""
    text = unicodedata.normalize("NFKC", str(text or "")).casefold()
    text = text.replace("(必填)", "").replace("(required)", "")
    return _MARKS_RE.sub("", text)


@dataclass
class HeaderMap:
    """Which cell position holds which column; `labels` gives each column's header as written in the file."""

    positions: dict[str, int]
    labels: dict[str, str]
    ignored: list[str]


def map_headers(header: list[str], lookup: dict[str, str], *, ignore: set[str] = frozenset()) -> HeaderMap:
    """Match header cells against `lookup` (normalised header → column name). Two cells naming one column is an
    error; unknown headers are listed in `ignored`."""
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    ignored: list[str] = []
    ignore_norm = {normalise_header(i) for i in ignore}
    for i, text in enumerate(header):
        key = normalise_header(text)
        if not key:
            continue
        name = lookup.get(key)
        if name is None:
            if key not in ignore_norm:
                ignored.append(str(text))
            continue
        if name in positions:
            raise ImportFileError(_("The columns “%(a)s” and “%(b)s” both mean %(name)s: keep one of them.") % {
                "a": labels[name], "b": text, "name": name})
        positions[name] = i
        labels[name] = str(text)
    return HeaderMap(positions=positions, labels=labels, ignored=ignored)


def cell_as_text(value) -> str:
    """A cell as the text a person typed (for reports and text columns)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value).strip()
