"""Who may see which records: the first version of the jurisdiction rule.

A staff member sees the records managed by their own institution and by every institution under it in the
hierarchy (a centre sees its stations; a district bureau sees its centres and their stations). Superusers see
everything. Staff without an institution see nothing.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from jkda.regions.models import Institution


def visible_institution_ids(user) -> list[int] | None:
    """Ids of the institutions whose records the user may see; None means no restriction."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return None
    if not user.institution_id:
        return []
    inst = user.institution
    return list(Institution.objects.filter(path__startswith=inst.path).values_list("id", flat=True))


def restrict(queryset: QuerySet, user, field: str = "institution") -> QuerySet:
    ids = visible_institution_ids(user)
    if ids is None:
        return queryset
    from .grants import granted_record_ids  # records an active outside-access grant opens (read-only pages)

    granted = granted_record_ids(queryset, user)
    scoped = Q(**{f"{field}_id__in": ids})
    return queryset.filter(scoped | Q(pk__in=granted) if granted else scoped)


def may_manage(user, institution: Institution) -> bool:
    ids = visible_institution_ids(user)
    return ids is None or institution.pk in ids


def assignable_institutions(user) -> QuerySet:
    """Clinical institutions a user may establish records for."""
    qs = Institution.objects.filter(kind__in=Institution.CLINICAL_KINDS, active=True)
    ids = visible_institution_ids(user)
    return qs if ids is None else qs.filter(id__in=ids)


WRITE_ROLES = {"doctor", "record_manager", "head"}


def require_write(user, institution: Institution) -> None:
    """Refuse a change to records of an institution outside the user's reach or by a read-only role."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    if user is None:  # system jobs (import, synth) act without a user
        return
    if not user.is_superuser and user.role not in WRITE_ROLES:
        raise PermissionDenied(_("Your role may view records but not change them."))
    if not may_manage(user, institution):
        raise PermissionDenied(
            _("%(inst)s is outside your jurisdiction.") % {"inst": institution.name}
        )
