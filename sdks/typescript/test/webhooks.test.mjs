// webhooks.verify against signatures made elsewhere: the `standardwebhooks` npm package here, and
// the Python side (loopwind.webhooks.sign and the server's signer, which uses the standardwebhooks
// PyPI package) through LOOPWIND_WEBHOOK_FIXTURES, a JSON file the pytest suite writes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { WebhookVerificationError, verifyWebhook, webhooks } from '../dist/esm/index.js';

const SECRET = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
const BODY = JSON.stringify({ event: 'render.completed', jobId: 'job_1', outputUrl: 'https://cdn.test/o.mp4' });

function signed(id = 'msg_1', date = new Date(), body = BODY) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(date.getTime() / 1000)),
    'webhook-signature': new Webhook(SECRET).sign(id, date, body),
  };
}

async function refusal(promise) {
  const error = await promise.then(() => undefined, (e) => e);
  assert.ok(error instanceof WebhookVerificationError, `expected a refusal, got ${error}`);
  return error.code;
}

test('what standardwebhooks signs verifies, from a string, bytes, a Headers or a plain object', async () => {
  const headers = signed();
  assert.equal((await webhooks.verify(BODY, headers, SECRET)).jobId, 'job_1');
  assert.equal((await verifyWebhook(new TextEncoder().encode(BODY), new Headers(headers), SECRET)).event, 'render.completed');
  const capitalized = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.replace(/(^|-)w/g, (m) => m.toUpperCase()), v]));
  assert.equal((await webhooks.verify(Buffer.from(BODY), capitalized, SECRET)).jobId, 'job_1');
});

test('standardwebhooks and the SDK refuse and accept the same things', async () => {
  const good = signed();
  const rotated = { ...good, 'webhook-signature': `v1,b2xkc2lnbmF0dXJl ${good['webhook-signature']}` };
  assert.ok(await webhooks.verify(BODY, rotated, SECRET));
  assert.ok(new Webhook(SECRET).verify(BODY, rotated));

  assert.equal(await refusal(webhooks.verify(BODY.replace('job_1', 'job_2'), good, SECRET)), 'bad_signature');
  assert.throws(() => new Webhook(SECRET).verify(BODY.replace('job_1', 'job_2'), good));
  assert.equal(await refusal(webhooks.verify(BODY, { ...good, 'webhook-id': 'msg_other' }, SECRET)), 'bad_signature');
  assert.equal(await refusal(webhooks.verify(BODY, { ...good, 'webhook-signature': 'v1,AAAA' }, SECRET)), 'bad_signature');
  const otherSecret = 'whsec_' + Buffer.from('another secret of 32 bytes......').toString('base64');
  assert.equal(await refusal(webhooks.verify(BODY, good, otherSecret)), 'bad_signature');
  const { 'webhook-id': _, ...noId } = good;
  assert.equal(await refusal(webhooks.verify(BODY, noId, SECRET)), 'missing_headers');
  assert.equal(await refusal(webhooks.verify(BODY, { ...good, 'webhook-timestamp': 'soon' }, SECRET)), 'bad_timestamp');
  assert.equal(await refusal(webhooks.verify(BODY, { ...good, 'webhook-timestamp': '' }, SECRET)), 'missing_headers');
  assert.equal(await refusal(webhooks.verify(BODY, good, 'whsec_%%%')), 'bad_secret');
});

test('the timestamp may be 5 minutes away, not more', async () => {
  const old = new Date(Date.now() - 290_000);
  assert.ok(await webhooks.verify(BODY, signed('msg_2', old), SECRET));
  const stale = new Date(Date.now() - 310_000);
  assert.equal(await refusal(webhooks.verify(BODY, signed('msg_3', stale), SECRET)), 'stale_timestamp');
  const future = new Date(Date.now() + 310_000);
  assert.equal(await refusal(webhooks.verify(BODY, signed('msg_4', future), SECRET)), 'stale_timestamp');
  assert.ok(await webhooks.verify(BODY, signed('msg_5', stale), SECRET, { tolerance: 600 }));
});

const fixtures = process.env.LOOPWIND_WEBHOOK_FIXTURES;
test('signatures made by the Python side verify', { skip: !fixtures && 'LOOPWIND_WEBHOOK_FIXTURES not set' }, async () => {
  const { secret, body, signers } = JSON.parse(readFileSync(fixtures, 'utf8'));
  assert.ok(Object.keys(signers).length >= 2);
  for (const [name, headers] of Object.entries(signers)) {
    const payload = await webhooks.verify(body, headers, secret);
    assert.equal(payload.jobId, 'job_python', name);
    assert.equal(await refusal(webhooks.verify(body + ' ', headers, secret)), 'bad_signature', name);
    // and the npm package agrees with the Python signers
    assert.equal(new Webhook(secret).verify(body, headers).jobId, 'job_python', name);
  }
});
