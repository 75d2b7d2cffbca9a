"""The render API: sync images, signed image URLs, async jobs, webhook deliveries and secrets."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from loopwind.engine import limits
from loopwind_site.api import validated
from rendering import services
from templates_registry import selectors as registry

SAFE_SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"


class PropsField(serializers.DictField):
    """A JSON object of props; values are checked by the engine against the template's manifest."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("props must be a JSON object.")
        return data


class RenderInput(serializers.Serializer):
    template = serializers.CharField(max_length=200, help_text="username/template-name or a tpl_ id")
    version = serializers.CharField(max_length=64, required=False, default="latest")
    props = PropsField(required=False, default=dict)
    format = serializers.ChoiceField(choices=services.IMAGE_FORMATS, default="png")
    scale = serializers.IntegerField(min_value=limits.MIN_SCALE, max_value=limits.MAX_SCALE, default=1)
    quality = serializers.IntegerField(min_value=1, max_value=100, required=False, allow_null=True)


def image_response(result: services.RenderResult, fmt: str) -> HttpResponse:
    response = HttpResponse(result.content, content_type=result.content_type)
    response["X-Render-Id"] = result.render_id
    response["X-Render-Duration"] = f"{result.duration_ms}ms"
    response["X-Render-Cache"] = "HIT" if result.cache_hit else "MISS"
    response["ETag"] = f'"{result.cache_key}"'
    if fmt == "svg":
        # An SVG opened directly must not run script: it is a template author's markup.
        response["Content-Security-Policy"] = SAFE_SVG_CSP
    response["X-Content-Type-Options"] = "nosniff"
    return response


class RenderApi(APIView):
    required_scopes = "render:write"

    @extend_schema(
        request=RenderInput,
        responses={(200, "image/png"): OpenApiTypes.BINARY},
        tags=["render"],
        operation_id="render_sync",
        description="Renders an image template synchronously and answers with the image bytes.",
    )
    def post(self, request):
        data = validated(RenderInput, request)
        template = registry.template_get_by_ref(ref=data["template"], viewer=request.user)
        version = registry.version_get(template=template, version=data["version"])
        result = services.render_image(
            user=request.user,
            template=template,
            version=version,
            props=data["props"],
            fmt=data["format"],
            scale=data["scale"],
            quality=data.get("quality"),
        )
        return image_response(result, data["format"])


class SignApi(APIView):
    required_scopes = "render:write"

    class Output(serializers.Serializer):
        url = serializers.URLField()
        version = serializers.CharField()

    @extend_schema(request=RenderInput, responses={200: Output}, tags=["render"], operation_id="render_sign")
    def post(self, request):
        data = validated(RenderInput, request)
        template = registry.template_get_by_ref(ref=data["template"], viewer=request.user)
        version = registry.version_get(template=template, version=data["version"])
        services.check_props(template=template, version=version, props=data["props"])
        url = services.image_url_sign(
            signer=request.user,
            template=template,
            version=version.version,
            props=data["props"],
            fmt=data["format"],
            scale=data["scale"],
        )
        return Response(self.Output({"url": url, "version": version.version}).data)


class SigningSecretApi(APIView):
    required_scopes = "render:write"

    class Output(serializers.Serializer):
        rotatedAt = serializers.DateTimeField(source="signing_rotated_at")

    @extend_schema(
        request=None,
        responses={200: Output},
        tags=["render"],
        operation_id="render_signing_secret_rotate",
        description="Rotates the secret that signs your image URLs: every URL signed before stops working.",
    )
    def post(self, request):
        row = services.signing_secret_rotate(user=request.user)
        return Response(self.Output(row).data, status=status.HTTP_200_OK)
