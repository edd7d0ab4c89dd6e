"""The common shape of every service form (体检表, 随访表, 接诊记录 ...) and the registry of all of them.

A national form is one concrete subclass of `ServiceForm`: its fields carry labels and value sets (CodeField,
CodeListField), and a few class attributes declare everything else the system derives from it:

    kind          URL slug and API name, unique across the project ("exam", "hypertension_followup" ...)
    program       code of the program (programs.registry) whose enrolment the form needs, or None
    min_age_days / max_age_days
                  the resident's age on the service date the form applies to (a child form for an adult is refused)
    SECTIONS      the paper layout (records.forms.Section tuples); fields no section names land in "Other"
    REPEATABLE    {json field: (Column, ...)} for repeatable rows stored as JSON (drugs, vaccines ...)
    document_kind WS/T 483 shared-document kind, where there is one (for export and upload statistics)

and, per instance, `summary()` (one line for the timeline) and `clean()` for the form's own rules (call super()).

The web form, the JSON API schema, the record timeline, the "in use" date and the work lists all read these
declarations; nothing else repeats a field list. `service_models()` lists every concrete form of every installed
app, so a program sub-app only has to declare its models.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from jkda.records.models import NoDeleteModel, Record
from jkda.regions.models import Institution

# Fields every form has; they are filled by the action from the record, the user and the clock.
BASE_FIELDS = ("record", "institution", "doctor", "doctor_name", "form_version", "version", "created_at",
               "updated_at", "created_by")


def age_in_days(birth: dt.date, on: dt.date) -> int:
    return (on - birth).days


def age_in_years(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class ServiceForm(NoDeleteModel):
    """Abstract base of every stored service form: whose record, when, where, by whom, under which version."""

    kind: ClassVar[str] = ""
    program: ClassVar[str | None] = None
    min_age_days: ClassVar[int | None] = None
    max_age_days: ClassVar[int | None] = None
    SECTIONS: ClassVar[tuple] = ()
    REPEATABLE: ClassVar[dict] = {}
    document_kind: ClassVar[str] = ""
    # The field that holds the service date (the timeline's order, the "in use" date, the schedule's anchor).
    date_field: ClassVar[str] = "service_date"
    # Forms filled in the record's own institution only (False: any clinical institution the user may write to,
    # e.g. an encounter or a referral received).
    own_institution_only: ClassVar[bool] = True
    # False for forms written only by their app's own workflow (a referral's answer is written from the inbox):
    # no generic "new" page, link or API endpoint.
    generic_create: ClassVar[bool] = True

    record = models.ForeignKey(Record, verbose_name=_("health record"), on_delete=models.PROTECT, related_name="+")
    service_date = models.DateField(_("date of service"))
    institution = models.ForeignKey(Institution, verbose_name=_("institution"), on_delete=models.PROTECT,
                                    related_name="+")
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("doctor"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    doctor_name = models.CharField(_("doctor's signature"), max_length=50, blank=True)
    form_version = models.CharField(_("form version"), max_length=16, default="2017-3", editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", editable=False)
    history = HistoricalRecords(inherit=True, excluded_fields=["updated_at"],
                                no_db_index=["record", "institution", "doctor", "created_by"])

    class Meta:
        abstract = True
        ordering = ["-service_date", "-id"]

    # --- declarations read by the UI, API and timeline -------------------------------------------------------

    @classmethod
    def title(cls) -> str:
        return str(cls._meta.verbose_name)

    def summary(self) -> str:
        """One line for the record's timeline (override with the form's key figures)."""
        return ""

    @property
    def date(self) -> dt.date:
        return getattr(self, self.date_field)

    def check_change(self, actor) -> None:
        """Who may change a stored form beyond the record's writers: for forms any institution may write, only the
        institution that wrote it (override to let another party act, e.g. a referral's receiver)."""
        if not self.own_institution_only:
            from jkda.access.scope import require_write

            require_write(actor, self.institution)

    # --- generic rules: dates, record state, age, enrolment ----------------------------------------------------

    def clean(self):
        errors: dict[str, list[str]] = {}
        record = self.record if self.record_id else None
        when = getattr(self, self.date_field, None)
        if record is not None and isinstance(when, dt.date):
            from jkda.records.rules import today

            birth = record.resident.birth_date
            if when > today():
                errors.setdefault(self.date_field, []).append(gettext("The date of service cannot be in the future."))
            if birth and when < birth:
                errors.setdefault(self.date_field, []).append(
                    gettext("The date of service is before the resident's birth date (%(birth)s).")
                    % {"birth": birth.isoformat()})
            if record.closed_on and when > record.closed_on:
                errors.setdefault(self.date_field, []).append(
                    gettext("The date of service is after the record was closed (%(closed)s: %(reason)s).")
                    % {"closed": record.closed_on.isoformat(), "reason": record.get_close_reason_display()})
            if birth and when >= birth:
                days = age_in_days(birth, when)
                if self.min_age_days is not None and days < self.min_age_days:
                    errors.setdefault("__all__", []).append(self.age_message(birth, when))
                if self.max_age_days is not None and days > self.max_age_days:
                    errors.setdefault("__all__", []).append(self.age_message(birth, when))
        if errors:
            raise ValidationError(errors)

    def age_message(self, birth: dt.date, when: dt.date) -> str:
        return gettext("%(form)s does not apply to this resident: aged %(age)s on %(date)s.") % {
            "form": self.title(), "age": age_label(birth, when), "date": when.isoformat()}


def age_label(birth: dt.date, on: dt.date) -> str:
    """An age as a clinic writes it: years, or months under 3, or days under one month."""
    days = age_in_days(birth, on)
    if days < 31:
        return gettext("%(n)d days") % {"n": days}
    months = (on.year - birth.year) * 12 + on.month - birth.month - (on.day < birth.day)
    if months < 36:
        return gettext("%(n)d months") % {"n": months}
    return gettext("%(n)d years") % {"n": age_in_years(birth, on)}


def service_models() -> list[type[ServiceForm]]:
    """Every concrete service form of every installed app, in app then definition order."""
    return [m for m in apps.get_models() if issubclass(m, ServiceForm) and not m._meta.abstract
            and not m.__name__.startswith("Historical")]


def model_for(kind: str) -> type[ServiceForm]:
    for m in service_models():
        if m.kind == kind:
            return m
    raise LookupError(kind)


def check_registry() -> list[str]:
    """Problems in the declarations (empty or repeated kinds); the system check reports them."""
    seen: dict[str, str] = {}
    problems = []
    for m in service_models():
        if not m.kind:
            problems.append(f"{m._meta.label} declares no kind")
        elif m.kind in seen:
            problems.append(f"{m._meta.label} and {seen[m.kind]} both declare kind {m.kind!r}")
        else:
            seen[m.kind] = m._meta.label
    return problems
