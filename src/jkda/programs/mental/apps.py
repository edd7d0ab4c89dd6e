from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MentalConfig(AppConfig):
    name = "jkda.programs.mental"
    label = "mental"
    verbose_name = _("Severe mental disorders")
