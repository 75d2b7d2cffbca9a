"""The render API: sync images, signed image URLs, async jobs, webhook deliveries and secrets."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core import files as stored_files
from core import requestfacts
from core.api import validated
from core.errors import ApiError
from core.files import file_url
from domains import selectors as domain_selectors
from loopwind import engine
from rendering import events, idempotency, jobs, selectors, services, webhooks
from templates_registry import cache as template_cache
from templates_registry import selectors as registry
from templates_registry.apis import PreflightOutput

PRINTABLE_ASCII = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")
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
    format = serializers.ChoiceField(choices=engine.IMAGE_FORMATS, default="png")
    scale = serializers.IntegerField(min_value=engine.MIN_SCALE, max_value=engine.MAX_SCALE, default=1)
    quality = serializers.IntegerField(min_value=1, max_value=100, required=False, allow_null=True)


class DeprecationOutput(serializers.Serializer):
    version = serializers.CharField()
    message = serializers.CharField()
    yanked = serializers.BooleanField()
    since = serializers.DateTimeField()


class DeprecationField(serializers.Field):
    """The warning of a deprecated or yanked version (null otherwise), from the object's ``version``."""

    def __init__(self, **kwargs):
        super().__init__(source="version", read_only=True, allow_null=True, **kwargs)

    def to_representation(self, version):
        notice = registry.version_notice(version)
        return DeprecationOutput(notice).data if notice else None


extend_schema_field(DeprecationOutput(allow_null=True))(DeprecationField)


def image_response(result: services.RenderResult, fmt: str) -> HttpResponse:
    requestfacts.note(format=fmt, cache="hit" if result.cache_hit else "miss")
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


def deprecation_headers(template, version) -> dict[str, str]:
    """Rendering a deprecated or yanked version says so: ``Deprecation`` (RFC 9745, the date it
    was deprecated), a ``Link`` to the template's page, and the author's message in
    ``X-Loopwind-Deprecation`` (percent-encoded beyond printable ASCII, as headers must be)."""
    notice = registry.version_notice(version)
    if notice is None:
        return {}
    return {
        "Deprecation": f"@{int(notice['since'].timestamp())}",
        "Link": f'<{settings.SITE_URL}/{template.slug}>; rel="deprecation"; type="text/html"',
        "X-Loopwind-Deprecation": quote(notice["message"], safe=PRINTABLE_ASCII),
    }


def _with_headers(response, headers: dict[str, str]):
    for name, value in headers.items():
        response[name] = value
    return response


def _idempotency_key(request) -> str | None:
    return request.headers.get("Idempotency-Key")


def _replayed(response):
    response["Idempotent-Replayed"] = "true"
    return response


class RenderApi(APIView):
    required_scopes = "render:write"

    @extend_schema(
        summary="Render an image",
        request=RenderInput,
        responses={(200, "image/png"): OpenApiTypes.BINARY},
        tags=["render"],
        operation_id="render_sync",
        description="Renders an image template synchronously and answers with the image bytes.",
    )
    def post(self, request):
        data = validated(RenderInput, request)
        rendered: list[services.RenderResult] = []

        def work():
            # The shared hot-path cache, else the database (templates_registry.cache)
            template = template_cache.template_for_render(ref=data["template"], viewer=request.user)
            version = template_cache.version_for_render(template=template, version=data["version"])
            result = services.render_image(
                user=request.user,
                template=template,
                version=version,
                props=data["props"],
                fmt=data["format"],
                scale=data["scale"],
                quality=data.get("quality"),
            )
            rendered.append(result)
            # What a replay needs to answer the same image again, read back from storage.
            return 200, {"output": result.output_name, "contentType": result.content_type,
                         "renderId": result.render_id, "durationMs": result.duration_ms,
                         "cacheKey": result.cache_key, "format": data["format"],
                         "headers": deprecation_headers(template, version)}  # fmt: skip

        _, saved, replayed = idempotency.run_once(
            user=request.user, endpoint="render", key=_idempotency_key(request), body=request.data, work=work
        )
        if not replayed:
            return _with_headers(image_response(rendered[0], data["format"]), saved["headers"])
        result = services.RenderResult(
            stored_files.file_read(saved["output"]), saved["contentType"], saved["renderId"], True,
            saved["durationMs"], saved["cacheKey"], saved["output"],
        )  # fmt: skip
        return _replayed(_with_headers(image_response(result, saved["format"]), saved.get("headers", {})))


class CheckInput(serializers.Serializer):
    template = serializers.CharField(max_length=200, help_text="username/template-name or a tpl_ id")
    version = serializers.CharField(max_length=64, required=False, default="latest")
    props = PropsField(required=False, default=dict)


class CheckApi(APIView):
    """Preflight of a render: the same template and props as POST /api/render, no output and no charge (the
    request counts against the rate limit like any other)."""

    required_scopes = "render:write"

    @extend_schema(
        request=CheckInput,
        responses={200: PreflightOutput},
        tags=["render"],
        operation_id="render_check",
        summary="Preflight a render",
        description="Warnings about a render before paying for it: missing glyphs, unavailable images, missing "
        "fonts, overflowing text, low contrast, text leaving the canvas in a video, Tailwind classes the renderer "
        "ignores. Props are validated as for a render (400 naming the prop).",
    )
    def post(self, request):
        data = validated(CheckInput, request)
        _, version = registry.template_version_get(
            ref=data["template"], version=data["version"], viewer=request.user
        )
        warnings = services.render_check(
            version=version, props=data["props"], account=f"renders:user:{request.user.pk}"
        )
        return Response(PreflightOutput({"warnings": warnings}).data)


class SignInput(RenderInput):
    domain = serializers.CharField(
        max_length=300,
        required=False,
        help_text="A verified custom domain of the account (og.example.com): the URL is on it. "
        "Only for the account's own templates.",
    )


class SignApi(APIView):
    required_scopes = "render:write"

    class Output(serializers.Serializer):
        url = serializers.URLField()
        version = serializers.CharField()
        deprecation = DeprecationOutput(allow_null=True)

    @extend_schema(
        summary="Sign an image URL",
        description="Answers with a signed URL that renders the image on GET, for <img> tags and Open Graph tags; each new render counts against your plan. With domain, the URL is on that verified custom domain of yours.",
        request=SignInput,
        responses={200: Output},
        tags=["render"],
        operation_id="render_sign",
    )
    def post(self, request):
        data = validated(SignInput, request)
        template, version = registry.template_version_get(
            ref=data["template"], version=data["version"], viewer=request.user
        )
        base_url = None
        if data.get("domain"):
            domain = domain_selectors.domain_for_signing(account=request.user, name=data["domain"])
            if template.owner_id != request.user.pk:
                raise ApiError(
                    f"{domain.domain} serves {request.user.username}'s templates only; "
                    f"{template.owner.username}/{template.name} is not one of them.",
                    code="domain_template_mismatch",
                    details={"domain": domain.domain},
                )
            base_url = f"https://{domain.domain}"
        services.check_props(version=version, props=data["props"])
        url = services.image_url_sign(
            signer=request.user,
            template=template,
            version=version.version,
            props=data["props"],
            fmt=data["format"],
            scale=data["scale"],
            base_url=base_url,
        )
        return Response(
            self.Output(
                {"url": url, "version": version.version, "deprecation": registry.version_notice(version)}
            ).data
        )


class SigningSecretApi(APIView):
    required_scopes = "keys:manage"  # account-level: rotating it stops every signed URL at once
    account_role = "admin"

    class Output(serializers.Serializer):
        rotatedAt = serializers.DateTimeField(source="signing_rotated_at")

    @extend_schema(
        summary="Rotate the URL signing secret",
        request=None,
        responses={200: Output},
        tags=["render"],
        operation_id="render_signing_secret_rotate",
        description="Rotates the secret that signs your image URLs: every URL signed before stops working.",
    )
    def post(self, request):
        row = services.signing_secret_rotate(user=request.user)
        return Response(self.Output(row).data, status=status.HTTP_200_OK)


# --- async jobs -----------------------------------------------------------------------------


class AsyncRenderInput(RenderInput):
    format = serializers.ChoiceField(choices=engine.FORMATS, default="mp4")
    webhook = serializers.URLField(max_length=2000, required=False, allow_blank=True)


class JobAccepted(serializers.Serializer):
    jobId = serializers.CharField(source="public_id")
    status = serializers.CharField()
    estimatedDuration = serializers.IntegerField(source="estimated_ms")
    statusUrl = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    deprecation = DeprecationField(
        help_text="Set when the version is deprecated or yanked: the author's message."
    )

    @extend_schema_field(OpenApiTypes.STR)
    def get_statusUrl(self, job) -> str:
        return f"/api/render/{job.public_id}"


class JobError(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class JobStatus(serializers.Serializer):
    jobId = serializers.CharField(source="public_id")
    status = serializers.CharField()
    progress = serializers.FloatField()
    currentFrame = serializers.IntegerField(source="current_frame")
    totalFrames = serializers.IntegerField(source="total_frames")
    template = serializers.CharField(source="template.slug")
    format = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")
    startedAt = serializers.DateTimeField(source="started_at", allow_null=True)
    completedAt = serializers.DateTimeField(source="completed_at", allow_null=True)
    duration = serializers.IntegerField(source="duration_ms", allow_null=True)
    outputUrl = serializers.SerializerMethodField()
    expiresAt = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()
    deprecation = DeprecationField(
        help_text="Set when the version is deprecated or yanked: the author's message."
    )

    def _output(self, job):
        output = getattr(job, "output", None) if job.status == "completed" else None
        return output if output is not None and output.deleted_at is None else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_outputUrl(self, job) -> str | None:
        output = self._output(job)
        if output is None:
            return None
        remaining = int((output.expires_at - timezone.now()).total_seconds())
        return file_url(output.name, expires_in=max(remaining, 1)) if remaining > 0 else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_expiresAt(self, job):
        output = self._output(job)
        return output.expires_at.isoformat().replace("+00:00", "Z") if output else None

    @extend_schema_field(JobError(allow_null=True))
    def get_error(self, job) -> dict | None:
        if job.status != "failed":
            return None
        return {"code": job.error_code, "message": job.error_message}


class AsyncRenderApi(APIView):
    required_scopes = "render:write"

    @extend_schema(
        summary="Start a render job",
        description="Queues a render (videos: MP4, WebM or GIF; images too) and answers 202 with the job id. Follow it with GET /api/render/{id}, its event stream, or a webhook.",
        request=AsyncRenderInput,
        responses={202: JobAccepted},
        tags=["render"],
        operation_id="render_async",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
    )
    def post(self, request):
        data = validated(AsyncRenderInput, request)

        def work():
            template, version = registry.template_version_get(
                ref=data["template"], version=data["version"], viewer=request.user
            )
            job = jobs.render_job_create(
                user=request.user,
                template=template,
                version=version,
                props=data["props"],
                fmt=data["format"],
                scale=data["scale"],
                webhook=data.get("webhook") or None,
            )
            jobs.render_job_enqueue(job=job)
            return status.HTTP_202_ACCEPTED, JobAccepted(job).data

        status_code, payload, replayed = idempotency.run_once(
            user=request.user,
            endpoint="render.async",
            key=_idempotency_key(request),
            body=request.data,
            work=work,
        )
        response = Response(payload, status=status_code)
        return _replayed(response) if replayed else response


class JobApi(APIView):
    required_scopes = {"GET": "render:read", "DELETE": "render:write"}

    @extend_schema(
        summary="Get a render job",
        description="The job's status and progress; once completed, a signed outputUrl valid until expiresAt.",
        responses={200: JobStatus},
        tags=["render"],
        operation_id="render_job_get",
    )
    def get(self, request, job_id: str):
        return Response(JobStatus(selectors.render_job_get(job_id=job_id, user=request.user)).data)

    @extend_schema(
        summary="Cancel a render job",
        description="Cancels a queued or processing job; a job already finished is refused with 409 job_final.",
        responses={200: JobStatus},
        tags=["render"],
        operation_id="render_job_cancel",
    )
    def delete(self, request, job_id: str):
        job = jobs.render_job_cancel(job=selectors.render_job_get(job_id=job_id, user=request.user))
        return Response(JobStatus(job).data)


SSE_EVENT = events.event_schema(
    ["progress", "completed", "failed", "cancelled"],
    "the job status object (as GET /api/render/{job_id}), JSON",
)


class JobEventsApi(APIView):
    required_scopes = "render:read"

    @extend_schema(
        summary="Follow a render job",
        responses={(200, "text/event-stream"): SSE_EVENT},
        tags=["render"],
        operation_id="render_job_events",
        description="Server-Sent Events: `progress` while the job runs, then one final event "
        "(`completed`, `failed` or `cancelled`) carrying the job status object. A stream lasts at most "
        "`SSE_STREAM_SECONDS` (45 s by default) and then ends without a final event: reconnect (a "
        "browser's EventSource does, after the stream's `retry` of 1 s); every stream starts with the "
        "job's current state, so nothing is missed.",
    )
    def get(self, request, job_id: str):
        selectors.render_job_get(job_id=job_id, user=request.user)  # a 404 before the stream starts
        user = request.user

        def read() -> events.State:
            job = selectors.render_job_get(job_id=job_id, user=user)
            return events.State(
                key=(job.status, job.current_frame),
                event=job.status if job.is_final else "progress",
                body=JobStatus(job).data,
                final=job.is_final,
            )

        return events.event_stream_response(read)


# --- webhooks --------------------------------------------------------------------------------


class DeliveryOutput(serializers.Serializer):
    class Attempt(serializers.Serializer):
        number = serializers.IntegerField()
        at = serializers.DateTimeField()
        ok = serializers.BooleanField()
        statusCode = serializers.IntegerField(source="status_code", allow_null=True)
        error = serializers.CharField()
        durationMs = serializers.IntegerField(source="duration_ms")

    id = serializers.CharField(source="public_id")
    event = serializers.CharField()
    url = serializers.CharField()
    jobId = serializers.CharField(source="job.public_id", allow_null=True, default=None)
    webhookId = serializers.CharField(source="message_id")
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    lastStatusCode = serializers.IntegerField(source="last_status_code", allow_null=True)
    lastError = serializers.CharField(source="last_error")
    nextAttemptAt = serializers.DateTimeField(source="next_attempt_at", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    deliveredAt = serializers.DateTimeField(source="delivered_at", allow_null=True)
    attemptLog = Attempt(source="attempt_log.all", many=True, help_text="Every attempt, oldest first.")


class DeliveriesApi(APIView):
    required_scopes = "render:read"

    @extend_schema(
        summary="List webhook deliveries",
        description="Your newest webhook deliveries with every attempt: status code, error and timing.",
        responses={200: DeliveryOutput(many=True)},
        tags=["webhooks"],
        operation_id="webhook_deliveries",
    )
    def get(self, request):
        return Response(DeliveryOutput(selectors.delivery_list(user=request.user), many=True).data)


class RedeliverApi(APIView):
    required_scopes = "render:write"
    account_role = "admin"  # webhooks are the admins'

    @extend_schema(
        summary="Redeliver a webhook",
        description="Sends a delivery again, with the same payload and a fresh signature.",
        request=None,
        responses={202: DeliveryOutput},
        tags=["webhooks"],
        operation_id="webhook_redeliver",
    )
    def post(self, request, delivery_id: str):
        delivery = webhooks.webhook_redeliver(user=request.user, delivery_id=delivery_id)
        return Response(DeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookSecretApi(APIView):
    # Account-level: whoever reads the secret can sign webhooks as loopwind to the owner's receiver.
    required_scopes = "keys:manage"
    account_role = "admin"

    class Output(serializers.Serializer):
        secret = serializers.CharField(source="webhook_secret")
        rotatedAt = serializers.DateTimeField(source="webhook_rotated_at")

    @extend_schema(
        summary="Get the webhook secret",
        description="The secret that signs your webhook deliveries (the X-Loopwind-Signature header).",
        responses={200: Output},
        tags=["webhooks"],
        operation_id="webhook_secret_get",
    )
    def get(self, request):
        return Response(self.Output(services.secrets_for(request.user)).data)

    @extend_schema(
        summary="Rotate the webhook secret",
        description="A new webhook signing secret; deliveries from now on are signed with it.",
        request=None,
        responses={200: Output},
        tags=["webhooks"],
        operation_id="webhook_secret_rotate",
    )
    def post(self, request):
        return Response(self.Output(services.webhook_secret_rotate(user=request.user)).data)
