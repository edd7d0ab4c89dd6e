"""jkda audit verify | export --out FILE | purge --before YYYY-MM-DD"""

from __future__ import annotations

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError

from jkda.access import audit
from jkda.access.models import AuditEntry
from jkda.access.views import write_csv


class Command(BaseCommand):
    help = "审计日志：校验、导出、清理过期记录 / audit trail: verify the hash chain, export, purge expired entries"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        sub.add_parser("verify", help="check that no entry was changed or deleted (exit 1 if one was)")
        export = sub.add_parser("export", help="write the trail as CSV")
        export.add_argument("--out", required=True, help="CSV file to write ('-' for standard output)")
        purge = sub.add_parser("purge", help="delete entries older than the retention period")
        purge.add_argument("--before", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")

    def handle(self, *args, what, **opts):
        if what == "verify":
            result = audit.verify()
            if result.ok:
                self.stdout.write(f"审计日志完整 / audit trail intact: {result.checked} entries")
                return
            for p in result.problems:
                self.stderr.write(p)
            self.stderr.write(f"审计日志被篡改 / audit trail tampered with: {len(result.problems)} problem(s) in "
                              f"{result.checked} entries")
            sys.exit(1)
        if what == "export":
            out = opts["out"]
            rows = AuditEntry.objects.order_by("id").iterator()
            if out == "-":
                n = write_csv(rows, self.stdout)
            else:
                with open(out, "w", encoding="utf-8-sig", newline="") as f:
                    n = write_csv(rows, f)
            audit.log("export", object_type="audit", object_id="trail", detail={"rows": n, "to": out})
            if out != "-":
                self.stdout.write(f"{n} entries → {out}")
            return
        try:
            n = audit.purge(opts["before"])
        except audit.RetentionError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{n} entries purged")
