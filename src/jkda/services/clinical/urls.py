from django.urls import path

from . import views

urlpatterns = [
    path("referrals/", views.inbox, name="clinical_referrals"),
    path("referrals/<int:pk>/", views.referral_detail, name="clinical_referral"),
    path("referrals/<int:pk>/receive/", views.referral_receive, name="clinical_referral_receive"),
    path("referrals/<int:pk>/refuse/", views.referral_refuse, name="clinical_referral_refuse"),
    path("referrals/<int:pk>/answer/", views.referral_answer, name="clinical_referral_answer"),
]
