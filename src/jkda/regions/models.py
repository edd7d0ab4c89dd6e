"""Administrative divisions, institutions and their hierarchy, staff, and population base data."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Division(models.Model):
    """An administrative division (GB/T 2260 / GB/T 10114).

    `code` is the full code: 6 digits for province, city and county level; county + 3 digits for a township or
    street; township + 3 digits for a village or residents' committee.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        COUNTY = "county", _("District / county")
        TOWNSHIP = "township", _("Township / street")
        VILLAGE = "village", _("Village / residents' committee")

    LEVEL_CODE_LENGTH = {"province": 6, "city": 6, "county": 6, "township": 9, "village": 12}

    code = models.CharField(_("code"), max_length=12, unique=True, validators=[RegexValidator(r"^\d{6,12}$")])
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent division"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("administrative division")
        verbose_name_plural = _("administrative divisions")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def clean(self):
        expected = self.LEVEL_CODE_LENGTH.get(self.level)
        if expected and len(self.code or "") != expected:
            raise ValidationError(
                {"code": _("A %(level)s code has %(n)d digits.") % {"level": self.get_level_display(), "n": expected}}
            )
        if self.level == self.Level.TOWNSHIP and self.parent and not self.code.startswith(self.parent.code):
            raise ValidationError({"code": _("A township code starts with its county's code.")})
        if self.level == self.Level.VILLAGE and self.parent and not self.code.startswith(self.parent.code):
            raise ValidationError({"code": _("A village code starts with its township's code.")})

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Divisions are never deleted."))


class Institution(models.Model):
    class Kind(models.TextChoices):
        CHC = "chc", _("Community health service centre")
        CHS = "chs", _("Community health service station")
        THC = "thc", _("Township hospital")
        VILLAGE_CLINIC = "vc", _("Village clinic")
        BUREAU = "bureau", _("Health bureau")
        CDC = "cdc", _("Centre for disease control")

    CLINICAL_KINDS = (Kind.CHC, Kind.CHS, Kind.THC, Kind.VILLAGE_CLINIC)
    # Which kinds may report to which (a station to its centre, a centre to its district bureau).
    ALLOWED_PARENTS = {
        Kind.CHS: {Kind.CHC},
        Kind.VILLAGE_CLINIC: {Kind.THC, Kind.CHC},
        Kind.CHC: {Kind.BUREAU},
        Kind.THC: {Kind.BUREAU},
        Kind.CDC: {Kind.BUREAU},
        Kind.BUREAU: {Kind.BUREAU},
    }

    code = models.CharField(_("institution code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("reports to"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    division = models.ForeignKey(
        Division, verbose_name=_("division served"), on_delete=models.PROTECT, related_name="institutions"
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    successor = models.ForeignKey(
        "self", verbose_name=_("successor"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Materialised path of ancestor ids ("/1/4/17/"): scope checks are one indexed prefix query.
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def is_clinical(self) -> bool:
        return self.kind in self.CLINICAL_KINDS

    def clean(self):
        if self.parent_id:
            allowed = self.ALLOWED_PARENTS.get(self.kind, set())
            if self.parent.kind not in allowed:
                raise ValidationError({"parent": _("A %(kind)s cannot report to a %(parent)s.") % {
                    "kind": self.get_kind_display(), "parent": self.parent.get_kind_display()}})
            node = self.parent
            while node is not None:
                if node.pk == self.pk:
                    raise ValidationError({"parent": _("The hierarchy would contain a cycle.")})
                node = node.parent

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id else "/"
        return f"{prefix}{self.pk}/"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        new_path = self.compute_path()
        if new_path != self.path:
            old = self.path
            Institution.objects.filter(pk=self.pk).update(path=new_path)
            self.path = new_path
            if old:
                for child in Institution.objects.filter(path__startswith=old).exclude(pk=self.pk):
                    child.path = new_path + child.path[len(old):]
                    Institution.objects.filter(pk=child.pk).update(path=child.path)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Institutions are never deleted; hand their records to a successor instead."))

    def subtree(self):
        return Institution.objects.filter(path__startswith=self.path)


class Staff(AbstractUser):
    """A staff account, attached to one institution."""

    class Role(models.TextChoices):
        DOCTOR = "doctor", _("Doctor / nurse")
        RECORD_MANAGER = "record_manager", _("Record manager")
        HEAD = "head", _("Institution head")
        BUREAU = "bureau", _("Health bureau staff")
        ASSESSOR = "assessor", _("Assessor")
        SYSADMIN = "sysadmin", _("System administrator")
        SECADMIN = "secadmin", _("Security administrator")
        AUDITOR = "auditor", _("Audit administrator")

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="staff",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.DOCTOR)
    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    password_changed_at = models.DateTimeField(_("password changed"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self):
        return self.full_name or self.username

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Staff accounts are deactivated, never deleted."))

    def set_password(self, raw_password):
        from django.utils import timezone

        super().set_password(raw_password)
        self.password_changed_at = timezone.now()


class PopulationBase(models.Model):
    """Population base data of an institution's service area for one year: the denominators of indicators."""

    FIGURES = (
        "resident_population", "aged_65_plus", "aged_0_6", "aged_0_36_months", "live_births",
        "est_hypertension", "est_diabetes", "registered_smi",
    )

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="population"
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000)])
    resident_population = models.PositiveIntegerField(_("resident population"))
    aged_65_plus = models.PositiveIntegerField(_("residents aged 65+"), default=0)
    aged_0_6 = models.PositiveIntegerField(_("children aged 0-6"), default=0)
    aged_0_36_months = models.PositiveIntegerField(_("children aged 0-36 months"), default=0)
    live_births = models.PositiveIntegerField(_("live births"), default=0)
    est_hypertension = models.PositiveIntegerField(_("estimated hypertension patients"), default=0)
    est_diabetes = models.PositiveIntegerField(_("estimated diabetes patients"), default=0)
    registered_smi = models.PositiveIntegerField(_("registered severe mental disorder patients"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("population base data")
        verbose_name_plural = _("population base data")
        constraints = [models.UniqueConstraint(fields=["institution", "year"], name="population_one_per_year")]
        ordering = ["institution__code", "year"]

    def __str__(self):
        return f"{self.institution} {self.year}"

    def clean(self):
        pop = self.resident_population or 0
        for name in ("aged_65_plus", "aged_0_6", "est_hypertension", "est_diabetes", "registered_smi"):
            if (getattr(self, name) or 0) > pop:
                raise ValidationError({name: _("Cannot exceed the resident population.")})
        if (self.aged_0_36_months or 0) > (self.aged_0_6 or 0):
            raise ValidationError({"aged_0_36_months": _("Cannot exceed the number of children aged 0-6.")})
