from django.urls import path

from . import grant_views

urlpatterns = [
    path("access-requests/", grant_views.request_list, name="access_requests"),
    path("access-requests/new/", grant_views.request_new, name="access_request_new"),
    path("access-requests/<int:pk>/", grant_views.request_detail, name="access_request"),
    path("access-requests/<int:pk>/decide/", grant_views.request_decide, name="access_request_decide"),
    path("access-requests/<int:pk>/revoke/", grant_views.request_revoke, name="access_request_revoke"),
]
