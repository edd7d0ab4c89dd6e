from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamConfig(AppConfig):
    name = "jkda.services.exam"
    label = "exam"
    verbose_name = _("Health examination")
