"""Residents, households and their health records (the cover and the personal basic information form).

The personal basic information form (个人基本信息表) is declared once here: every field carries its label and
value set. The web form, the JSON API schema, the import columns and the export derive from these declarations
(see `records.forms`, `jkda.api` and `exchange.columns`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from jkda.codes import valuesets as V
from jkda.codes.fields import CodeField, CodeListField
from jkda.regions.models import Division, Institution


class NoDeleteQuerySet(models.QuerySet):
    def delete(self):
        raise ValidationError(_("Health records and forms are never deleted; close the record instead."))


class NoDeleteModel(models.Model):
    objects = NoDeleteQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Health records and forms are never deleted; close the record instead."))


# The live tables' indexed and unique text columns are looked up by equality only; on PostgreSQL migration
# records.0008 drops the LIKE companion index Django adds to each (test_search checks the tables' index sets). A
# later AlterField of such a column on PostgreSQL recreates it: drop it again in that migration.
#
# History tables are read by the object's id only; copying the lookup indexes of the live tables onto them would
# double the index writes of every save and import without serving any query.
HISTORY_UNINDEXED = {
    "household": ["number", "institution", "village", "head"],
    "resident": ["name", "id_number", "id_last6", "phone", "household"],
    "record": ["number", "number_last8", "status", "last_service_on", "resident", "institution", "village",
               "established_by_institution",
               "established_by", "responsible_doctor"],
}


# the index of the names of residents without an ID number (Resident.Meta; exchange.residents names it to SQLite)
NAME_NO_ID_INDEX = "resident_name_no_id"


class Household(NoDeleteModel):
    """A family record (家庭档案): residents living together, with their relation to the head."""

    number = models.CharField(_("household number"), max_length=20, unique=True)
    institution = models.ForeignKey(
        Institution, verbose_name=_("managing institution"), on_delete=models.PROTECT, related_name="households"
    )
    village = models.ForeignKey(
        Division, verbose_name=_("village / residents' committee"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=200)
    head = models.ForeignKey(
        "Resident", verbose_name=_("head of household"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords(no_db_index=HISTORY_UNINDEXED["household"])

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self):
        return f"{self.number} {self.address}"


class Resident(NoDeleteModel):
    """A resident and the personal basic information form (个人基本信息表, 3rd edition)."""

    # --- identity ---
    name = models.CharField(_("full name"), max_length=50)
    name_pinyin = models.CharField(_("full pinyin"), max_length=200, editable=False, default="")
    name_initials = models.CharField(_("pinyin initials"), max_length=50, editable=False, default="")
    sex = CodeField(_("sex"), valueset=V.SEX, error_messages={
        "blank": _("Give the sex, or a valid ID number to derive it from."),
        "invalid_choice": _("“%(value)s” is not a sex code (0 unknown, 1 male, 2 female, 9 unstated)."),
    })
    birth_date = models.DateField(_("birth date"), error_messages={
        "null": _("Give the birth date, or a valid ID number to derive it from."),
        "blank": _("Give the birth date, or a valid ID number to derive it from."),
        "invalid": _("“%(value)s” is not a date (YYYY-MM-DD)."),
        "invalid_date": _("“%(value)s” is not a real date."),
    })
    id_number = models.CharField(_("ID number"), max_length=18, null=True, blank=True, unique=True)
    id_last6 = models.CharField(max_length=6, editable=False, default="", db_index=True)
    # --- contact and addresses (cover) ---
    work_unit = models.CharField(_("work unit"), max_length=100, blank=True)
    phone = models.CharField(_("own phone"), max_length=30, blank=True, db_index=True)
    contact_name = models.CharField(_("contact name"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    current_address = models.CharField(_("current address"), max_length=200)
    registered_address = models.CharField(_("household registration address"), max_length=200, blank=True)
    # --- coded items ---
    residence_type = CodeField(_("residence type"), valueset=V.RESIDENCE_TYPE)
    ethnicity = CodeField(_("ethnicity"), valueset=V.ETHNICITY, default="01")
    abo = CodeField(_("ABO blood group"), valueset=V.ABO, default="5")
    rh = CodeField(_("Rh blood group"), valueset=V.RH, default="3")
    education = CodeField(_("education"), valueset=V.EDUCATION, blank=True)
    occupation = CodeField(_("occupation"), valueset=V.OCCUPATION, blank=True)
    marital_status = CodeField(_("marital status"), valueset=V.MARITAL, blank=True)
    payment = CodeListField(_("medical payment methods"), valueset=V.PAYMENT)
    payment_other = models.CharField(_("other payment method"), max_length=100, blank=True)
    drug_allergy = CodeListField(_("drug allergies"), valueset=V.DRUG_ALLERGY)
    drug_allergy_other = models.CharField(_("other drug allergy"), max_length=100, blank=True)
    exposure = CodeListField(_("exposures"), valueset=V.EXPOSURE)
    exposure_detail = models.CharField(_("exposure details"), max_length=200, blank=True)
    # Repeatable items, as JSON lists:
    #   past_diseases: [{"code": "2", "date": "2015-03", "note": ""}]
    #   operations / injuries / transfusions: [{"name": "...", "date": "2019-06-01"}]
    #   family_history: {"father": ["2"], "mother": ["1"], "siblings": [], "children": []}
    past_diseases = models.JSONField(_("past diseases"), default=list, blank=True)
    operations = models.JSONField(_("operations"), default=list, blank=True)
    injuries = models.JSONField(_("injuries"), default=list, blank=True)
    transfusions = models.JSONField(_("transfusions"), default=list, blank=True)
    family_history = models.JSONField(_("family history"), default=dict, blank=True)
    genetic_disease = models.CharField(_("genetic disease"), max_length=100, blank=True)
    disability = CodeListField(_("disability"), valueset=V.DISABILITY)
    disability_other = models.CharField(_("other disability"), max_length=100, blank=True)
    kitchen_exhaust = CodeField(_("kitchen exhaust"), valueset=V.KITCHEN_EXHAUST, blank=True)
    fuel = CodeField(_("fuel"), valueset=V.FUEL, blank=True)
    drinking_water = CodeField(_("drinking water"), valueset=V.DRINKING_WATER, blank=True)
    toilet = CodeField(_("toilet"), valueset=V.TOILET, blank=True)
    livestock_pen = CodeField(_("livestock pen"), valueset=V.LIVESTOCK_PEN, blank=True)
    # --- household ---
    household = models.ForeignKey(
        Household, verbose_name=_("household"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="members",
    )
    relation_to_head = CodeField(_("relation to head of household"), valueset=V.RELATION_TO_HEAD, blank=True)
    # --- bookkeeping ---
    form_version = models.CharField(_("form version"), max_length=16, default="2017-3", editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"], no_db_index=HISTORY_UNINDEXED["resident"])

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        # Name, initials and pinyin are searched on the record, beside the managing institution (Record.SEARCH_KEYS).
        indexes = [
            # the indicator families of age groups (children, newborns, vaccines due) start from it
            models.Index(fields=["birth_date"], name="resident_birth"),
            # the import finds a resident without an ID number by name (ResidentImport.classify); only those rows
            # are in it, so the import of people with ID numbers (nearly all) writes nothing to it
            models.Index(fields=["name"], condition=models.Q(id_number__isnull=True), name=NAME_NO_ID_INDEX),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        from .rules import check_resident

        errors = check_resident(self)
        if errors:
            raise ValidationError(errors)

    def full_clean(self, *args, **kwargs):
        self.derive_from_id_number()
        super().full_clean(*args, **kwargs)

    def derive_from_id_number(self):
        """Fill birth date and sex from a valid ID number when they were left empty (clean() checks mismatches)."""
        from jkda.codes import idnumber

        if not self.id_number:
            return
        try:
            info = idnumber.parse(self.id_number)
        except ValidationError:
            return
        if not self.birth_date:
            self.birth_date = info.birth_date
        if not self.sex:
            self.sex = info.sex

    def fill_derived(self):
        from .names import pinyin_of

        self.name = (self.name or "").strip()
        self.name_pinyin, self.name_initials = pinyin_of(self.name)
        self.id_last6 = (self.id_number or "")[-6:]

    def save(self, *args, **kwargs):
        self.fill_derived()
        adding = self._state.adding
        super().save(*args, **kwargs)
        if not adding:
            # keep the record's copy of the search keys (Record.SEARCH_KEYS) in step with a changed name
            keys = {copy: getattr(self, own) for copy, own in Record.SEARCH_KEYS.items()}
            Record.objects.filter(resident_id=self.pk).exclude(**keys).update(**keys)

    @property
    def age(self) -> int:
        from .rules import today

        t = today()
        return t.year - self.birth_date.year - ((t.month, t.day) < (self.birth_date.month, self.birth_date.day))


class Record(NoDeleteModel):
    """The health record (档案) of one resident: its number, cover data and life."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    number = models.CharField(_("record number"), max_length=17, unique=True)
    number_last8 = models.CharField(max_length=8, editable=False, db_index=True, default="")
    resident = models.OneToOneField(Resident, verbose_name=_("resident"), on_delete=models.PROTECT,
                                    related_name="record")
    # no index of its own: the (institution, ...) indexes in Meta serve every lookup by institution
    institution = models.ForeignKey(
        Institution, verbose_name=_("managing institution"), on_delete=models.PROTECT, related_name="records",
        db_index=False,
    )
    village = models.ForeignKey(
        Division, verbose_name=_("village / residents' committee"), on_delete=models.PROTECT, related_name="+"
    )
    established_by_institution = models.ForeignKey(
        Institution, verbose_name=_("establishing institution"), on_delete=models.PROTECT, related_name="+"
    )
    established_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("establishing staff"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    established_by_name = models.CharField(_("establishing staff"), max_length=50, blank=True)
    responsible_doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("responsible doctor"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    responsible_doctor_name = models.CharField(_("responsible doctor"), max_length=50, blank=True)
    established_on = models.DateField(_("date established"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE,
                              db_index=True)
    closed_on = models.DateField(_("date closed"), null=True, blank=True)
    close_reason = CodeField(_("reason for closing"), valueset=V.CLOSE_REASON, blank=True)
    close_note = models.CharField(_("closing note"), max_length=200, blank=True)
    form_version = models.CharField(_("form version"), max_length=16, default="2017-3", editable=False)
    # The date of the latest service (examination, follow-up, encounter ...): kept by services.actions so that the
    # usage rate ("in use" = a service within the last 12 months) is one indexed range, not a union of all forms.
    last_service_on = models.DateField(_("latest service"), null=True, blank=True, editable=False, db_index=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    # Copies of the resident's name, full pinyin and initials, so that a search within a user's institutions is one
    # range on (institution, key) instead of every resident with that name prefix city-wide, each joined to its
    # record to test the institution. Resident.save keeps them in step; bulk writers (synth, import) fill them.
    resident_name = models.CharField(max_length=50, editable=False, default="")
    resident_pinyin = models.CharField(max_length=200, editable=False, default="")
    resident_initials = models.CharField(max_length=50, editable=False, default="")
    SEARCH_KEYS = {"resident_name": "name", "resident_pinyin": "name_pinyin", "resident_initials": "name_initials"}
    history = HistoricalRecords(no_db_index=HISTORY_UNINDEXED["record"],
                                excluded_fields=["last_service_on", *SEARCH_KEYS])

    class Meta:
        verbose_name = _("health record")
        verbose_name_plural = _("health records")
        indexes = [
            models.Index(fields=["institution", "status"], name="record_inst_status"),
            # PostgreSQL serves LIKE 'x%' from a varchar_pattern_ops index whatever the database's collation
            models.Index(fields=["institution", "resident_name"], name="record_inst_name",
                         opclasses=["int8_ops", "varchar_pattern_ops"]),
            models.Index(fields=["institution", "resident_initials"], name="record_inst_initials",
                         opclasses=["int8_ops", "varchar_pattern_ops"]),
            models.Index(fields=["institution", "resident_pinyin"], name="record_inst_pinyin",
                         opclasses=["int8_ops", "varchar_pattern_ops"]),
        ]

    def __str__(self):
        return f"{self.number} {self.resident.name}"

    @property
    def short_number(self) -> str:
        """The last 8 digits as printed on forms other than the cover: 123-45678."""
        tail = self.number[-8:]
        return f"{tail[:3]}-{tail[3:]}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def resident_age(self, on) -> int:
        b = self.resident.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))

    def save(self, *args, **kwargs):
        self.number_last8 = self.number[-8:]
        if Record.resident.is_cached(self):
            for copy, own in self.SEARCH_KEYS.items():
                setattr(self, copy, getattr(self.resident, own))
        super().save(*args, **kwargs)


class RecordEvent(NoDeleteModel):
    """One step in a record's life: who did what, when, from where to where, and why."""

    class Kind(models.TextChoices):
        ESTABLISHED = "established", _("Established")
        UPDATED = "updated", _("Updated")
        TRANSFERRED = "transferred", _("Transferred")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")
        HANDED_OVER = "handed_over", _("Handed over to successor")
        IMPORTED = "imported", _("Imported")

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("time"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    from_institution = models.ForeignKey(Institution, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+", verbose_name=_("from"))
    to_institution = models.ForeignKey(Institution, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", verbose_name=_("to"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("record event")
        verbose_name_plural = _("record events")
        ordering = ["-at", "-id"]
        # the indicators place records moved after a period's end by their moves since then
        indexes = [models.Index(fields=["kind", "at"], name="record_event_kind_at")]


class NumberCounter(models.Model):
    """The last serial allocated in a village: record numbers are issued in creation order per village."""

    village_code = models.CharField(max_length=12, primary_key=True)
    last_serial = models.PositiveIntegerField(default=0)


class HouseholdCounter(models.Model):
    village_code = models.CharField(max_length=12, primary_key=True)
    last_serial = models.PositiveIntegerField(default=0)
