from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "jkda.indicators"
    label = "indicators"
    verbose_name = _("Indicators")

    def ready(self):
        from . import facts

        facts.connect()
