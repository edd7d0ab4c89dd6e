"""jkda import institutions|population|residents|... FILE — bulk import from CSV or XLSX (docs/import.md).

Exit status: 0 every row imported (or already there), 1 some rows were rejected (see the report), 2 the file could
not be read or the import could not start (nothing, or only whole chunks, written), 130 interrupted.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from jkda.exchange.basedata import InstitutionImport, PopulationImport
from jkda.exchange.report import tqdm_progress
from jkda.exchange.residents import ResidentImport

IMPORTERS = {
    "institutions": InstitutionImport,
    "population": PopulationImport,
    "residents": ResidentImport,
}


def importers() -> dict:
    """The importers above and those other apps declare on their AppConfig: `importers = {kind: "dotted.Class"}`
    (a BaseDataImport subclass, e.g. `jkda import usage FILE` of indicators.platform)."""
    from django.apps import apps
    from django.utils.module_loading import import_string

    out = dict(IMPORTERS)
    for config in apps.get_app_configs():
        for kind, dotted in getattr(config, "importers", {}).items():
            out.setdefault(kind, import_string(dotted))
    return out


class Command(BaseCommand):
    help = _("Import institutions, population base data or residents (with their records) from a CSV or XLSX file. "
             "Rejected rows are written to FILE.rejected.csv with the reason; fix them there and import that file. "
             "Exit status 0: all rows taken; 1: some rows rejected; 2: the file could not be read.")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(importers()), help=_("what the file holds"))
        parser.add_argument("file", help=_("a .csv (UTF-8, UTF-8 with BOM or GBK/GB18030) or .xlsx file"))
        parser.add_argument("--dry-run", action="store_true",
                            help=_("validate every row and write the report, but change nothing in the database"))
        parser.add_argument("--report", metavar="PATH",
                            help=_("where to write the rejected rows (default: FILE.rejected.csv)"))
        parser.add_argument("--encoding", help=_("the CSV file's encoding when it cannot be detected, e.g. gb18030"))
        parser.add_argument("--actor", metavar="USERNAME",
                            help=_("the staff account the records are established by (its jurisdiction applies)"))
        parser.add_argument("--chunk-size", type=int, default=5000, metavar="N",
                            help=_("rows written per transaction (default 5000)"))
        parser.add_argument("--workers", type=int, default=None, metavar="N",
                            help=_("validation worker processes (0: validate in the writing process; default: 1 "
                                   "for a file of 2 MB or more when two cores are available, 2 on PostgreSQL, else "
                                   "0)"))
        parser.add_argument("--indexes", choices=["auto", "suspend", "keep"], default="auto",
                            help=_("residents: suspend the tables' secondary indexes while writing and rebuild them "
                                   "at the end (auto: when the file has at least 50,000 rows and no fewer than the "
                                   "residents already there; searches are slow meanwhile)"))
        parser.add_argument("--no-progress", action="store_true", help=_("no progress bar even on a terminal"))

    def handle(self, *args, **options):
        from jkda.regions.models import Staff

        kind = options["kind"]
        actor = None
        if options.get("actor"):
            try:
                actor = Staff.objects.filter(username=options["actor"], is_active=True).first()
            except DatabaseError as exc:
                raise CommandError(_("The database cannot be read (%(err)s): is it migrated (jkda migrate)?") % {
                    "err": exc}, returncode=2) from None
            if actor is None:
                raise CommandError(_("There is no active staff account %(name)s.") % {"name": options["actor"]},
                                   returncode=2)
        if options["chunk_size"] < 1:
            raise CommandError(_("--chunk-size must be at least 1."), returncode=2)
        workers = options["workers"]
        extra = {}
        if kind == "residents":
            extra = {"workers": None if workers is None else max(0, workers),
                     "suspend_indexes": {"auto": None, "suspend": True, "keep": False}[options["indexes"]],
                     "say": lambda message: self.stderr.write(message)}
        stream = sys.stderr
        progress = None
        if not options["no_progress"] and hasattr(stream, "isatty") and stream.isatty():
            progress = tqdm_progress(kind, stream)
        importer = importers()[kind](
            options["file"], actor=actor, dry_run=options["dry_run"], report_path=options.get("report"),
            encoding=options.get("encoding"), progress=progress, chunk_size=options["chunk_size"], **extra,
        )
        try:
            summary = importer.run()
        except KeyboardInterrupt:
            s = importer.summary
            raise CommandError(_("Interrupted after %(rows)d rows: %(n)d imported in whole chunks. Run the same "
                                 "command again to continue.") % {"rows": s.rows, "n": s.imported},
                               returncode=130) from None
        stopped = summary.stopped
        if summary.rows or not stopped:  # a file that could not be read at all needs no summary of nothing
            summary.stopped = ""
            for line in summary.lines():
                self.stdout.write(line)
            summary.stopped = stopped
        if stopped:
            raise CommandError(stopped, returncode=2)
        if summary.rejected:
            raise CommandError(_("%(n)d rows were rejected; the reasons are in %(path)s.") % {
                "n": summary.rejected, "path": summary.report_path}, returncode=1)
