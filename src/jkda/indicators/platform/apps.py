from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformConfig(AppConfig):
    name = "jkda.indicators.platform"
    label = "platform_usage"
    verbose_name = _("Platform usage and upload statistics")
