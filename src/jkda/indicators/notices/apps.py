from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "jkda.indicators.notices"
    label = "notices"
    verbose_name = _("Notices")
    nav_links = [("notice", _("Notice"), {"bureau"}), ("ranking", _("Rankings"), {"bureau"})]
