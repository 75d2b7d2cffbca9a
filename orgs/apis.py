"""The organizations API: create, read, edit and delete an organization, its members, invitations
and audit log. A person manages them with their own token (a JWT or a personal API key); an
organization's API key renders and publishes for it but does not manage its people."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.acting import ActingAs, org_for_member
from accounts.models import ApiKey, Role, User
from billing.plans import plan_limits
from core.api import validated, validated_query
from core.errors import Forbidden
from orgs import selectors, services

ROLES = [role.value for role in Role]


def person_of(request) -> User:
    """The person making the request, whichever account it acts for."""
    if isinstance(request.auth, ActingAs):
        return request.auth.actor
    if isinstance(request.auth, ApiKey) and request.user.is_org:
        raise Forbidden(
            "Organizations are managed by their people: sign in (or use a personal key), not an organization's key.",
            code="person_required",
        )
    return request.user


class OrgOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    username = serializers.CharField(help_text="the organization's slug: acme in acme/og-card")
    name = serializers.CharField()
    avatarUrl = serializers.CharField(source="avatar_url")
    bio = serializers.CharField()
    plan = serializers.SerializerMethodField()
    seats = serializers.SerializerMethodField()
    seatsUsed = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField(help_text="your role in it: owner, admin or member")
    createdAt = serializers.DateTimeField(source="created_at")

    def get_plan(self, org) -> str:
        return plan_limits(org).code

    def get_seats(self, org) -> int:
        return plan_limits(org).seats

    def get_seatsUsed(self, org) -> int:
        return services.seats_used(org)

    def get_role(self, org) -> str:
        return self.context.get("role", "")


class MembershipOutput(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.name")
    avatarUrl = serializers.CharField(source="user.avatar_url")
    role = serializers.CharField()
    joinedAt = serializers.DateTimeField(source="created_at")


class MyOrgOutput(serializers.Serializer):
    username = serializers.CharField(source="org.username")
    name = serializers.CharField(source="org.name")
    avatarUrl = serializers.CharField(source="org.avatar_url")
    role = serializers.CharField()


class InvitationOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    email = serializers.EmailField()
    role = serializers.CharField()
    invitedBy = serializers.CharField(source="invited_by.username", default=None)
    createdAt = serializers.DateTimeField(source="created_at")
    expiresAt = serializers.DateTimeField(source="expires_at")


class InvitationCreatedOutput(InvitationOutput):
    url = serializers.CharField(
        help_text="the acceptance link, also emailed; works once, for the invited address"
    )


class AuditEventOutput(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField(
        help_text="e.g. member.invited, key.created, template.published, billing.changed"
    )
    actor = serializers.CharField(
        source="actor_name", help_text="the person's username ('' for Stripe or the staff)"
    )
    target = serializers.CharField()
    data = serializers.DictField()
    createdAt = serializers.DateTimeField(source="created_at")


class OrgView(APIView):
    # Managing an organization is account-level work, like keys: a personal key needs keys:manage
    # to change anything; reads take any key.
    required_scopes = {"UNSAFE": "keys:manage"}

    def member(self, request, slug: str, minimum_role: str = Role.MEMBER) -> tuple[User, User, str]:
        person = person_of(request)
        org, role = org_for_member(user=person, slug=slug, minimum_role=minimum_role)
        return person, org, role


class OrgsApi(OrgView):
    class Input(serializers.Serializer):
        username = serializers.CharField(max_length=39, help_text="the slug, in the namespace of usernames")
        name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
        bio = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    @extend_schema(
        summary="Create an organization",
        description=(
            "Creates an organization with you as its owner. Its slug shares the namespace of usernames "
            "(acme/og-card works like alice/og-card). It starts on Free, with one seat (yours); members "
            "need Business: check out as the organization (X-Loopwind-Account header) or ask the staff for a trial."
        ),
        request=Input,
        responses={201: OrgOutput},
        tags=["orgs"],
        operation_id="orgs_create",
    )
    def post(self, request):
        data = validated(self.Input, request)
        org = services.org_create(creator=person_of(request), **data)
        return Response(OrgOutput(org, context={"role": Role.OWNER}).data, status=status.HTTP_201_CREATED)


class MyOrgsApi(OrgView):
    @extend_schema(
        summary="List your organizations",
        description="The organizations you belong to, with your role in each.",
        responses={200: MyOrgOutput(many=True)},
        tags=["orgs"],
        operation_id="me_orgs",
    )
    def get(self, request):
        return Response(MyOrgOutput(selectors.orgs_of(user=person_of(request)), many=True).data)


class OrgDetailApi(OrgView):
    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=255, required=False, allow_blank=True)
        bio = serializers.CharField(max_length=500, required=False, allow_blank=True)
        avatarUrl = serializers.URLField(
            max_length=500, required=False, allow_blank=True, source="avatar_url"
        )

    @extend_schema(
        summary="Get an organization",
        description="Its profile, plan and seats, and your role. 404 unless you are a member.",
        responses={200: OrgOutput},
        tags=["orgs"],
        operation_id="orgs_get",
    )
    def get(self, request, slug: str):
        _person, org, role = self.member(request, slug)
        return Response(OrgOutput(org, context={"role": role}).data)

    @extend_schema(
        summary="Update an organization",
        description="Changes its name, bio or avatar URL (admins and owners).",
        request=Input,
        responses={200: OrgOutput},
        tags=["orgs"],
        operation_id="orgs_update",
    )
    def patch(self, request, slug: str):
        person, org, role = self.member(request, slug, Role.ADMIN)
        data = validated(self.Input, request)
        org = services.org_update(org=org, actor=person, **data)
        return Response(OrgOutput(org, context={"role": role}).data)

    @extend_schema(
        summary="Delete an organization",
        description=(
            "Owners only. Revokes its API keys first, then deletes it with its templates, renders and usage. "
            "A paid subscription must be cancelled first (409 subscription_active)."
        ),
        responses={204: None},
        tags=["orgs"],
        operation_id="orgs_delete",
    )
    def delete(self, request, slug: str):
        person, org, _role = self.member(request, slug, Role.OWNER)
        services.org_delete(org=org, actor=person)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MembersApi(OrgView):
    @extend_schema(
        summary="List an organization's members",
        description="Every member with their role. Any member may read it.",
        responses={200: MembershipOutput(many=True)},
        tags=["orgs"],
        operation_id="orgs_members_list",
    )
    def get(self, request, slug: str):
        _person, org, _role = self.member(request, slug)
        return Response(MembershipOutput(selectors.member_list(org=org), many=True).data)


class MemberDetailApi(OrgView):
    class Input(serializers.Serializer):
        role = serializers.ChoiceField(choices=ROLES)

    @extend_schema(
        summary="Change a member's role",
        description="Owners only. The last owner cannot be demoted (409 last_owner).",
        request=Input,
        responses={200: MembershipOutput},
        tags=["orgs"],
        operation_id="orgs_members_update",
    )
    def patch(self, request, slug: str, username: str):
        person, org, _role = self.member(request, slug)
        data = validated(self.Input, request)
        membership = services.member_role_set(org=org, actor=person, username=username, role=data["role"])
        return Response(MembershipOutput(membership).data)

    @extend_schema(
        summary="Remove a member, or leave",
        description=(
            "Admins remove members and admins, owners remove anyone, and anyone may remove themselves "
            "(leave). The last owner cannot leave (409 last_owner)."
        ),
        responses={204: None},
        tags=["orgs"],
        operation_id="orgs_members_remove",
    )
    def delete(self, request, slug: str, username: str):
        person, org, _role = self.member(request, slug)
        services.member_remove(org=org, actor=person, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationsApi(OrgView):
    class Input(serializers.Serializer):
        email = serializers.EmailField(max_length=255)
        role = serializers.ChoiceField(choices=ROLES, required=False, default=Role.MEMBER)

    @extend_schema(
        summary="List pending invitations",
        description="Invitations not yet accepted, revoked or expired (admins and owners).",
        responses={200: InvitationOutput(many=True)},
        tags=["orgs"],
        operation_id="orgs_invitations_list",
    )
    def get(self, request, slug: str):
        _person, org, _role = self.member(request, slug, Role.ADMIN)
        return Response(InvitationOutput(selectors.invitation_list_pending(org=org), many=True).data)

    @extend_schema(
        summary="Invite someone by email",
        description=(
            "Emails a link that works once, for 7 days, and only for that address. Members and pending "
            "invitations together fit the plan's seats (403 plan_limit). Admins invite; only owners invite owners."
        ),
        request=Input,
        responses={201: InvitationCreatedOutput},
        tags=["orgs"],
        operation_id="orgs_invitations_create",
    )
    def post(self, request, slug: str):
        person, org, _role = self.member(request, slug, Role.ADMIN)
        data = validated(self.Input, request)
        invitation, token = services.invitation_create(org=org, actor=person, **data)
        invitation.url = services.invitation_link(token)
        return Response(InvitationCreatedOutput(invitation).data, status=status.HTTP_201_CREATED)


class InvitationDetailApi(OrgView):
    @extend_schema(
        summary="Revoke an invitation",
        description="Its link stops working at once (admins and owners).",
        responses={204: None},
        tags=["orgs"],
        operation_id="orgs_invitations_revoke",
    )
    def delete(self, request, slug: str, invitation_id: str):
        person, org, _role = self.member(request, slug, Role.ADMIN)
        services.invitation_revoke(org=org, actor=person, invitation_id=invitation_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAcceptApi(OrgView):
    required_scopes = None  # accepting needs the invitee signed in, whatever their key may do

    @extend_schema(
        summary="Accept an invitation",
        description=(
            "Makes you a member with the invited role. The token (from the emailed link) works once, until it "
            "expires, and only when you are signed in with the address it was sent to."
        ),
        request=None,
        responses={200: MyOrgOutput},
        tags=["orgs"],
        operation_id="orgs_invitations_accept",
    )
    def post(self, request, slug: str, token: str):
        membership = services.invitation_accept(token=token, user=person_of(request), org_slug=slug)
        return Response(MyOrgOutput(membership).data)


class AuditQuery(serializers.Serializer):
    before = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False,
                                      help_text="the next page: events older than this event id")  # fmt: skip


class AuditApi(OrgView):
    @extend_schema(
        summary="Read an organization's audit log",
        description=(
            "Who invited, removed, changed a role, created or revoked a key, published, unpublished or "
            "changed billing, newest first (admins and owners). `before` pages by event id."
        ),
        parameters=[AuditQuery],
        responses={200: AuditEventOutput(many=True)},
        tags=["orgs"],
        operation_id="orgs_audit",
    )
    def get(self, request, slug: str):
        _person, org, _role = self.member(request, slug, Role.ADMIN)
        query = validated_query(AuditQuery, request)
        events = selectors.audit_list(org=org, before=query.get("before"))
        return Response(AuditEventOutput(events, many=True).data)
