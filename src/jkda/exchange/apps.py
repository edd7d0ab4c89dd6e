from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "jkda.exchange"
    verbose_name = _("Import and export")

    def ready(self):
        from django.db.models.signals import pre_migrate

        pre_migrate.connect(_restore_before_migrating, sender=self)


def _restore_before_migrating(sender, using="default", verbosity=1, **kwargs):
    """A migration may alter an index an import suspended and was killed before rebuilding: rebuild them first."""
    from .indexes import restore_if_idle

    restore_if_idle(say=print if verbosity else None)
