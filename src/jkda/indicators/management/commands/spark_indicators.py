"""`jkda spark_indicators`: the catalogue's figures computed by Apache Spark (PySpark) from the database's tables
exported per county — the provincial path; the same querysets as `jkda indicators`, the same numbers."""

from __future__ import annotations

import tempfile

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jkda.indicators import engine
from jkda.indicators.cli import request_from, write_tables


class Command(BaseCommand):
    help = "Compute indicators with Apache Spark over the database's tables exported by county."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="2026, 2026H1, 2026Q3, 2026-05, 2026-ytd, ...")
        parser.add_argument("--level", default="county", choices=engine.LEVELS)
        parser.add_argument("--indicator", action="append", default=[], help="indicator code (repeatable; "
                            "default: all)")
        parser.add_argument("--within", help="division code to limit the units to (e.g. a district)")
        parser.add_argument("--export", help="directory for the exported tables (default: a temporary one)")
        parser.add_argument("--reuse", action="store_true", help="read the tables already exported to --export "
                            "instead of exporting again")
        parser.add_argument("--no-partition", action="store_true", help="do not partition the export by county")
        parser.add_argument("--master", default="local[2]", help="Spark master URL (default local[2])")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, *args, **opts):
        try:
            import pyspark  # noqa: F401
        except ImportError:
            raise CommandError(_("PySpark is not installed: pip install '.[spark]'.")) from None
        from jkda.indicators import spark as S

        period, codes, within = request_from(opts)
        if opts["reuse"] and not opts["export"]:
            raise CommandError(_("--reuse needs --export (the directory of an earlier export)."))
        with tempfile.TemporaryDirectory(prefix="jkda-spark-") as tmp:
            path = opts["export"] or tmp
            if not opts["reuse"]:
                result = S.export(path, by_county=not opts["no_partition"])
                self.stderr.write(_("Exported %(tables)d tables (%(rows)d rows) in %(s).1f s to %(path)s.") % {
                    "tables": len(result.rows), "rows": sum(result.rows.values()), "s": result.seconds,
                    "path": path})
            try:
                source = S.Source(path, S.session(opts["master"]))
            except S.SparkError as exc:
                raise CommandError(_("No export in %(path)s: run without --reuse first.") % {"path": path}) \
                    from exc
            tables = S.compute_levels(codes, period, [opts["level"]], source, within)[opts["level"]]
        write_tables(self.stdout, tables, period, opts["json"])
