from django.urls import path

from rendering import apis

urlpatterns = [
    path("render", apis.RenderApi.as_view()),
    path("render/check", apis.CheckApi.as_view()),
    path("render/sign", apis.SignApi.as_view()),
    path("render/signing-secret", apis.SigningSecretApi.as_view()),
    path("render/async", apis.AsyncRenderApi.as_view()),
    path("render/<str:job_id>", apis.JobApi.as_view()),
    path("render/<str:job_id>/events", apis.JobEventsApi.as_view()),
    path("webhooks/deliveries", apis.DeliveriesApi.as_view()),
    path("webhooks/deliveries/<str:delivery_id>/redeliver", apis.RedeliverApi.as_view()),
    path("webhooks/secret", apis.WebhookSecretApi.as_view()),
]
