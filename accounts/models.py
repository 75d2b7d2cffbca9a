from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.dispatch import Signal
from django.utils import timezone

from accounts.normalize import email_normalize
from core.ids import public_id

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9-]{1,38}$"

# Words that are (or will be) paths on loopwind.dev, since profiles live at /<username>. The first
# segments of the routes in use are added to these (accounts.usernames.reserved_usernames).
RESERVED_USERNAMES = frozenset(
    """
    about account accounts admin administrator api assets auth billing blog dashboard device devices
    docs download downloads explore features files healthz help home i keys login logout loopwind
    marketplace me media metrics new pricing privacy register render renders root search security
    settings signin signout signup static status staff support system team templates terms user
    users webhooks www
    """.split()
)

API_KEY_SCOPES = (
    "render:read",
    "render:write",
    "templates:read",
    "templates:write",
    "keys:manage",
)


# Sent after a saved password change of an existing user, whatever changed it (the reset page, the
# admin, `manage.py changepassword`); accounts/signals.py revokes what the old password issued.
password_changed = Signal()


def new_user_id() -> str:
    return public_id("usr")


def new_key_id() -> str:
    return public_id("key")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        # Sign-in is by email, whatever its case: an exact match of the normalised form.
        return self.get(email=email_normalize(username))

    @classmethod
    def normalize_email(cls, email):
        return email_normalize(email)

    def create_user(self, email, username, password=None, **extra):
        user = self.model(email=self.normalize_email(email), username=username.lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, username, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An account: a person who signs in, or an organization (``kind="org"``) that people act for.
    Both own templates, keys, usage and a plan, and share one namespace of usernames, so
    ``acme/og-card`` works like ``alice/og-card`` (the GitHub model). An organization has no
    email and no usable password: nobody signs in as it."""

    class Kind(models.TextChoices):
        PERSON = "person"
        ORG = "org"

    public_id = models.CharField(max_length=32, unique=True, default=new_user_id, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSON, editable=False)
    email = models.EmailField(max_length=255, unique=True, null=True, blank=True)
    username = models.CharField(
        max_length=39,
        unique=True,
        validators=[RegexValidator(USERNAME_PATTERN, "2–39 lowercase letters, digits or dashes.")],
    )
    name = models.CharField(max_length=255, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    bio = models.CharField(max_length=500, blank=True)
    plan = models.CharField(max_length=20, default="free")
    # A plan the staff granted for a while (an organization's Business trial): after it, Free.
    plan_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    # Bumped by sign out everywhere, a password change and suspension; access tokens carry the
    # generation they were issued under and older ones are refused (accounts/authentication.py).
    token_generation = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(username__regex=USERNAME_PATTERN), name="user_username_format"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="org", email=None) | models.Q(kind="person", email__isnull=False),
                name="user_person_has_email_org_none",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_org(self) -> bool:
        return self.kind == self.Kind.ORG

    def save(self, *args, **kwargs):
        # whoever writes it (sign-up, the admin): one form; an organization has none
        self.email = email_normalize(self.email) if self.kind == self.Kind.PERSON else None
        # set_password() leaves the raw password in _password until the save (a hash upgrade at
        # sign-in does not: it clears it first), so this is a real change, not a rehash.
        changed = self._password is not None and not self._state.adding
        super().save(*args, **kwargs)
        if changed:
            password_changed.send(sender=type(self), user=self)


class ApiKey(models.Model):
    """An API key. Only its display prefix and a SHA-256 of the whole key are stored: a key is
    high-entropy random, so a fast hash is as safe as bcrypt and costs microseconds per request."""

    public_id = models.CharField(max_length=32, unique=True, default=new_key_id, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")  # the account
    # Who made it: the account itself, or for an organization's key the member (audit, not access).
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class DeviceAuthorization(models.Model):
    """One CLI sign-in in the style of RFC 8628. The device code is stored hashed; the short
    user code is what a person types (or confirms) on /device."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        DENIED = "denied"
        CONSUMED = "consumed"

    device_code_hash = models.CharField(max_length=64, unique=True)
    user_code = models.CharField(max_length=9, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE)
    client_name = models.CharField(max_length=100, blank=True)
    interval = models.PositiveIntegerField(default=5)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_code} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class Role(models.TextChoices):
    """What a member may do for an organization; each includes the ones below it."""

    MEMBER = "member"  # publish, render, read usage
    ADMIN = "admin"  # + members, invitations, keys, webhooks, domains
    OWNER = "owner"  # + billing, roles, deleting the organization


ROLE_RANK = {Role.MEMBER: 0, Role.ADMIN: 1, Role.OWNER: 2}


def role_at_least(role: str, needed: str) -> bool:
    return ROLE_RANK.get(role, -1) >= ROLE_RANK[needed]


class Membership(models.Model):
    org = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="org_memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "user"], name="membership_once_per_org")]
        indexes = [models.Index(fields=["user", "org"])]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.org_id} ({self.role})"


def new_invitation_id() -> str:
    return public_id("inv")


class Invitation(models.Model):
    """An email invitation to an organization. The link's token is random and stored as a
    SHA-256 only; it works once, until ``expires_at``, and only for the invited address."""

    public_id = models.CharField(max_length=32, unique=True, default=new_invitation_id, editable=False)
    org = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=255)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["org", "accepted_at", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.email} → {self.org_id}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and timezone.now() < self.expires_at


class AuditEvent(models.Model):
    """One thing someone did to or for an organization: who, what, on what, when."""

    org = models.ForeignKey(User, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=100, blank=True)  # kept when the actor is deleted
    action = models.CharField(max_length=50)
    target = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["org", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.org_id} {self.action} {self.target}"
