from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChronicConfig(AppConfig):
    name = "jkda.programs.chronic"
    label = "chronic"
    verbose_name = _("Hypertension and type 2 diabetes")
