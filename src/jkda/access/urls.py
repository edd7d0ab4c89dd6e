from django.urls import include, path

from . import security, views

urlpatterns = [
    path("audit/", views.audit_trail, name="audit_trail"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("assessors/", views.assignments, name="assessment_assignments"),
    path("assessors/<int:pk>/revoke/", views.assignment_revoke, name="assessment_assignment_revoke"),
    path("account/2fa/", security.otp_setup, name="otp_setup"),
    path("account/2fa/verify/", security.otp_verify, name="otp_verify"),
    path("account/password/", security.password_change, name="password_change"),
    path("", include("jkda.access.grant_urls")),
]
