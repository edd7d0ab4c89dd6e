from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "jkda.programs"
    verbose_name = _("Key-population programs")
    nav_links = [("worklist", _("Work list")), ("screening", _("Screening list"))]

    def ready(self):
        from jkda.records.signals import record_closed

        from . import codes  # noqa: F401 - registers the value sets
        from .actions import on_record_closed

        record_closed.connect(on_record_closed, dispatch_uid="programs.on_record_closed")
