from django.urls import path

from . import views

urlpatterns = [
    path("dashboards/", views.home, name="dashboards"),
    path("dashboards/institution/<str:code>/<str:indicator>/residents/", views.residents,
         name="dashboard_residents"),
    path("dashboards/<str:level>/<str:code>/", views.area_board, name="dashboard"),
]
