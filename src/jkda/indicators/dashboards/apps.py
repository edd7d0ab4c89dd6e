from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "jkda.indicators.dashboards"
    label = "dashboards"
    verbose_name = _("Dashboards")
    nav_links = [("dashboards", _("Dashboards"), {"doctor", "record_manager", "head", "bureau", "assessor"})]
