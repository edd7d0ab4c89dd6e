from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    name = "jkda.indicators.analysis"
    label = "analysis"
    verbose_name = _("Half-year analysis report")
    nav_links = [("analysis_report", _("Analysis report"), {"bureau", "head", "record_manager"})]
