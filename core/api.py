"""Small pieces every API module shares."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.views import APIView


def validated(serializer_class, request, **kwargs) -> dict:
    """Validate the request body with an input serializer; errors become the 400 error JSON.
    A JSON body must also carry the JSON type each field documents (see ``json_type_errors``)."""
    serializer = serializer_class(data=request.data, **kwargs)
    if isinstance(request.data, dict) and not hasattr(request.data, "getlist"):  # JSON, not a form
        errors = json_type_errors(serializer, request.data)
        if errors:
            raise serializers.ValidationError(errors)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def validated_query(serializer_class, request) -> dict:
    """Validate the query string with a serializer: a blank value is a value (``?to=`` is refused,
    not taken as omitted) and a parameter the serializer does not name is a 400, as the schema says
    (a misspelt ``groupby=`` must not silently give another answer)."""
    data = request.query_params.dict()
    serializer = serializer_class(data=data)
    unknown = sorted(set(data) - set(serializer.fields))
    if unknown:
        raise serializers.ValidationError(
            {name or "(empty name)": ["Unknown parameter."] for name in unknown}
        )
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


_JSON_TYPES: list[tuple[type, tuple[type, ...], str]] = [
    # most specific first: BooleanField and the number fields are not CharFields, ChoiceField is not either
    (serializers.BooleanField, (bool,), "a boolean"),
    (serializers.IntegerField, (int,), "an integer"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.DecimalField, (int, float), "a number"),
    (serializers.CharField, (str,), "a string"),
    (serializers.ChoiceField, (str,), "a string"),
]


def json_type_errors(serializer, data: dict) -> dict:
    """DRF coerces leniently: ``"bio": 0`` becomes "0", ``"limit": "5"`` becomes 5, ``"private":
    "yes"`` becomes True. A client that sends the wrong JSON type has a bug, and silently taking
    its value hides it, so a JSON body is held to the types the schema documents. Form bodies
    (multipart publish) carry only text and keep DRF's parsing."""
    errors: dict = {}
    for name, field in serializer.fields.items():
        if field.read_only or name not in data or data[name] is None:
            continue
        value = data[name]
        if isinstance(field, serializers.Serializer):
            if isinstance(value, dict) and (nested := json_type_errors(field, value)):
                errors[name] = nested
            continue
        if isinstance(field, serializers.ListField) and isinstance(value, list):
            wanted = _wanted_type(field.child)
            if wanted and any(not _is(item, wanted[0]) for item in value):
                errors[name] = [f"Each item must be {wanted[1]}."]
            continue
        wanted = _wanted_type(field)
        if wanted and not _is(value, wanted[0]):
            errors[name] = [f"Must be {wanted[1]}."]
    return errors


def _wanted_type(field) -> tuple[tuple[type, ...], str] | None:
    if isinstance(field, serializers.ChoiceField) and not all(isinstance(c, str) for c in field.choices):
        return None
    for field_class, types, name in _JSON_TYPES:
        if isinstance(field, field_class):
            return types, name
    return None


def _is(value, types: tuple[type, ...]) -> bool:
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)


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


# The error statuses every operation may answer with (core/errors.py), by kind of operation.
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


# billing/ratelimit.py (the plan's policy on core/ratelimit.py) sets these on every /api/ response while rate limits are on.
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
        # A permission that lets anonymous callers read (accounts.permissions.PublicReads) says so
        # with ``anonymous_reads``; drf-spectacular only knows DRF's own classes.
        auths = []
        for auth in super().get_auth():  # the bearer extension and the SECURITY setting both add it
            if auth not in auths:
                auths.append(auth)
        public = any(getattr(p, "anonymous_reads", False) for p in self.view.get_permissions())
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
