"""Enrolment in a key-population program and the reminder calls of the work lists."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from jkda.codes.fields import CodeField
from jkda.records.models import NoDeleteModel, NoDeleteQuerySet, Record
from jkda.regions.models import Institution

from . import codes as C


class EnrollmentQuerySet(NoDeleteQuerySet):
    def active(self):
        return self.filter(exited_on__isnull=True)

    def active_on(self, day):
        return self.filter(enrolled_on__lte=day).filter(Q(exited_on__isnull=True) | Q(exited_on__gt=day))


class Enrollment(NoDeleteModel):
    """A record under management in one program (纳入管理), from enrolment to exit (退出管理)."""

    record = models.ForeignKey(Record, verbose_name=_("health record"), on_delete=models.PROTECT,
                               related_name="enrollments")
    program = models.CharField(_("program"), max_length=24)
    enrolled_on = models.DateField(_("date enrolled"))
    source = CodeField(_("how found"), valueset=C.ENROL_SOURCE, default="1")
    institution = models.ForeignKey(Institution, verbose_name=_("managing institution"), on_delete=models.PROTECT,
                                    related_name="+")
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("enrolled by"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    exited_on = models.DateField(_("date left"), null=True, blank=True)
    exit_reason = CodeField(_("reason for leaving"), valueset=C.EXIT_REASON, blank=True)
    exit_note = models.CharField(_("note on leaving"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords(no_db_index=["record", "institution", "enrolled_by"])

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("program enrolment")
        verbose_name_plural = _("program enrolments")
        constraints = [models.UniqueConstraint(fields=["record", "program"], condition=Q(exited_on__isnull=True),
                                               name="one_active_enrolment")]
        indexes = [models.Index(fields=["program", "exited_on"], name="enrol_program_exit")]

    def __str__(self):
        from .registry import program_label

        return f"{program_label(self.program)} {self.enrolled_on}"

    @property
    def is_active(self) -> bool:
        return self.exited_on is None

    @property
    def program_label(self) -> str:
        from .registry import program_label

        return program_label(self.program)


class CallLog(NoDeleteModel):
    """The outcome of a reminder call from a work list (who was called about what, and what they said)."""

    record = models.ForeignKey(Record, verbose_name=_("health record"), on_delete=models.PROTECT, related_name="+")
    program = models.CharField(_("program"), max_length=24)
    item = models.CharField(_("due item"), max_length=100)
    due_on = models.DateField(_("due date"))
    outcome = CodeField(_("outcome"), valueset=C.CALL_OUTCOME)
    appointment_on = models.DateField(_("appointment"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    called_at = models.DateTimeField(_("called at"), auto_now_add=True)
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("called by"))

    class Meta:
        verbose_name = _("reminder call")
        verbose_name_plural = _("reminder calls")
        indexes = [models.Index(fields=["record", "program", "due_on"], name="call_record_item")]
