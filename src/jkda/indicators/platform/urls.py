from django.urls import path

from . import views

urlpatterns = [
    path("platform-usage/", views.report, name="platform_usage_report"),
    path("platform-usage/export.xlsx", views.report_xlsx, name="platform_usage_xlsx"),
]
