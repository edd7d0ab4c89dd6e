from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MaternalConfig(AppConfig):
    name = "jkda.programs.maternal"
    label = "maternal"
    verbose_name = _("Maternal health")

    def ready(self):
        from jkda.programs.registry import Program, register
        from jkda.synth.extensions import register as register_synth

        from . import codes  # noqa: F401 - registers the value sets
        from .program import due, eligible
        from .synth import generate_maternal

        register(Program(code="maternal", label=_("Maternal health management"), eligible=eligible, due=due,
                         order=60))
        register_synth("maternal", generate_maternal, order=60)
