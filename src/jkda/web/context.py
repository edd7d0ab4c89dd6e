"""Template context shared by every page: the navigation links of the installed apps and the user's permissions."""

import functools

from django.apps import apps
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import NoReverseMatch, Resolver404, get_script_prefix, get_urlconf, resolve, reverse

from jkda.access.roles import AUTHENTICATED, PUBLIC, permissions


def _may_open(url: str, perms, role=None, urlconf=None) -> bool:
    """The link's view declares what it needs (access.roles.requires): show it only to users who have it."""
    try:
        func = resolve(url, urlconf=urlconf).func
    except Resolver404:
        return False
    needed = getattr(func, "access", None)
    if needed is None:
        return True
    narrowed = getattr(func, "access_roles", None)
    if narrowed is not None and role not in narrowed:
        return False
    return PUBLIC in needed or AUTHENTICATED in needed or any(p in perms for p in needed)


@functools.lru_cache(maxsize=64)
def _links(role, perms: frozenset, prefix: str, urlconf) -> tuple[tuple, frozenset[str]]:
    """The header links and permission names of a role and its permissions: they depend on nothing else (URLs come
    from the URL configuration and script prefix), so each process works them out once per role."""
    links = []
    for config in apps.get_app_configs():
        for name, label, *roles in getattr(config, "nav_links", ()):
            if roles and role not in roles[0]:
                continue
            try:
                url = reverse(name, urlconf=urlconf)
            except NoReverseMatch:
                continue
            if _may_open(url, perms, role, urlconf):
                links.append((name, url, label))
    return tuple(links), frozenset(str(p) for p in perms)


@receiver(setting_changed)
def _forget_links(*, setting, **kwargs):
    if setting in ("ROOT_URLCONF", "INSTALLED_APPS"):  # tests that swap them
        _links.cache_clear()


def navigation(request):
    """Apps declare `nav_links = [(url name, label), ...]` on their AppConfig; the header shows them to the users
    whose role may open the page. A third element, a set of roles, narrows a link to those roles."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    links, perms = _links(getattr(request.user, "role", None), permissions(request.user), get_script_prefix(),
                          get_urlconf())
    return {"app_nav": list(links), "jkda_perms": set(perms)}
