"""Issue 13 (16): the Python SDK covers every operation of the OpenAPI schema. The table below names
the method for each operationId; a new endpoint fails this test until the SDK has a method for it
(tests/sdk/test_sdk_live.py calls them against a live server)."""

import inspect

import pytest
from drf_spectacular.generators import SchemaGenerator

from loopwind import AsyncLoopwind, Loopwind
from loopwind.sdk import AsyncJob, Job

SDK_METHODS = {
    "auth_register": "auth_api.register",
    "auth_login": "auth_api.login",
    "auth_refresh": "auth_api.refresh",
    "auth_logout": "auth_api.logout",
    "auth_device_start": "auth_api.device_start",
    "auth_device_token": "auth_api.device_token",
    "me_get": "me",
    "me_update": "update_me",
    "me_usage": "usage",
    "me_templates_list": "templates.mine",
    "keys_list": "keys.list",
    "keys_create": "keys.create",
    "keys_revoke": "keys.revoke",
    "templates_list": "templates.list",
    "templates_publish": "templates.publish",
    "templates_lint": "templates.lint",
    "templates_retrieve": "templates.get",
    "templates_partial_update": "templates.update",
    "templates_destroy": "templates.unpublish",
    "templates_versions_list": "templates.versions",
    "templates_versions_partial_update": "templates.deprecate",  # and templates.yank
    "templates_download_retrieve": "templates.download",
    "templates_star_create": "templates.star",
    "templates_star_destroy": "templates.unstar",
    "users_retrieve": "users.get",
    "render_sync": "render",
    "render_sign": "sign_url",
    "render_check": "check",
    "render_signing_secret_rotate": "rotate_signing_secret",
    "render_async": "render_video",
    "render_job_get": "job",
    "render_job_cancel": "Job.cancel",
    "render_job_events": "Job.events",
    "render_batch": "render_batch",
    "render_batch_get": "batch",
    "render_batch_cancel": "cancel_batch",
    "render_batch_events": "batch_events",
    "render_batch_zip": "batch_zip",
    "render_batch_manifest": "batch_manifest",
    "webhook_deliveries": "webhooks.deliveries",
    "webhook_redeliver": "webhooks.redeliver",
    "webhook_secret_get": "webhooks.secret",
    "webhook_secret_rotate": "webhooks.rotate_secret",
    "billing_checkout": "billing.checkout",
    "billing_portal": "billing.portal",
    "me_orgs": "orgs.list",
    "orgs_create": "orgs.create",
    "orgs_get": "orgs.get",
    "orgs_update": "orgs.update",
    "orgs_delete": "orgs.delete",
    "orgs_members_list": "orgs.members",
    "orgs_members_update": "orgs.set_role",
    "orgs_members_remove": "orgs.remove_member",
    "orgs_invitations_create": "orgs.invite",
    "orgs_invitations_list": "orgs.invitations",
    "orgs_invitations_revoke": "orgs.revoke_invitation",
    "orgs_invitations_accept": "orgs.accept_invitation",
    "orgs_audit": "orgs.audit",
    "domains_list": "domains.list",
    "domains_create": "domains.add",
    "domains_verify": "domains.verify",
    "domains_remove": "domains.remove",
    "analytics_get": "analytics.get",  # and analytics.csv
    "analytics_errors": "analytics.errors",
}
NOT_FOR_CLIENTS = {"billing_webhook"}  # Stripe calls it, signed with Stripe's secret


def operation_ids() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {operation["operationId"] for path in schema["paths"].values() for operation in path.values()}


def test_every_operation_has_an_sdk_method():
    operations = operation_ids()
    assert operations - NOT_FOR_CLIENTS == set(SDK_METHODS), (
        sorted(operations - NOT_FOR_CLIENTS - set(SDK_METHODS)),  # endpoints without a method
        sorted(set(SDK_METHODS) - operations),  # methods of endpoints that are gone
    )


@pytest.mark.parametrize("operation", sorted(SDK_METHODS))
def test_the_method_exists_on_both_clients(operation):
    owner, _, name = SDK_METHODS[operation].rpartition(".")
    if owner == "Job":
        targets = [Job, AsyncJob]
    else:
        targets = []
        for client in (Loopwind(api_key="lw_live_x"), AsyncLoopwind(api_key="lw_live_x")):
            targets.append(client if not owner else getattr(client, owner))
    for target in targets:
        method = getattr(target, name)
        assert callable(method) and inspect.getdoc(method) is not None or name in {"list", "get", "create"}, (
            operation,
            target,
        )
