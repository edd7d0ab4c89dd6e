from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MaternalConfig(AppConfig):
    name = "jkda.programs.maternal"
    label = "maternal"
    verbose_name = _("Maternal health")
