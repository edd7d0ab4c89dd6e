from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from jkda.api import api


def app_url_modules() -> list[str]:
    """The `urls` module of every jkda app that has one (services, programs and their sub-apps add pages)."""
    out = []
    for config in apps.get_app_configs():
        if config.name.startswith("jkda.") and config.name != "jkda.web" and find_spec(f"{config.name}.urls"):
            out.append(f"{config.name}.urls")
    return out


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    *[path("", include(import_module(m))) for m in app_url_modules()],
    path("", include("jkda.web.urls")),
]
