"""What an import tells its user: the summary, and the rejected rows as a CSV to fix and import again."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .sources import cell_as_text

# The three columns the report adds after the file's own columns. Importing the report again ignores them.
ROW_HEADER, COLUMN_HEADER, REASON_HEADER = "行号", "列", "原因"
REPORT_HEADERS = (ROW_HEADER, COLUMN_HEADER, REASON_HEADER)


def default_report_path(path: str) -> str:
    base, ext = os.path.splitext(path)
    return f"{base}.rejected.csv" if ext.lower() in (".csv", ".xlsx", ".xlsm", ".txt") else f"{path}.rejected.csv"


class RejectReport:
    """Rejected rows, streamed to `<path>.part` and renamed when the import ends (a killed import leaves no
    half report under the real name). UTF-8 with BOM so that Excel opens it with the Chinese intact."""

    def __init__(self, path: str, header: list[str]):
        self.path = path
        # a re-imported report: keep its own columns, drop its old row/column/reason columns
        self.keep = [i for i, h in enumerate(header) if str(h).strip() not in REPORT_HEADERS]
        self.header = [header[i] for i in self.keep]
        self.width = len(header)
        self.count = 0
        self._fh = None
        self._writer = None

    def add(self, row_number: int, cells: list, problems: list[tuple[str, str]]) -> None:
        """problems: [(column as named in the file, message)]."""
        if self._writer is None:
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            self._fh = open(self.path + ".part", "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
            self._writer = csv.writer(self._fh)
            self._writer.writerow([*self.header, *REPORT_HEADERS])
        problems = [(str(col), str(msg)) for col, msg in problems]
        columns: list[str] = []
        for col, _msg in problems:
            if col and col not in columns:
                columns.append(col)
        if len(columns) > 1:
            reason = "；".join(f"{col}：{msg}" if col else msg for col, msg in problems)
        else:
            reason = "；".join(msg for _col, msg in problems)
        own = [cell_as_text(cells[i]) if i < len(cells) else "" for i in self.keep]
        extra = [cell_as_text(c) for c in cells[self.width:] if cell_as_text(c)]
        if extra:  # a row longer than the header: keep what would otherwise be lost
            reason += "；" + _("cells beyond the header: %(cells)s") % {"cells": " | ".join(extra)}
        self._writer.writerow([*own, row_number, "、".join(columns), reason])
        self.count += 1

    def close(self) -> str | None:
        """Finish the report; returns its path, or None when no row was rejected."""
        if self._fh is None:
            return None
        self._fh.close()
        self._fh = None
        os.replace(self.path + ".part", self.path)
        return self.path

    def abandon(self) -> None:
        """Called on a fatal error: the report so far is still worth keeping."""
        self.close()


@dataclass
class Summary:
    kind: str
    path: str
    dry_run: bool = False
    encoding: str = ""
    rows: int = 0
    imported: int = 0  # residents: new records; institutions / population: created
    updated: int = 0  # institutions / population: changed by the upsert
    present: int = 0  # already there and identical (re-import)
    rejected: int = 0
    seconds: float = 0.0
    report_path: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped: str = ""  # why the import stopped early (file error), if it did

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_code(self) -> int:
        if self.stopped:
            return 2
        return 1 if self.rejected else 0

    def lines(self) -> list[str]:
        out = []
        if self.ignored_columns:
            out.append(_("Columns not used: %(cols)s") % {"cols": "、".join(self.ignored_columns)})
        out.extend(self.notes)
        counts = [
            _("%(n)d rows read") % {"n": self.rows},
            (_("%(n)d would be imported") if self.dry_run else _("%(n)d imported")) % {"n": self.imported},
        ]
        if self.kind != "residents":
            counts.append(_("%(n)d updated") % {"n": self.updated})
        counts.append(_("%(n)d already present") % {"n": self.present})
        counts.append(_("%(n)d rejected") % {"n": self.rejected})
        out.append("，".join(counts) + "。")
        out.append(_("%(s).1f seconds, %(r).0f rows/s.") % {"s": self.seconds, "r": self.rate})
        if self.dry_run:
            out.append(_("Dry run: nothing was written to the database."))
        if self.report_path:
            out.append(_("Rejected rows, with the reason for each: %(path)s (fix them there and import that file "
                         "again).") % {"path": self.report_path})
        if self.stopped:
            out.append(self.stopped)
        return out


def tqdm_progress(kind: str, stream):
    """A progress-bar factory for the importers: bytes of a CSV file, rows of a workbook."""

    def factory(table):
        from tqdm import tqdm

        if table.kind == "csv":
            return tqdm(total=table.size, unit="B", unit_scale=True, unit_divisor=1024, desc=kind, file=stream,
                        dynamic_ncols=True)
        return tqdm(total=table.size, unit=_("rows"), desc=kind, file=stream, dynamic_ncols=True)

    return factory
