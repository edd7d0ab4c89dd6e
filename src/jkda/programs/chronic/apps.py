from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChronicConfig(AppConfig):
    name = "jkda.programs.chronic"
    label = "chronic"
    verbose_name = _("Hypertension and type 2 diabetes")

    def ready(self):
        from jkda.programs.registry import register
        from jkda.synth.extensions import register as register_synth

        from . import codes  # noqa: F401 - registers the value sets
        from .programs import PROGRAM_LIST
        from .synth import generate_chronic

        for program in PROGRAM_LIST:
            register(program)
        register_synth("chronic", generate_chronic, order=20)
