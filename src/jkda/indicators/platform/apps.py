from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformConfig(AppConfig):
    name = "jkda.indicators.platform"
    label = "platform_usage"
    verbose_name = _("Platform usage and upload statistics")
    nav_links = [("platform_usage_report", _("Platform usage"), {"bureau", "head"})]
    # `jkda import usage|uploads|registrations FILE` (see jkda.exchange.management.commands.import)
    importers = {
        "registrations": "jkda.indicators.platform.imports.RegistrationImport",
        "usage": "jkda.indicators.platform.imports.UsageImport",
        "uploads": "jkda.indicators.platform.imports.UploadImport",
    }

    def ready(self):
        from jkda.synth.extensions import register

        from .synth import generate_platform

        register("platform", generate_platform, order=95)

        from .usage import connect

        connect()  # the system counts the use of its own functions
