"""Small pieces every API module shares."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, AllowAny
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


class ErrorBody(serializers.Serializer):
    code = serializers.CharField(help_text="snake_case error code, e.g. not_found, insufficient_scope")
    message = serializers.CharField(help_text="a human sentence")
    details = serializers.DictField(help_text="more about the error (field errors, limits, retryAfter …)")


class Error(serializers.Serializer):
    error = ErrorBody()


# The error statuses every operation may answer with (loopwind_site/errors.py), by kind of operation.
# Documenting them keeps the schema honest: clients (and schemathesis) see the error JSON's shape.
ERRORS_ALWAYS = {
    "400": "Invalid input (the error names the field).",
    "401": "Missing, expired or invalid credentials (or, signing in, a wrong password).",
    "404": "No such thing, or one the caller may not see.",
    "429": "Rate limit or monthly quota reached (Retry-After).",
    "503": "A dependency (queue, storage, billing) is unavailable.",
}
ERRORS_AUTHENTICATED = {
    "403": "The API key lacks the scope, or the plan does not allow this.",
}
ERRORS_WRITES = {
    "409": "Conflict (an existing version, a reused Idempotency-Key with another body …).",
    "413": "The request body is too large.",
    "415": "The request body's Content-Type is not JSON, form or multipart.",
    "422": "The request was valid but could not be carried out (a render failed).",
}


# billing/ratelimit.py sets these on every /api/ response while rate limits are on.
RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": {"schema": {"type": "integer"}, "description": "Requests allowed per minute."},
    "X-RateLimit-Remaining": {"schema": {"type": "integer"}, "description": "Requests left this minute."},
    "X-RateLimit-Reset": {
        "schema": {"type": "integer"},
        "description": "Unix time (seconds) when the minute's count starts over.",
    },
}
RETRY_AFTER_HEADER = {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again."}


class AutoSchema(SpectacularAutoSchema):
    """Views nest their serializers (``PublishApi.Input``); name schema components after the
    whole qualified name so two views' ``Input`` classes do not collide."""

    def get_serializer_name(self, serializer, direction):
        return type(serializer).__qualname__.replace(".", "")

    def get_auth(self):
        # PublicReads lets anonymous callers read; drf-spectacular only knows DRF's own classes.
        from accounts.permissions import PublicReads

        auths = []
        for auth in super().get_auth():  # the bearer extension and the SECURITY setting both add it
            if auth not in auths:
                auths.append(auth)
        public = any(isinstance(p, PublicReads) for p in self.view.get_permissions())
        if public and self.method in SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = dict(ERRORS_ALWAYS)
        if self.view.authentication_classes:
            errors.update(ERRORS_AUTHENTICATED)
        if self.method not in SAFE_METHODS:
            errors.update(ERRORS_WRITES)
        ref = self.resolve_serializer(Error, "response").ref
        for status_code, description in errors.items():
            responses.setdefault(
                status_code,
                {"description": description, "content": {"application/json": {"schema": ref}}},
            )
        for status_code, response in responses.items():
            headers = response.setdefault("headers", {})
            headers.update(RATE_LIMIT_HEADERS)
            if str(status_code) in ("429", "503"):
                headers["Retry-After"] = RETRY_AFTER_HEADER
        return responses
