"""Small pieces every API module shares."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


def validated(serializer_class, request, **kwargs) -> dict:
    """Validate the request body with an input serializer; errors become the 400 error JSON."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class PublicApiView(APIView):
    """No authentication: a stale or broken Bearer header must not stand in the way of signing in."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


class AutoSchema(SpectacularAutoSchema):
    """Views nest their serializers (``PublishApi.Input``); name schema components after the
    whole qualified name so two views' ``Input`` classes do not collide."""

    def get_serializer_name(self, serializer, direction):
        return type(serializer).__qualname__.replace(".", "")
