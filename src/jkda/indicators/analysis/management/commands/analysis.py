"""jkda analysis --area CODE --half 2026H1 --out FILE.docx [--user USERNAME] — the half-year analysis report."""

from __future__ import annotations

import os
import tempfile

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jkda.indicators.analysis.actions import export_report


class Command(BaseCommand):
    help = _("Write the half-year analysis report of an area (a division or an institution code) as a Word "
             "document.")

    def add_arguments(self, parser):
        parser.add_argument("--area", required=True, help=_("division code (city, district, township) or "
                                                            "institution code"))
        parser.add_argument("--half", required=True, help=_("half-year, e.g. 2026H1 (January–June) or 2026H2"))
        parser.add_argument("--out", required=True, help=_("the .docx file to write"))
        parser.add_argument("--user", metavar="USERNAME",
                            help=_("report as this staff account (its jurisdiction and role apply; without it the "
                                   "report holds counts only)"))
        parser.add_argument("--top", type=int, default=0, metavar="N", help=_("how many main health problems"))

    def handle(self, *args, area, half, out, user=None, top=0, **options):
        from jkda.regions.models import Staff

        actor = None
        if user:
            actor = Staff.objects.filter(username=user, is_active=True).select_related("institution").first()
            if actor is None:
                raise CommandError(_("There is no active staff account %(name)s.") % {"name": user})
        if top < 0:
            raise CommandError(_("--top must be a positive number."))
        folder = os.path.dirname(os.path.abspath(out))
        if not os.path.isdir(folder):
            raise CommandError(_("The folder %(path)s does not exist.") % {"path": folder})
        try:
            report, content = export_report(area, half, actor, top_n=top or None)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            os.replace(tmp, out)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self.stdout.write(_("%(title)s → %(path)s") % {"title": report["title"], "path": out})
