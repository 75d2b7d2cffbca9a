// Every operation of the API's OpenAPI schema (by operationId) and the SDK call that performs it.
// operations.test.mjs runs each against a recording fetch and checks the method and path against
// the schema; an operation the schema gains without an entry here fails that test.
const SLUG = 'someone/og-card';

export const OPERATIONS = {
  auth_device_start: (lw) => lw.auth.deviceStart(),
  auth_device_token: (lw) => lw.auth.deviceToken('dev_code'),
  auth_login: (lw) => lw.auth.login('a@example.com', 'secret'),
  auth_logout: (lw) => lw.auth.logout('refresh'),
  auth_refresh: (lw) => lw.auth.refresh('refresh'),
  auth_register: (lw) => lw.auth.register({ email: 'a@example.com', password: 'secret' }),
  billing_checkout: (lw) => lw.billing.checkout('pro'),
  billing_portal: (lw) => lw.billing.portal(),
  domains_list: (lw) => lw.domains.list(),
  domains_create: (lw) => lw.domains.add('og.example.com'),
  domains_verify: (lw) => lw.domains.verify('dom_1'),
  domains_remove: (lw) => lw.domains.remove('dom_1'),
  keys_list: (lw) => lw.keys.list(),
  keys_create: (lw) => lw.keys.create('ci'),
  keys_revoke: (lw) => lw.keys.revoke('key_1'),
  me_get: (lw) => lw.me.get(),
  me_update: (lw) => lw.me.update({ bio: 'hi' }),
  me_templates_list: (lw) => lw.me.templates(),
  me_usage: (lw) => lw.usage.get(),
  me_orgs: (lw) => lw.orgs.list(),
  orgs_create: (lw) => lw.orgs.create({ username: 'acme', name: 'Acme' }),
  orgs_get: (lw) => lw.orgs.get('acme'),
  orgs_update: (lw) => lw.orgs.update('acme', { bio: 'hi' }),
  orgs_delete: (lw) => lw.orgs.delete('acme'),
  orgs_members_list: (lw) => lw.orgs.members('acme'),
  orgs_members_update: (lw) => lw.orgs.setRole('acme', 'bob', 'admin'),
  orgs_members_remove: (lw) => lw.orgs.removeMember('acme', 'bob'),
  orgs_invitations_create: (lw) => lw.orgs.invite('acme', 'bob@example.com'),
  orgs_invitations_list: (lw) => lw.orgs.invitations('acme'),
  orgs_invitations_revoke: (lw) => lw.orgs.revokeInvitation('acme', 'inv_1'),
  orgs_invitations_accept: (lw) => lw.orgs.acceptInvitation('acme', 'tok_1'),
  orgs_audit: (lw) => lw.orgs.audit('acme', { before: 10 }),
  render_sync: (lw) => lw.render(SLUG, { props: { title: 'x' } }),
  render_job_get: (lw) => lw.jobs.get('job_1'),
  render_job_cancel: (lw) => lw.jobs.cancel('job_1'),
  render_job_events: async (lw) => {
    for await (const _ of lw.jobs.events('job_1'));
  },
  render_batch: (lw) => lw.renderBatch(SLUG, { rows: [{ title: 'x' }] }),
  render_batch_get: (lw) => lw.batches.get('bat_1'),
  render_batch_cancel: (lw) => lw.batches.cancel('bat_1'),
  render_batch_zip: (lw) => lw.batches.zip('bat_1'),
  render_batch_manifest: (lw) => lw.batches.manifest('bat_1'),
  render_batch_events: async (lw) => {
    for await (const _ of lw.batches.events('bat_1'));
  },
  render_async: (lw) => lw.renderVideo(SLUG, { props: { headline: 'x' } }),
  render_sign: (lw) => lw.signUrl(SLUG, { props: { title: 'x' } }),
  render_check: (lw) => lw.check(SLUG, { props: { title: 'x' } }),
  render_signing_secret_rotate: (lw) => lw.signingSecret.rotate(),
  templates_list: (lw) => lw.templates.list({ q: 'og' }),
  templates_retrieve: (lw) => lw.templates.get(SLUG),
  templates_partial_update: (lw) => lw.templates.update(SLUG, { description: 'x' }),
  templates_destroy: (lw) => lw.templates.unpublish(SLUG),
  templates_download_retrieve: (lw) => lw.templates.download(SLUG),
  templates_star_create: (lw) => lw.stars.add(SLUG),
  templates_star_destroy: (lw) => lw.stars.remove(SLUG),
  templates_versions_list: (lw) => lw.templates.versions(SLUG),
  templates_versions_partial_update: (lw) => lw.templates.deprecate(SLUG, '1.0.0', 'use 2.x'),
  templates_publish: (lw) => lw.templates.publish({ 'loopwind.json': '{}' }),
  templates_lint: (lw) => lw.templates.lint({ 'loopwind.json': '{}' }),
  users_retrieve: (lw) => lw.users.get('someone'),
  webhook_deliveries: (lw) => lw.webhooks.deliveries(),
  webhook_redeliver: (lw) => lw.webhooks.redeliver('whd_1'),
  webhook_secret_get: (lw) => lw.webhooks.secret(),
  webhook_secret_rotate: (lw) => lw.webhooks.rotateSecret(),
};

// Operations an SDK user never calls, and why.
export const NOT_FOR_CLIENTS = {
  billing_webhook: "Stripe's events to the server, signed with Stripe's secret",
};
