from django.urls import path

from billing import apis

urlpatterns = [
    path("billing/checkout", apis.CheckoutApi.as_view()),
    path("billing/portal", apis.PortalApi.as_view()),
    path("billing/webhook", apis.StripeWebhookApi.as_view()),
]
