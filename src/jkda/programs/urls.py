from django.urls import path

from . import views

urlpatterns = [
    path("records/<str:number>/programs/enrol/", views.enrol, name="program_enrol"),
    path("records/<str:number>/programs/enrol/form/", views.enrol_form, name="program_enrol_form"),
    path("records/<str:number>/programs/<int:pk>/exit/form/", views.exit_form, name="program_exit_form"),
    path("records/<str:number>/programs/enrol-suggested/", views.enrol_suggested, name="program_enrol_suggested"),
    path("records/<str:number>/programs/<int:pk>/exit/", views.exit_enrollment, name="program_exit"),
    path("records/<str:number>/calls/", views.call, name="program_call"),
    path("worklist/", views.worklist_page, name="worklist"),
    path("worklist/export/", views.worklist_export, name="worklist_export"),
    path("screening/", views.screening_page, name="screening"),
]
