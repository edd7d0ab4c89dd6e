from django.urls import path

from . import views

urlpatterns = [
    path("audit/", views.audit_trail, name="audit_trail"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
