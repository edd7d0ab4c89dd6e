from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TbConfig(AppConfig):
    name = "jkda.programs.tb"
    label = "tb"
    verbose_name = _("Tuberculosis")
