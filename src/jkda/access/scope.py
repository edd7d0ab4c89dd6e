"""Who may see which records: the jurisdiction rule, in one place.

What a role may do comes from the role table (access.roles); *where* it may do it comes from here:

- clinical staff (doctor, record manager, head) see the records managed by their own institution and by every
  institution under it (a centre sees its stations; a township hospital its village clinics);
- bureau staff see their district (the bureau's subtree); staff of a CDC see the district of the bureau the CDC
  reports to. Both read with masked identities and never reveal (roles table);
- an assessor sees the institutions (and those under them) of an assessment assignment while it runs, read-only;
- the system, security and audit administrators see no records at all, whatever `is_superuser` says;
- a record may additionally be opened by an active outside-access grant (`grant_condition`, the hook below).

Views and API endpoints fetch personal data only through `restrict()` / `visible_institution_ids()`.
"""

from __future__ import annotations

import contextvars

from django.db.models import Q, QuerySet
from django.utils import timezone

from jkda.regions.models import Institution

from .roles import ASSESSOR, BUREAU, Perm, has, permissions, roles_with


def _subtree_ids(institutions) -> list[int]:
    cond = Q()
    for inst in institutions:
        cond |= Q(path__startswith=inst.path)
    if not cond:
        return []
    return list(Institution.objects.filter(cond).values_list("id", flat=True))


def current_assignments(user, on=None):
    """The assessor's assessment assignments that run today (started, not ended, not revoked)."""
    from .models import AssessmentAssignment

    on = on or timezone.localdate()
    return AssessmentAssignment.objects.filter(assessor=user, starts_on__lte=on, ends_on__gte=on,
                                               revoked_at__isnull=True)


def scope_root(user) -> Institution | None:
    """The institution whose subtree a (non-assessor) user reads: their own, or for CDC staff their bureau."""
    inst = user.institution if user.institution_id else None
    if inst is not None and user.role == BUREAU and inst.kind == Institution.Kind.CDC and inst.parent_id:
        return inst.parent
    return inst


# Within one request the same user's reach is asked for several times (the record, its forms, the action links);
# ScopeMemoMiddleware keeps the answer for the request's duration. Outside a request nothing is kept.
_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("jkda_scope_memo", default=None)


class ScopeMemoMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)


def visible_institution_ids(user) -> list[int]:
    """Ids of the institutions whose records the user may read (empty: none)."""
    memo = _memo.get()
    if memo is None:
        return _visible_institution_ids(user)
    key = (user.pk, getattr(user, "role", None), getattr(user, "institution_id", None), permissions(user))
    if key not in memo:
        memo[key] = _visible_institution_ids(user)
    return list(memo[key])


def _visible_institution_ids(user) -> list[int]:
    if not has(user, Perm.READ):
        return []
    if user.role == ASSESSOR:
        insts = Institution.objects.filter(assessment_assignments__in=current_assignments(user)).distinct()
        return _subtree_ids(insts)
    root = scope_root(user)
    return _subtree_ids([root]) if root is not None else []


def grant_condition(queryset: QuerySet, user, field: str) -> Q | None:
    """Hook for outside-access grants: the condition of the rows (records, or rows of a record) that an active
    grant opens to this user, or None. The grants module fills this in; the jurisdiction rule above is unchanged."""
    from .grants import granted_record_ids  # records an active outside-access grant opens (read-only pages)

    granted = granted_record_ids(queryset, user)
    return Q(pk__in=granted) if granted else None


def restrict(queryset: QuerySet, user, field: str = "institution") -> QuerySet:
    """The rows of `queryset` whose `field` institution lies in the user's reach (plus rows opened by grants)."""
    cond = Q(**{f"{field}_id__in": visible_institution_ids(user)})
    granted = grant_condition(queryset, user, field)
    if granted is not None:
        cond |= granted
    return queryset.filter(cond)


def may_manage(user, institution: Institution) -> bool:
    """The institution lies in the user's reach (reading); writing also needs the write permission."""
    return institution is not None and institution.pk in visible_institution_ids(user)


def assignable_institutions(user) -> QuerySet:
    """Clinical institutions a user may establish records for."""
    qs = Institution.objects.filter(kind__in=Institution.CLINICAL_KINDS, active=True)
    return qs.filter(id__in=visible_institution_ids(user))  # a read-only role is refused by the action, clearly


WRITE_ROLES = frozenset(roles_with(Perm.WRITE))


def may_write(user, institution: Institution) -> bool:
    return has(user, Perm.WRITE) and may_manage(user, institution)


def require_write(user, institution: Institution) -> None:
    """Refuse a change to records of an institution outside the user's reach or by a read-only role."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    if user is None:  # system jobs (import, synth) act without a user
        return
    if not has(user, Perm.WRITE):
        raise PermissionDenied(_("Your role may view records but not change them."))
    if not may_manage(user, institution):
        raise PermissionDenied(
            _("%(inst)s is outside your jurisdiction.") % {"inst": institution.name}
        )
