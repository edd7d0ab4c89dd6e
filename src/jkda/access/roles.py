"""The role table: what each staff role may do, declared once.

Every check of "may this user do X" reads `ROLE_PERMISSIONS` through `has()` (views, the API, the scope rule, the
navigation, the access-matrix test). The `is_superuser` flag grants nothing here: it only opens Django's admin
site to the system administrator; health data follows the role alone (三权分立, least privilege).

| role | read personal data | write | reveal | aggregates | export | users | security | audit |
| doctor, record manager, head | own institution and below | yes | yes | yes | yes | | | |
| bureau (district bureau, CDC) | masked, its district | | | yes | | | | |
| assessor | masked, assigned institutions while the assignment runs | | | yes | | | | |
| sysadmin | | | | | | yes | | |
| secadmin | | | | | | | yes | |
| auditor | | | | | | | | yes (and its export) |
"""

from __future__ import annotations

import enum
import functools

from django.utils.translation import gettext_lazy as _


class Perm(enum.StrEnum):
    READ = "read"  # read identified personal data (record pages, service forms, the API's personal data)
    WRITE = "write"  # establish and change records and forms
    REVEAL = "reveal"  # see full ID numbers, phones and addresses (each reveal is audited)
    AGGREGATES = "aggregates"  # counts, summaries, indicators
    EXPORT = "export"  # export personal data (work list CSV / print, info card PDF), with a purpose, audited
    ASSIGN_ASSESSORS = "assign_assessors"  # give assessors time-limited read access to institutions
    ADMIN_USERS = "admin_users"  # staff accounts, institutions, divisions, configuration
    ADMIN_SECURITY = "admin_security"  # access policy, lockouts, second-factor reset
    READ_AUDIT = "read_audit"  # read and export the audit trail


CLINICAL = frozenset({Perm.READ, Perm.WRITE, Perm.REVEAL, Perm.AGGREGATES, Perm.EXPORT})

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    "doctor": CLINICAL,
    "record_manager": CLINICAL,
    "head": CLINICAL,
    "bureau": frozenset({Perm.READ, Perm.AGGREGATES, Perm.ASSIGN_ASSESSORS}),
    "assessor": frozenset({Perm.READ, Perm.AGGREGATES}),
    "sysadmin": frozenset({Perm.ADMIN_USERS}),
    "secadmin": frozenset({Perm.ADMIN_SECURITY}),
    "auditor": frozenset({Perm.READ_AUDIT}),
}

# The three administrators (三权分立): each does one job, none reads health data, each needs a second factor.
ADMIN_ROLES = frozenset({"sysadmin", "secadmin", "auditor"})
# Roles whose reach is not their own institution's subtree (see access.scope).
ASSESSOR = "assessor"
BUREAU = "bureau"

PERM_LABELS = {
    Perm.READ: _("Read personal data"),
    Perm.WRITE: _("Change records"),
    Perm.REVEAL: _("Reveal masked fields"),
    Perm.AGGREGATES: _("See aggregates"),
    Perm.EXPORT: _("Export personal data"),
    Perm.ASSIGN_ASSESSORS: _("Assign assessors"),
    Perm.ADMIN_USERS: _("Administer users and configuration"),
    Perm.ADMIN_SECURITY: _("Administer security policy"),
    Perm.READ_AUDIT: _("Read the audit trail"),
}


def permissions(user) -> frozenset[Perm]:
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return frozenset()
    return ROLE_PERMISSIONS.get(getattr(user, "role", None) or "", frozenset())


def has(user, perm: Perm | str) -> bool:
    return Perm(perm) in permissions(user)


def roles_with(perm: Perm | str) -> set[str]:
    return {role for role, perms in ROLE_PERMISSIONS.items() if Perm(perm) in perms}


# --- the view declaration ------------------------------------------------------------------------------------

PUBLIC = "public"  # no login needed, no personal data (login page, language switch, static files)
AUTHENTICATED = "authenticated"  # any signed-in user, about their own account (password, second factor)


def requires(*perms: Perm | str, roles=None):
    """Declare and enforce what a view needs: any one of `perms` (or PUBLIC / AUTHENTICATED), and, for a page that
    only some of the roles holding the permission use (a bureau sets targets), those roles (`roles`).

    The declaration is kept on the view (`view.access`, `view.access_roles`); `AccessPolicyMiddleware` refuses any
    view without one, so a new page cannot skip the role table by forgetting it."""
    needed = tuple(perms)
    narrowed = frozenset(roles) if roles is not None else None

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            check(request, needed, narrowed)
            return view(request, *args, **kwargs)

        wrapper.access = needed
        wrapper.access_roles = narrowed
        return wrapper

    return decorator


def check(request, needed, roles=None) -> None:
    from django.core.exceptions import PermissionDenied

    if PUBLIC in needed:
        return
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return  # login_required (inside) sends the visitor to the login page
    if AUTHENTICATED in needed:
        return
    if not any(has(user, p) for p in needed) or (roles is not None and getattr(user, "role", None) not in roles):
        from . import audit

        audit.log("read", object_type="page", object_id=request.path[:64], outcome="denied",
                  detail={"role": getattr(user, "role", ""), "needs": [str(p) for p in needed]})
        raise PermissionDenied(_("Your role (%(role)s) may not open this page.") % {
            "role": user.get_role_display() if hasattr(user, "get_role_display") else ""})
