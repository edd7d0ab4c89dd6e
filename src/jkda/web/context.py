"""Template context shared by every page: the navigation links of the installed apps."""

from django.apps import apps
from django.urls import NoReverseMatch, reverse


def navigation(request):
    """Apps declare `nav_links = [(url name, label), ...]` on their AppConfig; the header shows them."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    links = []
    for config in apps.get_app_configs():
        for name, label in getattr(config, "nav_links", ()):
            try:
                links.append((name, reverse(name), label))
            except NoReverseMatch:
                continue
    return {"app_nav": links}
