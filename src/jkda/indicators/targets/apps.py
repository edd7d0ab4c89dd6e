from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TargetsConfig(AppConfig):
    name = "jkda.indicators.targets"
    label = "targets"
    verbose_name = _("Targets and milestones")
    nav_links = [("targets_index", _("Targets"))]

    def ready(self):
        from jkda.synth.extensions import register

        from .synth import generate_targets

        register("targets", generate_targets, order=97)
