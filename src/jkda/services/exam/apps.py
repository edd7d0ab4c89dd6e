from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamConfig(AppConfig):
    name = "jkda.services.exam"
    label = "exam"
    verbose_name = _("Health examination")

    def ready(self):
        from jkda.synth.extensions import register

        from .synth import generate_exams

        register("exam", generate_exams, order=40)
