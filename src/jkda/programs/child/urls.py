from django.urls import path

from . import views

urlpatterns = [
    path("records/<str:number>/immunisation/", views.card, name="child_card"),
    path("immunisation/", views.overview, name="child_immunisation"),
]
