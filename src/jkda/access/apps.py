from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class _NotAdmin:
    """Every role except the three administrators (who do not read health records)."""

    def __contains__(self, role) -> bool:
        return role not in {"sysadmin", "secadmin", "auditor"}


NOT_ADMIN = _NotAdmin()


class AccessConfig(AppConfig):
    name = "jkda.access"
    verbose_name = _("Access control")
    nav_links = [("audit_trail", _("Audit trail"), {"auditor"}),
                 ("access_requests", _("Outside access"), NOT_ADMIN),
                 ("assessment_assignments", _("Assessors")),
                 ("admin:index", _("Administration"), {"sysadmin", "secadmin"})]

    def ready(self):
        from django.contrib import admin
        from django.contrib.auth import get_user_model

        from . import signals
        from .policy import enforce_admin_site

        signals.connect(get_user_model())
        enforce_admin_site(admin.site)
