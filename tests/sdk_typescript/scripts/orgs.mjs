// Organizations from the installed tarball against the live server (issue 15): the orgs resource,
// acting for one with `account` (the X-Loopwind-Account header), an organization's key, publish's
// `owner`, and the typed errors of acting. LOOPWIND_API_KEY is a person's session token here.
// Prints a JSON summary the test checks.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BadRequest, Loopwind, NotFound, PermissionDenied } from '@loopwind/sdk';
import { readTemplateFolder } from '@loopwind/sdk/node';

const [examples] = process.argv.slice(2);
const lw = new Loopwind({ account: '' });
const out = {};
out.created = (await lw.orgs.create({ username: 'acme-ts', name: 'Acme TS' })).role;
out.list = (await lw.orgs.list()).map((o) => `${o.username}:${o.role}`);
out.members = (await lw.orgs.members('acme-ts')).map((m) => m.role);
// a new organization is on Free: one seat, its owner's; inviting needs Business
const seats = await lw.orgs.invite('acme-ts', 'colleague@example.com').catch((e) => e);
assert.ok(seats instanceof PermissionDenied, String(seats));
out.invited = seats.code;

const org = new Loopwind({ account: 'acme-ts' });
out.account = org.account;
out.meAsOrg = (await org.me.get()).username;
const key = await org.keys.create('ci', { scopes: ['render:read', 'render:write', 'templates:read'] });
out.orgKeys = (await org.keys.list()).map((k) => k.id).includes(key.id);

const files = await readTemplateFolder(join(examples, 'og-card'));
const published = await lw.templates.publish(files, { name: 'launch-card', owner: 'acme-ts' });
out.author = published.author;

const keyed = new Loopwind({ apiKey: key.key, account: '' });
out.rendered = (await keyed.render('acme-ts/launch-card', { props: { title: 'TS' } })).contentType;
out.orgRenders = (await keyed.usage.get()).imageRenders.used;

const stranger = await new Loopwind({ account: 'nobody-here' }).me.get().catch((e) => e);
assert.ok(stranger instanceof NotFound, String(stranger));
out.stranger = stranger.code;
const mismatch = await new Loopwind({ apiKey: key.key, account: 'someone-else' }).me.get().catch((e) => e);
assert.ok(mismatch instanceof BadRequest, String(mismatch));
out.mismatch = mismatch.code;
out.audit = (await lw.orgs.audit('acme-ts')).map((e) => e.action).sort();
console.log(JSON.stringify(out));
