from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicalConfig(AppConfig):
    name = "jkda.services.clinical"
    label = "clinical"
    verbose_name = _("Encounters, consultations and referrals")
    nav_links = [("clinical_referrals", _("Referrals"))]

    def ready(self):
        from jkda.synth.extensions import register

        from .synth import generate_clinical

        register("clinical", generate_clinical, order=60)
