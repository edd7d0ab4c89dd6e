"""Platform usage and upload statistics (DOMAIN.md §1 item 5).

The regional platform offers business functions (TCM syndrome differentiation, remote consultation, knowledge base,
remote education, ...): `BusinessFunction` rows, seeded by a data migration and kept in the admin — data, not
constants. Institutions and their doctors are registered on the platform (`PlatformInstitution`,
`PlatformDoctor`, each with the date registered and, when they left, the date they left). Every use of a function
is a `UsageEvent` (recorded by the system through `actions.record_usage`, or imported from the platform's log).

Uploads to the regional platform are counted per institution, kind and day (`UploadBatch`): how many records and
which document subsets (`DocumentSubset`: the 20 WS/T 483 health-record documents, the WS/T 500 EMR documents;
which of them a province requires is the `required` flag, how many is a setting).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from jkda.regions.models import Institution, Staff


class Source(models.TextChoices):
    SYSTEM = "system", _("Recorded by the system")
    IMPORT = "import", _("Imported")


class BusinessFunction(models.Model):
    """A business function of the platform whose use is counted."""

    code = models.SlugField(_("function code"), max_length=40, unique=True)
    name = models.CharField(_("business function"), max_length=50, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(_("counted"), default=True)

    class Meta:
        verbose_name = _("business function")
        verbose_name_plural = _("business functions")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Business functions are never deleted; mark them as not counted."))


class PlatformInstitution(models.Model):
    """An institution registered on the platform."""

    institution = models.OneToOneField(Institution, verbose_name=_("institution"), on_delete=models.PROTECT,
                                       related_name="platform_registration")
    registered_on = models.DateField(_("registered on"))
    left_on = models.DateField(_("left the platform on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("registered institution")
        verbose_name_plural = _("registered institutions")
        ordering = ["institution__code"]

    def __str__(self):
        return str(self.institution)

    def clean(self):
        if self.left_on and self.registered_on and self.left_on < self.registered_on:
            raise ValidationError({"left_on": _("An institution cannot leave the platform before it registered.")})


class PlatformDoctor(models.Model):
    """A doctor registered on the platform at an institution (a staff account when there is one, else a name)."""

    institution = models.ForeignKey(Institution, verbose_name=_("institution"), on_delete=models.PROTECT,
                                    related_name="platform_doctors")
    staff = models.ForeignKey(Staff, verbose_name=_("staff account"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("doctor"), max_length=50)
    registered_on = models.DateField(_("registered on"))
    left_on = models.DateField(_("left the platform on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("registered doctor")
        verbose_name_plural = _("registered doctors")
        ordering = ["institution__code", "name"]
        constraints = [models.UniqueConstraint(fields=["institution", "name"], name="platform_doctor_unique_name")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.left_on and self.registered_on and self.left_on < self.registered_on:
            raise ValidationError({"left_on": _("A doctor cannot leave the platform before registering.")})


class UsageEvent(models.Model):
    """Uses of a business function by a doctor of an institution at a time (`count` > 1: an imported tally)."""

    function = models.ForeignKey(BusinessFunction, verbose_name=_("business function"), on_delete=models.PROTECT,
                                 related_name="events")
    institution = models.ForeignKey(Institution, verbose_name=_("institution"), on_delete=models.PROTECT,
                                    related_name="platform_usage")
    doctor = models.ForeignKey(Staff, verbose_name=_("staff account"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    doctor_name = models.CharField(_("doctor"), max_length=50, blank=True)
    at = models.DateTimeField(_("time of use"), db_index=True)
    count = models.PositiveIntegerField(_("number of uses"), default=1, validators=[MinValueValidator(1)])
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.SYSTEM)

    class Meta:
        verbose_name = _("usage event")
        verbose_name_plural = _("usage events")
        ordering = ["-at"]
        indexes = [models.Index(fields=["institution", "at"])]
        constraints = [
            # an imported log line is taken once: importing the same file again finds it
            models.UniqueConstraint(fields=["function", "institution", "doctor_name", "at"],
                                    condition=Q(source="import"), name="platform_usage_import_once"),
        ]

    def __str__(self):
        return f"{self.function} {self.institution} {self.at:%Y-%m-%d %H:%M}"


class UploadKind(models.TextChoices):
    HEALTH_REFORM = "health_reform", _("Health-reform monitoring items")
    HEALTH_RECORD = "health_record", _("Health-record documents")
    EMR = "emr", _("EMR documents")


class DocumentSubset(models.Model):
    """A shared-document kind (subset) of an upload kind: WS/T 483 for health records, WS/T 500 for EMR."""

    kind = models.CharField(_("upload kind"), max_length=20, choices=UploadKind.choices)
    code = models.CharField(_("subset code"), max_length=20, unique=True)
    name = models.CharField(_("document subset"), max_length=60)
    required = models.BooleanField(_("required"), default=True,
                                   help_text=_("Counted among the subsets the province requires."))
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("document subset")
        verbose_name_plural = _("document subsets")
        ordering = ["kind", "order", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Document subsets are never deleted; mark them as not required."))


class UploadBatch(models.Model):
    """What an institution uploaded to the regional platform on one day, of one kind."""

    kind = models.CharField(_("upload kind"), max_length=20, choices=UploadKind.choices)
    institution = models.ForeignKey(Institution, verbose_name=_("institution"), on_delete=models.PROTECT,
                                    related_name="platform_uploads")
    day = models.DateField(_("upload date"), db_index=True)
    records = models.PositiveIntegerField(_("records uploaded"), default=0)
    subsets = models.ManyToManyField(DocumentSubset, verbose_name=_("document subsets"), blank=True,
                                     through="UploadBatchSubset", related_name="+")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.SYSTEM)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("upload batch")
        verbose_name_plural = _("upload batches")
        ordering = ["-day", "institution__code", "kind"]
        constraints = [models.UniqueConstraint(fields=["institution", "kind", "day"],
                                               name="platform_upload_one_per_day")]

    def __str__(self):
        return f"{self.institution} {self.get_kind_display()} {self.day}"


class UploadBatchSubset(models.Model):
    batch = models.ForeignKey(UploadBatch, on_delete=models.CASCADE, related_name="subset_links")
    subset = models.ForeignKey(DocumentSubset, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "subset"], name="platform_upload_subset_once")]
