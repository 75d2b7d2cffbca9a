"""The batch render API: POST /api/render/batch (JSON rows or a CSV upload), its status with
per-row results, a zip of the outputs, a CSV manifest, and cancel."""

from __future__ import annotations

from hashlib import sha256

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import validated
from loopwind import engine
from rendering import batch as batches
from rendering import events, idempotency, selectors
from rendering.batch_outputs import manifest_lines, row_url, zip_pieces
from rendering.models import RenderBatch
from templates_registry import selectors as registry

ROWS_PAGE = 100
MAX_ROWS_PAGE = 1000


class BatchInput(serializers.Serializer):
    template = serializers.CharField(max_length=200, help_text="username/template-name or a tpl_ id")
    version = serializers.CharField(max_length=64, required=False, default="latest")
    # Text checked against the image formats (not a ChoiceField: a third enum of the same name
    # would rename the schema's existing ones)
    format = serializers.CharField(default="png", help_text="png, jpg, webp, svg or pdf")
    scale = serializers.IntegerField(min_value=engine.MIN_SCALE, max_value=engine.MAX_SCALE, default=1)
    rows = serializers.ListField(
        child=serializers.JSONField(allow_null=True),
        required=False,
        help_text="One props object per row; a `filename` key names the row's output.",
    )
    csv = serializers.FileField(
        required=False,
        help_text="multipart only: a CSV whose header names the props (and optionally `filename`).",
    )
    onInvalid = serializers.ChoiceField(choices=["reject", "skip"], default="reject")
    webhook = serializers.URLField(max_length=2000, required=False, allow_blank=True)

    def validate_format(self, value):
        if value not in engine.IMAGE_FORMATS:
            raise serializers.ValidationError(f"A batch renders to {', '.join(engine.IMAGE_FORMATS)}.")
        return value

    def validate(self, attrs):
        if ("rows" in attrs) == ("csv" in attrs):
            raise serializers.ValidationError(
                {"rows": ["Send either rows (JSON) or a csv file (multipart)."]}
            )
        return attrs


class RowError(serializers.Serializer):
    row = serializers.IntegerField()
    prop = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()


class BatchRowOutput(serializers.Serializer):
    row = serializers.IntegerField(source="number")
    filename = serializers.CharField()
    status = serializers.CharField(help_text="pending, done, failed or cancelled")
    url = serializers.SerializerMethodField()
    size = serializers.IntegerField()
    error = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_url(self, row) -> str | None:
        return row_url(row)

    @extend_schema_field(RowError(allow_null=True))
    def get_error(self, row) -> dict | None:
        if not row.error_code:
            return None
        return {"row": row.number, "prop": None, "code": row.error_code, "message": row.error_message}


class BatchOutput(serializers.Serializer):
    batchId = serializers.CharField(source="public_id")
    status = serializers.CharField(help_text="queued, processing, completed or cancelled")
    template = serializers.CharField(source="template.slug")
    format = serializers.CharField()
    total = serializers.IntegerField(source="total_rows")
    skipped = serializers.IntegerField(source="skipped_rows")
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    remaining = serializers.IntegerField()
    progress = serializers.FloatField()
    createdAt = serializers.DateTimeField(source="created_at")
    completedAt = serializers.DateTimeField(source="completed_at", allow_null=True)
    statusUrl = serializers.CharField()
    zipUrl = serializers.CharField()
    manifestUrl = serializers.CharField()


class BatchAccepted(BatchOutput):
    skippedRows = RowError(many=True, help_text="with onInvalid=skip: the rows left out, and why (capped)")


class BatchStatus(BatchOutput):
    rows = BatchRowOutput(many=True)
    page = serializers.IntegerField()
    pages = serializers.IntegerField()


def _summary(batch: RenderBatch) -> dict:
    counts = selectors.batch_counts(batch=batch)
    base = f"/api/render/batch/{batch.public_id}"
    finished = counts["done"] + counts["failed"] + counts["cancelled"]
    return {
        "public_id": batch.public_id, "status": batch.status, "template": batch.template, "format": batch.format,
        "total_rows": batch.total_rows, "skipped_rows": batch.skipped_rows, "done": counts["done"],
        "failed": counts["failed"], "cancelled": counts["cancelled"], "remaining": counts["pending"],
        "progress": round(finished / max(batch.total_rows, 1), 4), "created_at": batch.created_at,
        "completed_at": batch.completed_at, "statusUrl": base, "zipUrl": f"{base}/zip",
        "manifestUrl": f"{base}/manifest.csv",
    }  # fmt: skip


class BatchApi(APIView):
    required_scopes = "render:write"
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        request={"application/json": BatchInput, "multipart/form-data": BatchInput},
        responses={202: BatchAccepted},
        tags=["render"],
        operation_id="render_batch",
        summary="Render a batch from rows or a CSV",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        description="Renders an image template once per row, on the workers. Every row is checked first: "
        "a bad row is reported with its number and prop, and `onInvalid` chooses between refusing the batch "
        "(`reject`, the default: 400 listing the bad rows) and leaving those rows out (`skip`). The month's "
        "remaining quota must cover every row; each rendered row is charged one image render.",
    )
    def post(self, request):
        data = validated(BatchInput, request)
        upload = data.get("csv")
        if upload is not None:
            content = upload.read(batches.MAX_CSV_BYTES + 1)
            rows = batches.rows_from_csv(content)
            # The key's fingerprint covers the file's bytes: another CSV under the same key is a 409
            body = {
                **{k: v for k, v in request.data.items() if k != "csv"},
                "csvSha256": sha256(content).hexdigest(),
            }
        else:
            rows = batches.rows_from_json(data["rows"])
            body = request.data

        def work():
            template, version = registry.template_version_get(
                ref=data["template"], version=data["version"], viewer=request.user
            )
            batch, skipped = batches.render_batch_create(
                user=request.user, template=template, version=version, rows=rows, fmt=data["format"],
                scale=data["scale"], on_invalid=data["onInvalid"], webhook=data.get("webhook") or None,
            )  # fmt: skip
            batches.render_batch_enqueue(batch=batch)
            payload = BatchAccepted({**_summary(batch), "skippedRows": skipped[: batches.ERRORS_LISTED]}).data
            return status.HTTP_202_ACCEPTED, payload

        status_code, payload, replayed = idempotency.run_once(
            user=request.user,
            endpoint="render.batch",
            key=request.headers.get("Idempotency-Key"),
            body=body,
            work=work,
        )
        response = Response(payload, status=status_code)
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class BatchGetApi(APIView):
    required_scopes = "render:read"

    class Query(serializers.Serializer):
        page = serializers.IntegerField(required=False, min_value=1, max_value=100_000, default=1)
        limit = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_ROWS_PAGE, default=ROWS_PAGE
        )

    @extend_schema(
        parameters=[Query],
        responses={200: BatchStatus},
        tags=["render"],
        operation_id="render_batch_get",
        summary="A batch's progress and rows",
        description="Rows done, failed and remaining, and a page of rows with their outputs as signed URLs while they live. Another account's batch is a 404.",
    )
    def get(self, request, batch_id: str):
        query = self.Query(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        page, limit = query.validated_data["page"], query.validated_data["limit"]
        batch = selectors.render_batch_get(batch_id=batch_id, user=request.user)
        rows = selectors.batch_rows(batch=batch)[(page - 1) * limit : page * limit]
        body = {**_summary(batch), "rows": rows, "page": page, "pages": max(1, -(-batch.total_rows // limit))}
        return Response(BatchStatus(body).data)


class BatchCancelApi(APIView):
    required_scopes = "render:write"

    @extend_schema(
        request=None,
        responses={200: BatchOutput},
        tags=["render"],
        operation_id="render_batch_cancel",
        summary="Cancel a batch",
        description="Stops the rows not yet rendered; rows already rendered keep their outputs and their charge.",
    )
    def post(self, request, batch_id: str):
        batch = batches.render_batch_cancel(
            batch=selectors.render_batch_get(batch_id=batch_id, user=request.user)
        )
        return Response(BatchOutput(_summary(batch)).data)


BATCH_EVENT = events.event_schema(
    ["progress", "completed", "cancelled"],
    "the batch's progress (as GET /api/render/batch/{batch_id}, without rows), JSON",
)


class BatchEventsApi(APIView):
    required_scopes = "render:read"

    @extend_schema(
        summary="Follow a render batch",
        responses={(200, "text/event-stream"): BATCH_EVENT},
        tags=["render"],
        operation_id="render_batch_events",
        description="Server-Sent Events, as for a render job: the batch's current state first, `progress` "
        "as rows finish (done, failed, remaining), then one final event (`completed` or `cancelled`). A "
        "stream lasts at most `SSE_STREAM_SECONDS` (45 s by default) and then ends without a final event: "
        "reconnect (after the stream's `retry` of 1 s); every stream starts with the current state.",
    )
    def get(self, request, batch_id: str):
        selectors.render_batch_get(batch_id=batch_id, user=request.user)  # a 404 before the stream starts
        user = request.user

        def read() -> events.State:
            batch = selectors.render_batch_get(batch_id=batch_id, user=user)
            body = BatchOutput(_summary(batch)).data
            return events.State(
                key=(batch.status, body["done"], body["failed"], body["cancelled"]),
                event=batch.status if batch.is_final else "progress",
                body=body,
                final=batch.is_final,
            )

        return events.event_stream_response(read)


class BatchZipApi(APIView):
    required_scopes = "render:read"

    @extend_schema(
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
        tags=["render"],
        operation_id="render_batch_zip",
        summary="Download a batch as a zip",
        description="Every rendered row's output under its filename, and manifest.csv; streamed.",
    )
    def get(self, request, batch_id: str):
        batch = selectors.render_batch_get(batch_id=batch_id, user=request.user)
        response = StreamingHttpResponse(
            zip_pieces(selectors.batch_rows(batch=batch)), content_type="application/zip"
        )
        response["Content-Disposition"] = f'attachment; filename="{batch.public_id}.zip"'
        return response


class BatchManifestApi(APIView):
    required_scopes = "render:read"

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR},
        tags=["render"],
        operation_id="render_batch_manifest",
        summary="A batch's manifest as CSV",
        description="One line per row: row, filename, url, status, error.",
    )
    def get(self, request, batch_id: str):
        batch = selectors.render_batch_get(batch_id=batch_id, user=request.user)
        lines = manifest_lines(selectors.batch_rows(batch=batch).iterator(chunk_size=500))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{batch.public_id}-manifest.csv"'
        return response
