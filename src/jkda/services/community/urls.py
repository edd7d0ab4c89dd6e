from django.urls import path

from . import views

urlpatterns = [
    path("public-health/", views.index, name="community_index"),
    path("public-health/summary/education/", views.education_summary, name="community_education_summary"),
    path("public-health/summary/infectious/", views.timeliness, name="community_timeliness"),
    path("public-health/summary/supervision/", views.supervision, name="community_supervision"),
    path("public-health/infectious/<int:pk>/cancel/", views.report_cancel, name="community_report_cancel"),
    path("public-health/<slug:slug>/", views.object_list, name="community_list"),
    path("public-health/<slug:slug>/new/", views.object_new, name="community_new"),
    path("public-health/<slug:slug>/<int:pk>/", views.object_detail, name="community_detail"),
    path("public-health/<slug:slug>/<int:pk>/edit/", views.object_edit, name="community_edit"),
]
