from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "jkda.services"
    verbose_name = _("Services")

    def ready(self):
        from .base import check_registry

        @checks.register()
        def service_forms(app_configs, **kwargs):
            return [checks.Error(p, id="jkda.services.E001") for p in check_registry()]
