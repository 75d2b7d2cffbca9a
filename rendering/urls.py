from django.urls import path

from rendering import apis, batch_apis, fastpath

urlpatterns = [
    path("render", fastpath.render_sync),  # RenderApi, with its cache hits answered without DRF
    path("render/check", apis.CheckApi.as_view()),
    path("render/sign", apis.SignApi.as_view()),
    path("render/signing-secret", apis.SigningSecretApi.as_view()),
    path("render/async", apis.AsyncRenderApi.as_view()),
    path("render/batch", batch_apis.BatchApi.as_view()),
    path("render/batch/<str:batch_id>", batch_apis.BatchGetApi.as_view()),
    path("render/batch/<str:batch_id>/cancel", batch_apis.BatchCancelApi.as_view()),
    path("render/batch/<str:batch_id>/events", batch_apis.BatchEventsApi.as_view()),
    path("render/batch/<str:batch_id>/zip", batch_apis.BatchZipApi.as_view()),
    path("render/batch/<str:batch_id>/manifest.csv", batch_apis.BatchManifestApi.as_view()),
    path("render/<str:job_id>", apis.JobApi.as_view()),
    path("render/<str:job_id>/events", apis.JobEventsApi.as_view()),
    path("webhooks/deliveries", apis.DeliveriesApi.as_view()),
    path("webhooks/deliveries/<str:delivery_id>/redeliver", apis.RedeliverApi.as_view()),
    path("webhooks/secret", apis.WebhookSecretApi.as_view()),
]
