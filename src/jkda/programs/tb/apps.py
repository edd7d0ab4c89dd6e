from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TbConfig(AppConfig):
    name = "jkda.programs.tb"
    label = "tb"
    verbose_name = _("Tuberculosis")

    def ready(self):
        from jkda.programs.registry import register
        from jkda.synth.extensions import register as register_synth

        from . import codes  # noqa: F401 - registers the value sets
        from .program import PROGRAM
        from .synth import generate_tb

        register(PROGRAM)
        register_synth("tb", generate_tb, order=41)
