from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ElderlyConfig(AppConfig):
    name = "jkda.programs.elderly"
    label = "elderly"
    verbose_name = _("Elderly health management")

    def ready(self):
        from .program import register_programs

        register_programs()
