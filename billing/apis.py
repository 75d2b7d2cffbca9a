from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import stripe_billing
from core.api import validated


class UrlOutput(serializers.Serializer):
    url = serializers.URLField()


class CheckoutApi(APIView):
    required_scopes = "keys:manage"  # account-level: a render key cannot change the plan
    account_role = "owner"

    class Input(serializers.Serializer):
        plan = serializers.CharField(max_length=20)

    @extend_schema(
        summary="Start a plan checkout",
        description="Answers with a Stripe Checkout URL for the chosen paid plan (503 when billing is off on this server).",
        request=Input,
        responses={200: UrlOutput},
        tags=["billing"],
        operation_id="billing_checkout",
    )
    def post(self, request):
        data = validated(self.Input, request)
        return Response(
            {"url": stripe_billing.checkout_session_create(user=request.user, plan_code=data["plan"])}
        )


class PortalApi(APIView):
    required_scopes = "keys:manage"
    account_role = "owner"

    @extend_schema(
        summary="Open the billing portal",
        description="Answers with a Stripe Billing Portal URL where you manage your subscription, card and invoices.",
        request=None,
        responses={200: UrlOutput},
        tags=["billing"],
        operation_id="billing_portal",
    )
    def post(self, request):
        return Response({"url": stripe_billing.portal_session_create(user=request.user)})


class StripeWebhookApi(APIView):
    """Stripe calls this; the signature is the authentication."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(summary='Stripe webhook', request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT}, tags=["billing"],
                   operation_id="billing_webhook")  # fmt: skip
    def post(self, request):
        result = stripe_billing.webhook_process(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
        return Response(result)
