from django.urls import path

from billing import apis

urlpatterns = [
    path("me/usage", apis.UsageApi.as_view()),
    path("billing/checkout", apis.CheckoutApi.as_view()),
    path("billing/portal", apis.PortalApi.as_view()),
    path("billing/webhook", apis.StripeWebhookApi.as_view()),
]
