from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChildConfig(AppConfig):
    name = "jkda.programs.child"
    label = "child"
    verbose_name = _("Children 0–6 and immunisation")
    nav_links = [("child_immunisation", _("Immunisation"))]

    def ready(self):
        from jkda.programs.registry import register
        from jkda.synth.extensions import register as register_synth

        from . import codes  # noqa: F401 - registers the value sets
        from .program import PROGRAM
        from .synth import generate_children

        register(PROGRAM)
        register_synth("child", generate_children, order=40)
