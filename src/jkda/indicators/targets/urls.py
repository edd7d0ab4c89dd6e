from django.urls import path

from . import views

urlpatterns = [
    path("targets/", views.index, name="targets_index"),
    path("targets/new/", views.edit, name="targets_new"),
    path("targets/<int:pk>/edit/", views.edit, name="targets_edit"),
    path("targets/<int:pk>/milestones/", views.plan, name="targets_target_plan"),
    path("targets/milestones/<int:year>/", views.plan, name="targets_plan"),
    path("targets/import/", views.import_view, name="targets_import"),
    path("targets/template.xlsx", views.template, name="targets_template"),
    path("targets/behind/", views.behind, name="targets_behind"),
    path("targets/<slug:level>/<str:code>/", views.area, name="targets_area"),
]
