"""Template context shared by every page: the navigation links of the installed apps."""

from django.apps import apps
from django.urls import NoReverseMatch, reverse


def navigation(request):
    """Apps declare `nav_links = [(url name, label), ...]` on their AppConfig; the header shows them. A third
    element, a set of roles, shows the link to those roles only."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    links = []
    for config in apps.get_app_configs():
        for name, label, *roles in getattr(config, "nav_links", ()):
            if roles and getattr(request.user, "role", None) not in roles[0]:
                continue
            try:
                links.append((name, reverse(name), label))
            except NoReverseMatch:
                continue
    return {"app_nav": links}
