from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.Login.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("", views.residents, name="residents"),
    path("residents/options/", views.residents_options, name="residents_options"),
    path("records/new/", views.record_new, name="record_new"),
    path("records/new/options/", views.record_new_options, name="record_new_options"),
    path("records/<str:number>/", views.record_detail, name="record"),
    path("records/<str:number>/edit/", views.record_edit, name="record_edit"),
    path("records/<str:number>/transfer/", views.record_transfer, name="record_transfer"),
    path("records/<str:number>/transfer/options/", views.record_transfer_options, name="record_transfer_options"),
    path("records/<str:number>/action/<str:name>/", views.record_action_form, name="record_action_form"),
    path("records/<str:number>/close/", views.record_close, name="record_close"),
    path("records/<str:number>/reopen/", views.record_reopen, name="record_reopen"),
    path("records/<str:number>/household/", views.household_create, name="household_create"),
    path("records/<str:number>/card.pdf", views.record_card, name="record_card"),
    path("households/<str:number>/", views.household_detail, name="household"),
    path("households/<str:number>/members/", views.household_add_member, name="household_add_member"),
    path("households/<str:number>/members/remove/", views.household_remove_member, name="household_remove_member"),
]
