"""The organizations app keeps its rows in accounts (an organization is a User of kind "org", with
Membership, Invitation and AuditEvent). The proxy below gives the staff admin its own list of them."""

from django.db import models

from accounts.models import User


class OrganizationManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=User.Kind.ORG)


class Organization(User):
    """An organization, as the admin shows it: the same row as its account."""

    objects = OrganizationManager()

    class Meta:
        proxy = True
        verbose_name = "organization"
        verbose_name_plural = "organizations"
