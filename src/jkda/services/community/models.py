"""Institution-level public health services: they belong to an institution, not to one resident's record.

    NoticeBoard            宣传栏 (and, through EducationActivity of kind "board update", its updates)
    PrintedMaterial        印刷资料 (one row per kind of printed material provided in a year)
    EducationActivity      健康教育活动记录表
    InfectiousReport       传染病报告卡 (a revision is a new card; the original stays, marked revised)
    SupervisionReport      卫生计生监督协管信息报告登记表
    SupervisionVisit       卫生计生监督协管巡查登记表

Every model declares, like a ServiceForm, `slug`, `date_field`, `kind_field` (the list filter), `SECTIONS`,
`REPEATABLE` and `list_fields`; the pages, forms and API of this app read those declarations. Writes go through
`community.actions` only (permission, validation, history, one transaction); nothing is ever deleted.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from jkda.codes import valuesets as V
from jkda.codes.fields import CodeField, CodeListField
from jkda.records.layout import Column, Section
from jkda.records.models import NoDeleteModel, Record
from jkda.regions.models import Institution

from . import codes as C
from . import rules

NON_NEGATIVE = _("The number cannot be negative.")


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


class InstitutionService(NoDeleteModel):
    """Abstract base: which institution, which form version, who created it, and the change history."""

    slug: ClassVar[str] = ""
    date_field: ClassVar[str] = ""
    kind_field: ClassVar[str] = ""
    SECTIONS: ClassVar[tuple] = ()
    REPEATABLE: ClassVar[dict] = {}
    list_fields: ClassVar[tuple[str, ...]] = ()

    institution = models.ForeignKey(Institution, verbose_name=_("institution"), on_delete=models.PROTECT,
                                    related_name="+")
    form_version = models.CharField(_("form version"), max_length=16, default="2017-3", editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", editable=False)
    history = HistoricalRecords(inherit=True, excluded_fields=["updated_at"], no_db_index=["institution",
                                                                                         "created_by"])

    class Meta:
        abstract = True

    @classmethod
    def title(cls) -> str:
        return str(cls._meta.verbose_name)

    @property
    def date(self):
        value = getattr(self, self.date_field)
        return timezone.localtime(value).date() if isinstance(value, dt.datetime) else value

    def clean(self):
        errors: dict[str, list[str]] = {}
        self.check_rules(errors)
        if errors:
            raise ValidationError(errors)

    def check_rules(self, errors: dict) -> None:
        """The model's own rules; the base refuses a date in the future."""
        from jkda.records.rules import today

        when = getattr(self, self.date_field, None)
        if isinstance(when, dt.datetime):
            if when > timezone.now():
                _add(errors, self.date_field, gettext("The time cannot be in the future."))
        elif isinstance(when, dt.date) and when > today():
            _add(errors, self.date_field, gettext("The date cannot be in the future."))

    def __str__(self):
        return f"{self.title()} {self.date}"


class NoticeBoard(InstitutionService):
    """A health education notice board (健康教育宣传栏) of an institution; retired, never deleted."""

    slug = "notice_board"
    date_field = "set_up_on"
    list_fields = ("name", "location", "area", "set_up_on", "retired_on")
    SECTIONS = (Section("board", _("Notice board"), ("name", "location", "area", ("set_up_on", "retired_on"))),)

    name = models.CharField(_("notice board"), max_length=50)
    location = models.CharField(_("location"), max_length=100)
    area = models.DecimalField(_("area (m²)"), max_digits=5, decimal_places=1,
                               validators=[MinValueValidator(0, message=NON_NEGATIVE)])
    set_up_on = models.DateField(_("date set up"))
    retired_on = models.DateField(_("date retired"), null=True, blank=True)

    class Meta:
        verbose_name = _("health education notice board")
        verbose_name_plural = _("health education notice boards")
        ordering = ["institution", "name"]

    def __str__(self):
        return f"{self.name}（{self.location}）"

    def check_rules(self, errors):
        super().check_rules(errors)
        if self.retired_on and self.set_up_on and self.retired_on < self.set_up_on:
            _add(errors, "retired_on", gettext("A board cannot be retired before it was set up."))

    def stands_on(self, day: dt.date) -> bool:
        return self.set_up_on <= day and (self.retired_on is None or day <= self.retired_on)


class PrintedMaterial(InstitutionService):
    """One kind of printed health education material provided by an institution (印刷资料)."""

    slug = "printed_material"
    date_field = "provided_on"
    kind_field = "material_form"
    list_fields = ("provided_on", "title_text", "material_form", "copies")
    SECTIONS = (Section("material", _("Printed material"), ("title_text", "material_form", "copies", "provided_on")),)

    title_text = models.CharField(_("title"), max_length=100, db_column="title")
    material_form = CodeField(_("form of material"), valueset=C.HE_MATERIAL_FORM)
    copies = models.PositiveIntegerField(_("copies"), validators=[MinValueValidator(0, message=NON_NEGATIVE)])
    provided_on = models.DateField(_("date first provided"))

    class Meta:
        verbose_name = _("printed health education material")
        verbose_name_plural = _("printed health education materials")
        ordering = ["-provided_on", "-id"]

    def __str__(self):
        return self.title_text


class EducationActivity(InstitutionService):
    """健康教育活动记录表: one health education activity of an institution."""

    slug = "education"
    date_field = "activity_date"
    kind_field = "activity_kind"
    list_fields = ("activity_date", "activity_kind", "theme", "place", "participants", "organiser")
    SECTIONS = (
        Section("activity", _("Activity"), (
            "activity_date", "place", "activity_kind", "board", "theme", "organiser", "audience",
            "participants")),
        Section("materials", _("Health education materials distributed"), ("materials",)),
        Section("evaluation", _("Summary and evaluation"), ("summary_evaluation", "attachments")),
    )
    REPEATABLE = {"materials": ((Column("name", _("material")), Column("count", _("count"), input_type="number",
                                                                        size=6)), 3)}

    activity_date = models.DateField(_("activity date"))
    place = models.CharField(_("place"), max_length=100)
    activity_kind = CodeField(_("activity kind"), valueset=C.HE_ACTIVITY_KIND)
    board = models.ForeignKey(NoticeBoard, verbose_name=_("notice board"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="updates",
                              help_text=_("For a notice board update: which board."))
    theme = models.CharField(_("theme"), max_length=100)
    organiser = models.CharField(_("organiser"), max_length=100)
    audience = CodeListField(_("target audience"), valueset=C.HE_AUDIENCE)
    participants = models.IntegerField(_("number of participants"), null=True, blank=True,
                                       validators=[MinValueValidator(0, message=NON_NEGATIVE)])
    materials = models.JSONField(_("materials distributed"), default=list, blank=True)
    summary_evaluation = models.TextField(_("summary and evaluation"), blank=True)
    attachments = models.CharField(_("attachments"), max_length=200, blank=True,
                                   help_text=_("Sign-in sheet, photographs, materials kept on file."))

    class Meta:
        verbose_name = _("health education activity record")
        verbose_name_plural = _("health education activity records")
        ordering = ["-activity_date", "-id"]
        indexes = [models.Index(fields=["institution", "activity_date"], name="he_activity_inst_date")]

    def check_rules(self, errors):
        super().check_rules(errors)
        if self.activity_kind == C.BOARD_UPDATE:
            board = self.board if self.board_id else None
            if board is None:
                _add(errors, "board", gettext("Say which notice board was updated."))
            elif board.institution_id != self.institution_id:
                _add(errors, "board", gettext("The notice board belongs to another institution."))
            elif self.activity_date and not board.stands_on(self.activity_date):
                _add(errors, "board", gettext("The notice board was not in place on that date."))
        elif self.board_id:
            _add(errors, "board", gettext("A notice board is given only for a notice board update."))
        if self.activity_kind in (C.TALK, C.CONSULTATION) and self.participants is None:
            _add(errors, "participants", gettext("Give the number of participants."))
        for i, row in enumerate(self.materials or [], start=1):
            if not isinstance(row, dict):
                _add(errors, "materials", gettext("Row %(n)d is not a material and count.") % {"n": i})
                continue
            count = str(row.get("count", "") or "").strip()
            if not str(row.get("name", "") or "").strip():
                _add(errors, "materials", gettext("Row %(n)d: give the material.") % {"n": i})
            if not count.isdigit():
                _add(errors, "materials", gettext("Row %(n)d: the count must be a whole number, 0 or more.")
                     % {"n": i})

    def material_total(self) -> int:
        return sum(int(r.get("count") or 0) for r in self.materials or [] if str(r.get("count", "")).isdigit())


class InfectiousReport(InstitutionService):
    """传染病报告卡: a notifiable infectious disease case reported by an institution.

    A revision is a new card that points to the one it revises (which becomes "revised"); a cancelled card stays
    with its reason. Timeliness is judged on the first card of a case: its report time against the deadline.
    """

    slug = "infectious"
    date_field = "reported_at"
    kind_field = "disease_class"
    list_fields = ("card_number", "patient_name", "disease", "case_type", "diagnosed_at", "reported_at",
                   "status")
    SECTIONS = (
        Section("patient", _("Patient"), (
            "card_number", "patient_name", "guardian_name", "patient_record", "id_number", "sex",
            ("birth_date", "age_years"), "phone", "address")),
        Section("case", _("Case"), (
            "disease", "case_type", "onset_date", "diagnosed_at", "reported_at", "reporting_doctor", "note")),
    )

    card_number = models.CharField(_("card number"), max_length=30, blank=True)
    patient_name = models.CharField(_("patient name"), max_length=50, blank=True)
    guardian_name = models.CharField(_("parent's name"), max_length=50, blank=True,
                                     help_text=_("For a patient under 14."))
    patient_record = models.ForeignKey(Record, verbose_name=_("health record"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+",
                                       help_text=_("Record number, when the patient has a health record."))
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    sex = CodeField(_("sex"), valueset=V.SEX, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    age_years = models.PositiveSmallIntegerField(_("age (years)"), null=True, blank=True,
                                                 validators=[MaxValueValidator(130)],
                                                 help_text=_("When the birth date is unknown."))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("current address"), max_length=200, blank=True)
    disease = CodeField(_("disease"), valueset=C.IDR_DISEASE)
    disease_class = CodeField(_("class"), valueset=C.IDR_CLASS, editable=False, default="")
    urgent = models.BooleanField(_("class A deadline"), default=False, editable=False)
    case_type = CodeField(_("case type"), valueset=C.IDR_CASE_TYPE)
    onset_date = models.DateField(_("date of onset"))
    diagnosed_at = models.DateTimeField(_("time of diagnosis"))
    reported_at = models.DateTimeField(_("time of report"))
    reporting_doctor = models.CharField(_("reporting doctor"), max_length=50)
    note = models.CharField(_("note"), max_length=200, blank=True)
    status = CodeField(_("card status"), valueset=C.IDR_STATUS, default=C.VALID, editable=False)
    revises = models.ForeignKey("self", verbose_name=_("revises card"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="revisions", editable=False)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True, editable=False)

    class Meta:
        verbose_name = _("infectious disease report card")
        verbose_name_plural = _("infectious disease report cards")
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["institution", "reported_at"], name="idr_inst_reported")]

    def __str__(self):
        return f"{self.patient_name} {self.get_disease_display()}"

    def fill_from_record(self) -> None:
        """Name, sex, birth date, ID number, phone and address from the linked record where left empty."""
        if not self.patient_record_id:
            return
        r = self.patient_record.resident
        self.patient_name = self.patient_name or r.name
        self.sex = self.sex or r.sex
        self.birth_date = self.birth_date or r.birth_date
        self.id_number = self.id_number or (r.id_number or "")
        self.phone = self.phone or r.phone
        self.address = self.address or r.current_address

    def full_clean(self, *args, **kwargs):
        self.fill_from_record()
        self.disease_class = rules.disease_class(self.disease or "")
        self.urgent = rules.is_urgent(self.disease or "")
        super().full_clean(*args, **kwargs)

    def check_rules(self, errors):
        super().check_rules(errors)
        from jkda.codes import idnumber
        from jkda.records.rules import today

        if not self.patient_name:
            _add(errors, "patient_name", gettext("Give the patient's name."))
        if not self.sex:
            _add(errors, "sex", gettext("Give the sex."))
        if self.birth_date is None and self.age_years is None:
            _add(errors, "birth_date", gettext("Give the birth date, or the age when it is unknown."))
        if self.id_number:
            try:
                idnumber.parse(self.id_number)
            except ValidationError as exc:
                _add(errors, "id_number", exc.messages[0])
        diag, rep = self.diagnosed_at, self.reported_at
        if isinstance(diag, dt.datetime):
            if diag > timezone.now():
                _add(errors, "diagnosed_at", gettext("The time cannot be in the future."))
            if isinstance(rep, dt.datetime) and rep < diag:
                _add(errors, "reported_at", gettext("The report cannot be earlier than the diagnosis."))
            diag_day = timezone.localtime(diag).date()
            if isinstance(self.onset_date, dt.date) and self.onset_date > diag_day:
                _add(errors, "onset_date", gettext("The onset cannot be later than the diagnosis."))
        if isinstance(self.onset_date, dt.date):
            if self.onset_date > today():
                _add(errors, "onset_date", gettext("The date cannot be in the future."))
            if self.birth_date and self.onset_date < self.birth_date:
                _add(errors, "onset_date", gettext("The onset cannot be before the birth date."))

    @property
    def timeliness(self) -> tuple[bool, dt.timedelta]:
        return rules.timeliness(self.diagnosed_at, self.reported_at, self.urgent)

    @property
    def on_time(self) -> bool:
        return self.timeliness[0]

    def timeliness_text(self) -> str:
        on_time, late = self.timeliness
        if on_time:
            return gettext("On time")
        return gettext("Late by %(delay)s") % {"delay": rules.format_delay(late)}


class SupervisionReport(InstitutionService):
    """卫生计生监督协管信息报告登记表: a finding reported to the health supervision agency."""

    slug = "supervision_report"
    date_field = "found_on"
    kind_field = "kind"
    list_fields = ("found_on", "kind", "place", "content", "reported_to", "reported_on")
    SECTIONS = (
        Section("finding", _("Information found"), ("found_on", "kind", "place", "content")),
        Section("report", _("Report and handling"), (("reported_to", "reported_on"), "reporter", "handling")),
    )

    found_on = models.DateField(_("date found"))
    kind = CodeField(_("information kind"), valueset=C.SUP_KIND)
    place = models.CharField(_("place"), max_length=100)
    content = models.TextField(_("information"))
    reported_to = models.CharField(_("reported to"), max_length=100)
    reported_on = models.DateField(_("date reported"))
    reporter = models.CharField(_("reporter"), max_length=50)
    handling = models.TextField(_("handling"), blank=True)

    class Meta:
        verbose_name = _("health supervision assistance report")
        verbose_name_plural = _("health supervision assistance reports")
        ordering = ["-found_on", "-id"]

    def check_rules(self, errors):
        super().check_rules(errors)
        from jkda.records.rules import today

        if isinstance(self.reported_on, dt.date):
            if self.reported_on > today():
                _add(errors, "reported_on", gettext("The date cannot be in the future."))
            if isinstance(self.found_on, dt.date) and self.reported_on < self.found_on:
                _add(errors, "reported_on", gettext("The report cannot be earlier than the finding."))


class SupervisionVisit(InstitutionService):
    """卫生计生监督协管巡查登记表: an inspection visit."""

    slug = "supervision_visit"
    date_field = "visit_date"
    kind_field = "kind"
    list_fields = ("visit_date", "kind", "place", "content", "problems", "inspector")
    SECTIONS = (Section("visit", _("Inspection"), ("visit_date", "kind", "place", "content", "problems",
                                                    "inspector", "note")),)

    visit_date = models.DateField(_("inspection date"))
    kind = CodeField(_("inspection kind"), valueset=C.SUP_KIND)
    place = models.CharField(_("unit or place inspected"), max_length=100)
    content = models.TextField(_("inspection content"))
    problems = models.TextField(_("main problems found"), blank=True)
    inspector = models.CharField(_("inspector"), max_length=50)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("health supervision inspection visit")
        verbose_name_plural = _("health supervision inspection visits")
        ordering = ["-visit_date", "-id"]


MODELS: dict[str, type[InstitutionService]] = {m.slug: m for m in (
    EducationActivity, NoticeBoard, PrintedMaterial, InfectiousReport, SupervisionReport, SupervisionVisit)}
