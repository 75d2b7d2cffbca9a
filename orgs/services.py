"""Writes for organizations: creating and deleting them, members and their roles, invitations.
Each records what it did in the organization's audit log (accounts.audit)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import audit
from accounts.acting import org_for_member
from accounts.models import ApiKey, Invitation, Membership, Role, User, role_at_least
from accounts.normalize import email_normalize
from accounts.services import PROFILE_FIELDS, user_update
from accounts.usernames import username_is_valid
from billing.models import Subscription
from billing.plans import plan_limits
from core import hotcache
from core.errors import ApiError, Conflict, Forbidden, NotFound
from templates_registry.models import Template
from templates_registry.services import template_unpublish

INVITATION_LIFETIME = timedelta(days=7)
ACTIVE_SUBSCRIPTION_STATES = ("active", "trialing", "past_due", "unpaid", "incomplete")


class SlugTaken(Conflict):
    code = "username_taken"
    message = "This name is taken by a person or an organization."


class InvalidSlug(ApiError):
    code = "invalid_username"


class SeatLimit(Forbidden):
    code = "plan_limit"


class LastOwner(Conflict):
    code = "last_owner"
    message = "An organization needs at least one owner: make someone else owner first."


class InvitationInvalid(NotFound):
    code = "invitation_invalid"
    message = "This invitation does not exist, was used or revoked, or has expired."


class InvitationForSomeoneElse(Forbidden):
    code = "invitation_email_mismatch"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token: str) -> str:
    return f"{settings.SITE_URL}/invitations/{token}"


# --- organizations ---------------------------------------------------------------------------


@transaction.atomic
def org_create(*, creator: User, username: str, name: str = "", bio: str = "") -> User:
    """A new organization whose only member is its creator, as owner. It starts on Free, whose one
    seat is the creator's: members beyond the owner need Business (Checkout as the organization,
    or a trial the staff grants in the admin)."""
    if creator.is_org:
        raise Forbidden("Organizations are created by people.", code="personal_account_only")
    slug = (username or "").strip().lower()
    if not username_is_valid(slug):
        raise InvalidSlug(
            "Organization names are 2–39 lowercase letters, digits or dashes and may not be a reserved word.",
            details={"fields": {"username": ["Invalid or reserved name."]}},
        )
    if User.objects.filter(username=slug).exists():
        raise SlugTaken()
    org = User(kind=User.Kind.ORG, username=slug, name=(name or slug).strip(), bio=(bio or "").strip())
    org.set_unusable_password()
    try:
        with transaction.atomic():
            org.save()
    except IntegrityError as exc:  # a concurrent sign-up or org took the name
        raise SlugTaken() from exc
    Membership.objects.create(org=org, user=creator, role=Role.OWNER)
    audit.record(account=org, actor=creator, action="org.created", target=slug)
    return org


@transaction.atomic
def org_update(*, org: User, actor: User, **fields) -> User:
    """The profile edit of a person's account (accounts.services.user_update), recorded in the log."""
    changed = sorted(key for key, value in fields.items() if key in PROFILE_FIELDS and value is not None)
    user_update(user=org, **fields)
    if changed:
        audit.record(account=org, actor=actor, action="org.updated", target=org.username, fields=changed)
    return org


@transaction.atomic
def org_delete(*, org: User, actor: User) -> None:
    """Deletes the organization as far as anyone can tell, like a person's account: its keys are
    revoked first (and every node's cached copy forgotten), so none works a moment longer; then its
    templates are unpublished (404 for everyone, renders and signed URLs included), invitations
    revoked and members removed. The row stays, so nobody can take the slug and publish under the
    template URLs that pages still point at. A paid subscription must be cancelled first."""
    subscription = Subscription.objects.filter(user=org).first()
    if (
        subscription
        and subscription.stripe_subscription_id
        and subscription.status in ACTIVE_SUBSCRIPTION_STATES
    ):
        raise Conflict(
            "Cancel the organization's subscription in the billing portal first.", code="subscription_active"
        )
    now = timezone.now()
    ApiKey.objects.filter(user=org, revoked_at=None).update(revoked_at=now)
    hotcache.forget(org.pk)  # .update() sends no post_save
    for template in Template.objects.filter(owner=org, unpublished_at=None):
        template_unpublish(template=template, actor=actor)
    Invitation.objects.filter(org=org, accepted_at=None, revoked_at=None).update(revoked_at=now)
    Membership.objects.filter(org=org).delete()
    org.name = org.bio = org.avatar_url = ""
    org.is_active = False
    org.save()
    audit.record(account=org, actor=actor, action="org.deleted", target=org.username)


# --- members ---------------------------------------------------------------------------------


def _owners(org: User) -> int:
    return Membership.objects.filter(org=org, role=Role.OWNER).count()


def _membership_or_404(org: User, username: str) -> Membership:
    membership = (
        Membership.objects.select_related("user").filter(org=org, user__username=username.lower()).first()
    )
    if membership is None:
        raise NotFound(f"{username} is not a member of {org.username}.", code="member_not_found")
    return membership


@transaction.atomic
def member_role_set(*, org: User, actor: User, username: str, role: str) -> Membership:
    """Owners change roles. The last owner cannot be demoted."""
    org_for_member(user=actor, slug=org.username, minimum_role=Role.OWNER)
    User.objects.select_for_update().filter(pk=org.pk).first()  # one role change at a time
    membership = _membership_or_404(org, username)
    if membership.role == Role.OWNER and role != Role.OWNER and _owners(org) <= 1:
        raise LastOwner()
    if membership.role != role:
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        audit.record(account=org, actor=actor, action="member.role_changed", target=membership.user.username,
                     old=old, new=role)  # fmt: skip
    return membership


@transaction.atomic
def member_remove(*, org: User, actor: User, username: str) -> None:
    """Admins remove members, owners remove anyone, everyone may leave; never the last owner."""
    User.objects.select_for_update().filter(pk=org.pk).first()
    membership = _membership_or_404(org, username)
    leaving = membership.user_id == actor.pk
    if not leaving:
        needed = Role.OWNER if membership.role == Role.OWNER else Role.ADMIN
        org_for_member(user=actor, slug=org.username, minimum_role=needed)
    if membership.role == Role.OWNER and _owners(org) <= 1:
        raise LastOwner("The last owner cannot leave or be removed: make someone else owner first.")
    membership.delete()
    audit.record(account=org, actor=actor, action="member.left" if leaving else "member.removed",
                 target=membership.user.username)  # fmt: skip


# --- invitations -----------------------------------------------------------------------------


def seats_used(org: User) -> int:
    pending = Invitation.objects.filter(
        org=org, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).count()
    return Membership.objects.filter(org=org).count() + pending


@transaction.atomic
def invitation_create(
    *, org: User, actor: User, email: str, role: str = Role.MEMBER
) -> tuple[Invitation, str]:
    """Invites ``email`` and sends the link (Django's mail backend). Admins invite members and
    admins; only owners invite owners. Members and pending invitations together fit the plan's seats."""
    _org, actor_role = org_for_member(user=actor, slug=org.username, minimum_role=Role.ADMIN)
    if role == Role.OWNER and not role_at_least(actor_role, Role.OWNER):
        raise Forbidden(
            "Only owners invite owners.", code="insufficient_role", details={"requiredRole": "owner"}
        )
    User.objects.select_for_update().filter(pk=org.pk).first()  # seats counted under the org's lock
    email = email_normalize(email)
    if Membership.objects.filter(org=org, user__email=email).exists():
        raise Conflict(f"{email} is already a member.", code="already_member")
    plan = plan_limits(org)
    used = seats_used(org)
    if used >= plan.seats:
        raise SeatLimit(
            f"The {plan.name} plan has {plan.seats} seat{'s' if plan.seats != 1 else ''}, all taken"
            + ("; teams need Business." if plan.seats <= 1 else "; remove a member or revoke an invitation."),
            details={"seats": plan.seats, "used": used, "plan": plan.code},
        )
    # One pending invitation per address: a new one replaces the old (whose link stops working).
    Invitation.objects.filter(org=org, email=email, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        org=org, email=email, role=role, token_hash=_hash_token(token), invited_by=actor,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )  # fmt: skip
    audit.record(account=org, actor=actor, action="member.invited", target=email, role=role)
    link = invitation_link(token)
    body = (
        f"{actor.name or actor.username} invited you to join {org.name or org.username} on loopwind as {role}.\n\n"
        f"Accept the invitation (valid for {INVITATION_LIFETIME.days} days, once): {link}\n\n"
        "If you did not expect this, ignore this email."
    )
    transaction.on_commit(lambda: send_mail(f"Join {org.username} on loopwind", body, None, [email]))
    return invitation, token


def invitation_revoke(*, org: User, actor: User, invitation_id: str) -> None:
    org_for_member(user=actor, slug=org.username, minimum_role=Role.ADMIN)
    invitation = Invitation.objects.filter(
        org=org, public_id=invitation_id, accepted_at=None, revoked_at=None
    ).first()
    if invitation is None:
        raise NotFound("No such pending invitation.", code="invitation_not_found")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(account=org, actor=actor, action="invitation.revoked", target=invitation.email)


def invitation_pending_by_token(token: str) -> Invitation | None:
    invitation = (
        Invitation.objects.select_related("org", "invited_by")
        .filter(token_hash=_hash_token(token or ""))
        .first()
    )
    return (
        invitation if invitation is not None and invitation.is_pending and invitation.org.is_active else None
    )


@transaction.atomic
def invitation_accept(*, token: str, user: User, org_slug: str | None = None) -> Membership:
    """Makes ``user`` a member. The token works once, until it expires, and only for the address it
    was sent to (the signed-in person's, as they confirmed it)."""
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("org")
        .filter(token_hash=_hash_token(token or ""))
        .first()
    )
    if invitation is None or not invitation.is_pending or not invitation.org.is_active:
        raise InvitationInvalid()
    if org_slug is not None and invitation.org.username != org_slug.lower():
        raise InvitationInvalid()
    if user.is_org or email_normalize(user.email or "") != invitation.email:
        raise InvitationForSomeoneElse(
            "This invitation was sent to another email address. Sign in with that address to accept it.",
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    membership, created = Membership.objects.get_or_create(
        org=invitation.org, user=user, defaults={"role": invitation.role}
    )
    if created:
        audit.record(account=invitation.org, actor=user, action="member.joined", target=user.username,
                     role=invitation.role)  # fmt: skip
    return membership
