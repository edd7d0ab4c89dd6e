from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "jkda.access"
    verbose_name = _("Access control")
    nav_links = [("audit_trail", _("Audit trail"), {"auditor"})]

    def ready(self):
        from django.contrib.auth import get_user_model

        from . import signals

        signals.connect(get_user_model())
