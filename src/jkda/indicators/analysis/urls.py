from django.urls import path

from . import views

urlpatterns = [
    path("analysis/", views.report, name="analysis_report"),
]
