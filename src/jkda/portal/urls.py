from django.urls import path

from . import views

urlpatterns = [
    path("portal/", views.home, name="portal_home"),
    path("portal/login/", views.sign_in, name="portal_login"),
    path("portal/login/code/", views.code, name="portal_code"),
    path("portal/logout/", views.sign_out, name="portal_logout"),
    path("portal/switch/", views.switch, name="portal_switch"),
    path("portal/record/", views.record, name="portal_record"),
    path("portal/services/", views.services, name="portal_services"),
    path("portal/access-log/", views.access_log, name="portal_access_log"),
    path("portal/consents/", views.consents, name="portal_consents"),
    path("portal/consents/<int:pk>/", views.consent_decide, name="portal_consent_decide"),
    path("portal/corrections/", views.corrections, name="portal_corrections"),
    path("corrections/<int:pk>/answer/", views.correction_answer, name="portal_correction_answer"),
]
