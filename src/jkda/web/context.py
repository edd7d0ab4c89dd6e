"""Template context shared by every page: the navigation links of the installed apps and the user's permissions."""

from django.apps import apps
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from jkda.access.roles import AUTHENTICATED, PUBLIC, permissions


def _may_open(url: str, perms, role=None) -> bool:
    """The link's view declares what it needs (access.roles.requires): show it only to users who have it."""
    try:
        func = resolve(url).func
    except Resolver404:
        return False
    needed = getattr(func, "access", None)
    if needed is None:
        return True
    narrowed = getattr(func, "access_roles", None)
    if narrowed is not None and role not in narrowed:
        return False
    return PUBLIC in needed or AUTHENTICATED in needed or any(p in perms for p in needed)


def navigation(request):
    """Apps declare `nav_links = [(url name, label), ...]` on their AppConfig; the header shows them to the users
    whose role may open the page. A third element, a set of roles, narrows a link to those roles."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    perms = permissions(request.user)
    links = []
    for config in apps.get_app_configs():
        for name, label, *roles in getattr(config, "nav_links", ()):
            if roles and getattr(request.user, "role", None) not in roles[0]:
                continue
            try:
                url = reverse(name)
            except NoReverseMatch:
                continue
            if _may_open(url, perms, getattr(request.user, "role", None)):
                links.append((name, url, label))
    return {"app_nav": links, "jkda_perms": {str(p) for p in perms}}
