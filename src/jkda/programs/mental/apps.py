from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MentalConfig(AppConfig):
    name = "jkda.programs.mental"
    label = "mental"
    verbose_name = _("Severe mental disorders")

    def ready(self):
        from jkda.programs.registry import register
        from jkda.synth.extensions import register as register_synth

        from . import codes  # noqa: F401 - registers the value sets
        from .program import PROGRAM
        from .synth import generate_smi

        register(PROGRAM)
        register_synth("smi", generate_smi, order=40)
