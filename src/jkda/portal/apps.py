from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "jkda.portal"
    label = "portal"
    verbose_name = _("Resident portal")
    worklist_panels = ["jkda.portal.worklist.corrections_panel"]
