from django.urls import path

from . import views

urlpatterns = [
    path("", views.residents, name="residents"),
]
