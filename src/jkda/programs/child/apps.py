from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChildConfig(AppConfig):
    name = "jkda.programs.child"
    label = "child"
    verbose_name = _("Children 0–6 and immunisation")
