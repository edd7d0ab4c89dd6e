from django.urls import path

from . import views

urlpatterns = [
    path("records/<str:number>/services/<slug:kind>/new/", views.service_new, name="service_new"),
    path("services/<slug:kind>/<int:pk>/", views.service_detail, name="service_detail"),
    path("services/<slug:kind>/<int:pk>/edit/", views.service_edit, name="service_edit"),
]
