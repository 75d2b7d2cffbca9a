// The resources against the live server, from the installed tarball: templates (list, search, get,
// versions, download, update, publish from a files map and from a folder with @loopwind/sdk/node,
// deprecate, unpublish), stars, users, me, usage, keys, jobs, webhook secret and deliveries, the
// signing secret, and the typed errors. Prints a JSON summary the test checks.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, readFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadRequest, Conflict, Loopwind, NotFound, PermissionDenied } from '@loopwind/sdk';
import { publishFolder, readTemplateFolder } from '@loopwind/sdk/node';

const [examples] = process.argv.slice(2); // the repository's example templates
const lw = new Loopwind();
const out = {};
const me = await lw.me.get();
const slug = `${me.username}/og-card`;
out.me = me.username;

const page = await lw.templates.list({ type: 'image', sort: 'recent', limit: 10 });
out.list = page.templates.map((t) => t.slug);
out.search = (await lw.templates.search('promo')).map((t) => t.slug);
const detail = await lw.templates.get(slug);
out.files = detail.files.map((f) => f.path).sort();
out.versions = (await lw.templates.versions(slug)).map((v) => v.version);
const zip = new Uint8Array(await lw.templates.download(slug));
out.zipMagic = [...zip.slice(0, 4)];
out.updated = (await lw.templates.update(slug, { description: 'Updated from TypeScript', tags: ['og', 'ts'] })).description;
out.star = await lw.stars.add(slug);
out.unstar = await lw.stars.remove(slug);
out.profile = (await lw.users.get(me.username)).templates.length;
out.mine = (await lw.me.templates()).length;
out.usage = Object.keys(await lw.usage.get()).sort();
out.bio = (await lw.me.update({ bio: 'ts' })).bio;

// publish from a map of Blobs / strings / bytes, then the same files as a folder through the node entry
const files = await readTemplateFolder(join(examples, 'quote-card'));
const map = Object.fromEntries(Object.entries(files).map(([path, bytes], i) => [path, i % 2 ? new Blob([bytes]) : bytes]));
out.published = (await lw.templates.publish(map, { version: '2.0.0', tags: ['sdk'], description: 'from a map' })).version;
const conflict = await lw.templates.publish(map, { version: '2.0.0' }).catch((e) => e);
assert.ok(conflict instanceof Conflict, String(conflict));
out.conflict = [conflict.status, conflict.code];
const folder = await mkdtemp(join(tmpdir(), 'tpl-'));
for (const [path, bytes] of Object.entries(files)) {
  await mkdir(join(folder, path, '..'), { recursive: true });
  await writeFile(join(folder, path), bytes);
}
await mkdir(join(folder, '.git'));
await writeFile(join(folder, '.git', 'HEAD'), 'ref');
out.folder = (await publishFolder(lw, folder, { version: '2.1.0', dryRun: true })).dryRun;
out.deprecated = (await lw.templates.deprecate(`${me.username}/quote-card`, '2.0.0', 'use 2.1')).deprecated;

const key = await lw.keys.create('ts-test', { scopes: ['templates:read'] });
out.keys = (await lw.keys.list()).some((k) => k.id === key.id);
const readOnly = new Loopwind({ apiKey: key.key });
const denied = await readOnly.render(slug, { props: { title: 'x' } }).catch((e) => e);
assert.ok(denied instanceof PermissionDenied, String(denied));
out.denied = [denied.status, denied.code];
await lw.keys.revoke(key.id);

const job = await lw.renderVideo(`${me.username}/promo-video`, { props: { headline: 'Cancel me' }, idempotencyKey: 'ts-cancel' });
const again = await lw.renderVideo(`${me.username}/promo-video`, { props: { headline: 'Cancel me' }, idempotencyKey: 'ts-cancel' });
out.idempotent = again.id === job.id;
await job.cancel();
out.cancelled = (await lw.jobs.get(job.id)).status;
out.secret = (await lw.webhooks.secret()).secret.startsWith('whsec_');
out.deliveries = Array.isArray(await lw.webhooks.deliveries());
out.signingSecret = typeof (await lw.signingSecret.rotate()).rotatedAt;

const missing = await lw.templates.get(`${me.username}/nope`).catch((e) => e);
assert.ok(missing instanceof NotFound);
const bad = await lw.render(slug, { props: { title: 'x', unknown: 1 } }).catch((e) => e);
assert.ok(bad instanceof BadRequest);
out.errors = [missing.status, missing.code, bad.status, bad.code, Boolean(bad.requestId)];
await lw.templates.unpublish(`${me.username}/quote-card`);
out.unpublished = (await lw.templates.get(`${me.username}/quote-card`).catch((e) => e)).status;
console.log(JSON.stringify(out));
