from django.db import models
from django.utils.translation import gettext_lazy as _


class SuspendedIndex(models.Model):
    """A secondary index (or, on PostgreSQL, a foreign key) dropped while a large import writes (exchange.indexes),
    with the statement that rebuilds it exactly. A row here means the index is missing from the database (the foreign
    key missing or not yet validated): the import that dropped it rebuilds it when it ends, and if it was killed,
    the next import, `jkda migrate`, `jkda serve` or `jkda restore_indexes` does."""

    class Kind(models.TextChoices):
        INDEX = "index", _("index")
        FOREIGN_KEY = "foreign_key", _("foreign key")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INDEX)
    name = models.CharField(_("index"), max_length=200, unique=True)
    table = models.CharField(_("table"), max_length=200)
    definition = models.TextField(_("definition"))
    suspended_at = models.DateTimeField(_("suspended at"), auto_now_add=True)
    source = models.CharField(_("suspended by the import of"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("suspended index")
        verbose_name_plural = _("suspended indexes")
        ordering = ["id"]

    def __str__(self):
        return f"{self.table}.{self.name}"
