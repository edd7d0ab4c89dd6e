from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "jkda.services.community"
    label = "community"
    verbose_name = _("Institution-level public health services")
    nav_links = [("community_index", _("Public health services"))]

    def ready(self):
        from jkda.synth.extensions import register

        from . import codes  # noqa: F401 - registers the value sets
        from .synth import generate_community

        register("community", generate_community, order=90)
