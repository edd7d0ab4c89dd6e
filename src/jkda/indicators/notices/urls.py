from django.urls import path

from . import views

urlpatterns = [
    path("indicators/notice/", views.notice_page, name="notice"),
    path("indicators/notice/download.<str:fmt>", views.notice_download, name="notice_download"),
    path("indicators/ranking/", views.ranking_page, name="ranking"),
]
