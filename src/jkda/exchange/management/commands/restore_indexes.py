"""jkda restore_indexes — rebuild the indexes an import suspended and could not rebuild (it was killed)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jkda.exchange import indexes


class Command(BaseCommand):
    help = _("Rebuild the indexes a large import suspended while it wrote, if it was killed before rebuilding them "
             "(the next import, jkda migrate and jkda serve do this too). --list shows them.")

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help=_("only list the suspended indexes"))

    def handle(self, *args, **options):
        if options["list"]:
            items = indexes.suspended()
            for item in items:
                self.stdout.write(f"{item.table}\t{item.name}\t{item.get_kind_display()}\t"
                                  f"{item.suspended_at:%Y-%m-%d %H:%M}\t{item.source}")
            if not items:
                self.stdout.write(_("No index is suspended."))
            return
        done = indexes.restore_if_idle(say=self.stdout.write)
        if done is None:
            raise CommandError(_("An import is running with its indexes suspended; it rebuilds them when it ends."),
                               returncode=1)
        if not done:
            self.stdout.write(_("No index is suspended."))
