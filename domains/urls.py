from django.urls import path

from domains import apis

urlpatterns = [
    path("domains", apis.DomainsApi.as_view()),
    path("domains/<str:domain_id>", apis.DomainDetailApi.as_view()),
    path("domains/<str:domain_id>/verify", apis.DomainVerifyApi.as_view()),
]
