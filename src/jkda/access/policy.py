"""Enforcement of the role table at the edges: every page, the admin site and the JSON API.

- `AccessPolicyMiddleware`: a page whose view declares nothing (`access.roles.requires`) is refused, unless its URL
  name is listed in PUBLIC_URL_NAMES or it is a page of the resident portal (PORTAL_PREFIX, its own session); so
  a new page cannot bypass the role table by forgetting to declare it.
- `enforce_admin_site()`: Django's admin site opens to the system administrator (users, institutions, divisions,
  population data) and the security administrator (lockouts, second-factor devices) only, each to their own models.
- `ApiTokenAuth` / `ApiSessionAuth`: the API answers only roles that read personal data (403 for the others), and
  `MaskingRenderer` masks identity fields in every answer unless the endpoint revealed them (`?reveal=1`).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer, SessionAuth

from .masking import mask_data
from .roles import Perm, has

PUBLIC_URL_NAMES = frozenset({"login", "logout", "set_language"})
UNGUARDED_PREFIXES = ("/api/", "/admin/", "/static/")
# The resident portal (jkda.portal): residents sign in with their own portal session (a one-time code), not with a
# staff account, so the role table does not apply; every portal view checks its own session and shows only the
# signed-in resident's (or ward's) record. Staff pages of the portal app (answering a correction) live outside
# this prefix and declare their permission like any other page.
PORTAL_PREFIX = "/portal/"


class AccessPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(UNGUARDED_PREFIXES):
            return None
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in PUBLIC_URL_NAMES:
            return None
        if request.path.startswith(PORTAL_PREFIX) and getattr(view_func, "__module__", "") == "jkda.portal.views":
            return None
        if getattr(view_func, "access", None) is None:
            raise PermissionDenied(_("This page declares no access rule and is refused."))
        return None


# --- admin site -------------------------------------------------------------------------------------------------

# app label → the permission that administers its models (models of other apps are not shown to anybody)
ADMIN_APPS = {"regions": Perm.ADMIN_USERS, "auth": Perm.ADMIN_USERS, "axes": Perm.ADMIN_SECURITY,
              "otp_totp": Perm.ADMIN_SECURITY, "platform_usage": Perm.ADMIN_USERS}


def _admin_user(user) -> bool:
    return user.is_active and user.is_authenticated and (has(user, Perm.ADMIN_USERS) or has(user, Perm.ADMIN_SECURITY))


def enforce_admin_site(site) -> None:
    site.has_permission = lambda request: _admin_user(request.user)
    for model, model_admin in list(site._registry.items()):
        perm = ADMIN_APPS.get(model._meta.app_label)

        def allowed(request, obj=None, _perm=perm):
            return _perm is not None and has(request.user, _perm)

        model_admin.has_module_permission = allowed
        model_admin.has_view_permission = allowed
        # a model admin that narrows adding or changing itself (read-only registries) keeps its narrowing
        from django.contrib.admin import ModelAdmin

        own_add = type(model_admin).has_add_permission is not ModelAdmin.has_add_permission
        own_change = type(model_admin).has_change_permission is not ModelAdmin.has_change_permission
        model_admin.has_add_permission = (
            lambda request, obj=None, _a=allowed, _own=own_add, _o=model_admin.has_add_permission:
            _a(request) and (not _own or _o(request)))
        model_admin.has_change_permission = (
            lambda request, obj=None, _a=allowed, _own=own_change, _o=model_admin.has_change_permission:
            _a(request, obj) and (not _own or _o(request, obj)))
        original_delete = model_admin.has_delete_permission
        # regions never deletes (its admins say so); a lockout or a second-factor device may be removed (reset)
        model_admin.has_delete_permission = (
            lambda request, obj=None, _a=allowed, _o=original_delete, _p=perm:
            _a(request) and (_p == Perm.ADMIN_SECURITY or _o(request, obj)))


# --- API ----------------------------------------------------------------------------------------------------------

def check_api_user(user, perm: Perm = Perm.READ):
    if user is not None and user.is_authenticated and not has(user, perm):
        raise PermissionDenied(_("Your role (%(role)s) may not use the records API.") % {
            "role": user.get_role_display()})
    return user


class ApiTokenAuth(HttpBearer):
    def __init__(self, perm: Perm = Perm.READ):
        super().__init__()
        self.perm = perm

    def authenticate(self, request, token):
        from .models import ApiToken

        user = ApiToken.authenticate(token)
        if user is not None:
            request.user = user
        return check_api_user(user, self.perm)


class ApiSessionAuth(SessionAuth):
    def __init__(self, perm: Perm = Perm.READ):
        super().__init__()
        self.perm = perm

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return check_api_user(user, self.perm) if user else user


def api_auth(perm: Perm = Perm.READ) -> list:
    return [ApiTokenAuth(perm), ApiSessionAuth(perm)]


class MaskingRenderer(JSONRenderer):
    def render(self, request, data, *, response_status):
        if not getattr(request, "jkda_revealed", False):
            data = mask_data(data)
        return super().render(request, data, response_status=response_status)
