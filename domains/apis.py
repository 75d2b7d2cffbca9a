"""The custom domains API: add a name, read the DNS records it needs, verify, list, remove.
Admins of an organization manage its domains; members may list them (to sign URLs on them)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.acting import actor_of
from core.api import validated
from domains import selectors, services
from domains.names import cname_target

MANAGE = {"SAFE": "render:read", "UNSAFE": "keys:manage"}  # account-level, like the signing secret
ROLES = {"SAFE": "member", "UNSAFE": "admin"}


class DnsRecordOutput(serializers.Serializer):
    type = serializers.CharField(help_text="CNAME or TXT")
    name = serializers.CharField()
    value = serializers.CharField()


class DomainOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    domain = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "verified", "failed"])
    failureReason = serializers.CharField(
        source="failure_reason",
        help_text="The last check's problem, empty when it passed: txt_missing, txt_wrong, cname_missing, "
        "cname_wrong, nxdomain, dns_timeout, dns_error, domain_taken or plan_limit",
    )
    failureMessage = serializers.CharField(source="failure_message")
    records = serializers.SerializerMethodField(help_text="The DNS records to create at your DNS provider")
    createdAt = serializers.DateTimeField(source="created_at")
    verifiedAt = serializers.DateTimeField(source="verified_at", allow_null=True)
    lastCheckedAt = serializers.DateTimeField(source="last_checked_at", allow_null=True)

    @extend_schema_field(DnsRecordOutput(many=True))
    def get_records(self, domain) -> list[dict]:
        return DnsRecordOutput(
            [
                {"type": "CNAME", "name": domain.domain, "value": cname_target()},
                {"type": "TXT", "name": domain.challenge_name, "value": domain.challenge_token},
            ],
            many=True,
        ).data


class DomainsApi(APIView):
    required_scopes = MANAGE
    account_role = ROLES

    class Input(serializers.Serializer):
        domain = serializers.CharField(max_length=300, help_text="A host name of yours: og.example.com")

    @extend_schema(
        summary="List custom domains",
        description="The account's custom domains with their status and the DNS records each needs.",
        responses={200: DomainOutput(many=True)},
        tags=["domains"],
        operation_id="domains_list",
    )
    def get(self, request):
        return Response(DomainOutput(selectors.domain_list(account=request.user), many=True).data)

    @extend_schema(
        summary="Add a custom domain",
        description=(
            "Adds a host name (Business plan) and answers with the two DNS records to create: a CNAME "
            "to this service and a TXT record _loopwind-challenge.<domain> holding a token. Then call "
            "verify. Refused: our own domain and its subdomains, IP addresses, names without a dot, "
            "wildcards, internationalised names not in IDNA (xn--) form, a name another account verified (409)."
        ),
        request=Input,
        responses={201: DomainOutput},
        tags=["domains"],
        operation_id="domains_create",
    )
    def post(self, request):
        data = validated(self.Input, request)
        domain = services.domain_add(account=request.user, domain=data["domain"], actor=actor_of(request))
        return Response(DomainOutput(domain).data, status=status.HTTP_201_CREATED)


class DomainDetailApi(APIView):
    required_scopes = MANAGE
    account_role = ROLES

    @extend_schema(
        summary="Remove a custom domain",
        description="Removes the domain: image URLs on it stop loading at once (404).",
        responses={204: None},
        tags=["domains"],
        operation_id="domains_remove",
    )
    def delete(self, request, domain_id: str):
        services.domain_remove(account=request.user, domain_id=domain_id, actor=actor_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DomainVerifyApi(APIView):
    required_scopes = MANAGE
    account_role = ROLES

    @extend_schema(
        summary="Verify a custom domain",
        description=(
            "Looks up the domain's TXT and CNAME records now. Verified: signed image URLs load on it. "
            "Failed: failureReason and failureMessage say what is missing or wrong. The worker "
            "checks verified domains again daily; one whose records are gone turns failed. One check "
            "per domain every 10 seconds (429 verify_too_soon)."
        ),
        request=None,
        responses={200: DomainOutput},
        tags=["domains"],
        operation_id="domains_verify",
    )
    def post(self, request, domain_id: str):
        domain = services.domain_verify(account=request.user, domain_id=domain_id, actor=actor_of(request))
        return Response(DomainOutput(domain).data)
