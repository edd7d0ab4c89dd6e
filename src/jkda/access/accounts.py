"""Creating staff accounts (used by `jkda createuser`, `jkda demo` and the admin)."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jkda.regions.models import Institution, Staff


@transaction.atomic
def create_staff(username: str, *, role: str, institution_code: str | None, password: str,
                 full_name: str = "", check_password: bool = True) -> Staff:
    if role not in Staff.Role.values:
        raise ValidationError(_("Unknown role “%(role)s”; choose one of: %(roles)s") % {
            "role": role, "roles": ", ".join(Staff.Role.values)})
    if Staff.objects.filter(username=username).exists():
        raise ValidationError(_("The user name “%(u)s” is already taken.") % {"u": username})
    institution = None
    if institution_code:
        institution = Institution.objects.filter(code=institution_code).first()
        if institution is None:
            raise ValidationError(_("No institution has the code “%(c)s”.") % {"c": institution_code})
    elif role not in {"sysadmin", "secadmin", "auditor"}:
        raise ValidationError(_("Staff in the role “%(role)s” must belong to an institution (--institution).")
                              % {"role": role})
    user = Staff(username=username, role=role, institution=institution, full_name=full_name)
    if check_password:
        validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user
