"""Thin API views: authenticate, validate, call one service or selector, serialize."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.acting import actor_of
from accounts.models import API_KEY_SCOPES
from accounts.permissions import HasRequiredScopes
from core.api import PublicApiView, validated


class UserOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    kind = serializers.CharField(help_text="person, or org when acting for an organization")
    email = serializers.EmailField(allow_null=True)
    username = serializers.CharField()
    name = serializers.CharField()
    avatarUrl = serializers.CharField(source="avatar_url")
    bio = serializers.CharField()
    plan = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")


class TokenPairOutput(serializers.Serializer):
    token = serializers.CharField(help_text="JWT access token, valid for 15 minutes")
    refreshToken = serializers.CharField(help_text="Single-use refresh token (rotated on refresh)")


class SessionOutput(TokenPairOutput):
    user = UserOutput()


class RegisterApi(PublicApiView):
    class Input(serializers.Serializer):
        email = serializers.EmailField(max_length=255)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
        username = serializers.CharField(max_length=39, required=False, allow_blank=True, default="")

    @extend_schema(
        summary="Create an account",
        request=Input,
        responses={201: SessionOutput},
        tags=["auth"],
        operation_id="auth_register",
    )
    def post(self, request):
        data = validated(self.Input, request)
        user = services.user_register(**data, request=request)
        return Response(
            SessionOutput({"user": user, **services.tokens_for_user(user)}).data,
            status=status.HTTP_201_CREATED,
        )


class LoginApi(PublicApiView):
    class Input(serializers.Serializer):
        email = serializers.CharField(max_length=255)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(
        summary="Sign in",
        request=Input,
        responses={200: SessionOutput},
        tags=["auth"],
        operation_id="auth_login",
    )
    def post(self, request):
        data = validated(self.Input, request)
        user = services.user_login(request=request._request, **data)
        return Response(SessionOutput({"user": user, **services.tokens_for_user(user)}).data)


class RefreshApi(PublicApiView):
    class Input(serializers.Serializer):
        refreshToken = serializers.CharField(max_length=2048)

    @extend_schema(
        summary="Refresh the access token",
        request=Input,
        responses={200: TokenPairOutput},
        tags=["auth"],
        operation_id="auth_refresh",
    )
    def post(self, request):
        data = validated(self.Input, request)
        return Response(TokenPairOutput(services.token_refresh(refresh_token=data["refreshToken"])).data)


class LogoutApi(APIView):
    permission_classes = [AllowAny]

    class Input(serializers.Serializer):
        refreshToken = serializers.CharField(max_length=2048, required=False, allow_blank=True)

    @extend_schema(
        summary="Sign out",
        request=Input,
        responses={204: None},
        tags=["auth"],
        operation_id="auth_logout",
        description="Ends the session of the given refresh token; without one, every session of the caller (its refresh tokens and its website sessions).",
    )
    def post(self, request):
        data = validated(self.Input, request)
        user = request.user if request.user.is_authenticated else None
        if user is not None and not data.get("refreshToken"):
            # Ending every session is account-level: a render key must not sign its owner out.
            HasRequiredScopes().check_scope(request, "keys:manage")
        services.user_logout(refresh_token=data.get("refreshToken") or None, user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    # Reading who you are takes any key; editing the profile is account-level, like the plan.
    required_scopes = {"PATCH": "keys:manage"}
    account_role = {"GET": "member", "PATCH": None}  # an organization's profile: PATCH /api/orgs/{slug}

    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=255, required=False, allow_blank=True)
        bio = serializers.CharField(max_length=500, required=False, allow_blank=True)
        avatarUrl = serializers.URLField(
            max_length=500, required=False, allow_blank=True, source="avatar_url"
        )

    @extend_schema(
        summary="Get your account",
        description="Your profile, plan and public id, as the signed-in caller (JWT or API key).",
        responses={200: UserOutput},
        tags=["account"],
        operation_id="me_get",
    )
    def get(self, request):
        return Response(UserOutput(request.user).data)

    @extend_schema(
        summary="Update your profile",
        description="Changes your name, bio or avatar URL; fields left out stay as they are.",
        request=Input,
        responses={200: UserOutput},
        tags=["account"],
        operation_id="me_update",
    )
    def patch(self, request):
        data = validated(self.Input, request)
        return Response(UserOutput(services.user_update(user=request.user, **data)).data)


class ApiKeyOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    lastUsed = serializers.DateTimeField(source="last_used_at", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")


class ApiKeyCreatedOutput(ApiKeyOutput):
    key = serializers.CharField(help_text="The whole key. Shown once; store it now.")


class ApiKeysApi(APIView):
    required_scopes = "keys:manage"
    account_role = "admin"

    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=100)
        scopes = serializers.ListField(
            child=serializers.CharField(max_length=40),
            required=False,
            max_length=len(API_KEY_SCOPES) * 2,
            help_text=f"Any of {', '.join(API_KEY_SCOPES)}. Default: render:read, render:write, templates:read.",
        )

    @extend_schema(
        summary="List API keys",
        description="Your active API keys: name, prefix, scopes and when each was last used. The key itself is never shown again.",
        responses={200: ApiKeyOutput(many=True)},
        tags=["keys"],
        operation_id="keys_list",
    )
    def get(self, request):
        return Response(ApiKeyOutput(selectors.api_key_list(user=request.user), many=True).data)

    @extend_schema(
        summary="Create an API key",
        description="Creates a key with the given scopes and answers with the whole key, once: store it now.",
        request=Input,
        responses={201: ApiKeyCreatedOutput},
        tags=["keys"],
        operation_id="keys_create",
    )
    def post(self, request):
        data = validated(self.Input, request)
        key, raw = services.api_key_create(
            user=request.user, name=data["name"], scopes=data.get("scopes"), actor=actor_of(request)
        )
        key.key = raw
        return Response(ApiKeyCreatedOutput(key).data, status=status.HTTP_201_CREATED)


class ApiKeyDetailApi(APIView):
    required_scopes = "keys:manage"
    account_role = "admin"

    @extend_schema(
        summary="Revoke an API key",
        description="Revokes the key at once: requests that use it are refused with 401. Cannot be undone.",
        responses={204: None},
        tags=["keys"],
        operation_id="keys_revoke",
    )
    def delete(self, request, key_id: str):
        services.api_key_revoke(user=request.user, key_id=key_id, actor=actor_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeviceStartApi(PublicApiView):
    class Input(serializers.Serializer):
        clientName = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    @extend_schema(
        summary="Start CLI device login",
        request=Input,
        responses={
            200: inline_serializer(
                "DeviceAuthorizationOutput",
                {
                    "deviceCode": serializers.CharField(),
                    "userCode": serializers.CharField(),
                    "verificationUri": serializers.URLField(),
                    "verificationUriComplete": serializers.URLField(),
                    "expiresIn": serializers.IntegerField(),
                    "interval": serializers.IntegerField(),
                },
            )
        },
        tags=["auth"],
        operation_id="auth_device_start",
    )
    def post(self, request):
        data = validated(self.Input, request)
        grant, device_code = services.device_authorization_start(client_name=data["clientName"])
        verification_uri = f"{settings.SITE_URL}/device"
        return Response(
            {
                "deviceCode": device_code,
                "userCode": grant.user_code,
                "verificationUri": verification_uri,
                "verificationUriComplete": f"{verification_uri}?code={grant.user_code}",
                "expiresIn": int(settings.DEVICE_CODE_LIFETIME.total_seconds()),
                "interval": grant.interval,
            }
        )


class DeviceTokenApi(PublicApiView):
    class Input(serializers.Serializer):
        deviceCode = serializers.CharField(max_length=200)

    @extend_schema(
        summary="Poll CLI device login",
        request=Input,
        responses={200: SessionOutput},
        tags=["auth"],
        operation_id="auth_device_token",
        description="Poll until approved. Errors: authorization_pending, slow_down, expired_token, access_denied.",
    )
    def post(self, request):
        data = validated(self.Input, request)
        user, tokens = services.device_token_exchange(device_code=data["deviceCode"])
        return Response(SessionOutput({"user": user, **tokens}).data)
