// Batches without a server: renderBatch's CSV upload (a multipart form with the file and the
// fields, whatever form the CSV is given in), its JSON rows, and following a batch over SSE.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BadRequest, Loopwind } from '../dist/esm/index.js';
import { apiError, eventStream, json, scriptedFetch, sse } from './helpers.mjs';

const client = (fetch) => new Loopwind({ apiKey: 'lw_live_k', baseUrl: 'http://api.test/', fetch });
const CSV = 'title,filename\nHello,hello\nWorld,world\n';
const ACCEPTED = { batchId: 'bat_1', status: 'queued', total: 2, remaining: 2, statusUrl: '/api/render/batch/bat_1' };

test('renderBatch uploads a CSV as a multipart form with its fields and Idempotency-Key', async () => {
  const { fetch, calls } = scriptedFetch(() => json(ACCEPTED, 202));
  const lw = client(fetch);
  const accepted = await lw.renderBatch('someone/og-card', {
    csv: CSV,
    format: 'jpg',
    scale: 2,
    onInvalid: 'skip',
    version: '1.0.0',
    webhook: 'https://hooks.example.com/x',
    idempotencyKey: 'batch-1',
  });
  assert.deepEqual(accepted, ACCEPTED);
  const [call] = calls;
  assert.equal(call.method, 'POST');
  assert.equal(call.url.pathname, '/api/render/batch');
  assert.equal(call.headers.get('idempotency-key'), 'batch-1');
  assert.equal(call.headers.get('authorization'), 'Bearer lw_live_k');
  assert.equal(call.headers.get('content-type'), null); // fetch adds the multipart boundary
  const form = call.body;
  assert.ok(form instanceof FormData);
  const file = form.get('csv');
  assert.equal(file.name, 'rows.csv');
  assert.equal(file.type, 'text/csv');
  assert.equal(await file.text(), CSV);
  assert.deepEqual(
    ['template', 'format', 'scale', 'version', 'onInvalid', 'webhook'].map((name) => form.get(name)),
    ['someone/og-card', 'jpg', '2', '1.0.0', 'skip', 'https://hooks.example.com/x'],
  );
  assert.equal(form.has('rows'), false);
});

test('renderBatch takes the CSV as text, bytes, an ArrayBuffer or a Blob, byte for byte', async () => {
  const { fetch, calls } = scriptedFetch(() => json(ACCEPTED, 202));
  const lw = client(fetch);
  const bytes = new TextEncoder().encode('title\nCafé ☕\n');
  for (const csv of ['title\nCafé ☕\n', bytes, bytes.buffer, new Blob([bytes], { type: 'text/csv' })]) {
    await lw.renderBatch('someone/og-card', { csv });
  }
  for (const call of calls) {
    const file = call.body.get('csv');
    assert.deepEqual(new Uint8Array(await file.arrayBuffer()), bytes);
    // only the fields given are sent: the server's defaults apply to the rest
    assert.deepEqual([...call.body.keys()].sort(), ['csv', 'template']);
  }
});

test('renderBatch sends rows as JSON, and refuses neither or both of rows and csv', async () => {
  const { fetch, calls } = scriptedFetch(() => json(ACCEPTED, 202));
  const lw = client(fetch);
  await lw.renderBatch('someone/og-card', { rows: [{ title: 'A', filename: 'a' }], format: 'png' });
  assert.equal(calls[0].headers.get('content-type'), 'application/json');
  assert.deepEqual(JSON.parse(calls[0].body), { template: 'someone/og-card', format: 'png', rows: [{ title: 'A', filename: 'a' }] });
  assert.throws(() => lw.renderBatch('someone/og-card', {}), TypeError);
  assert.throws(() => lw.renderBatch('someone/og-card', { rows: [], csv: CSV }), TypeError);
  assert.equal(calls.length, 1);
});

test('a refused CSV upload is a typed error', async () => {
  const { fetch } = scriptedFetch(() => apiError(400, 'invalid_csv'));
  const error = await client(fetch)
    .renderBatch('someone/og-card', { csv: 'not,a\n"csv' })
    .catch((e) => e);
  assert.ok(error instanceof BadRequest, String(error));
  assert.equal(error.code, 'invalid_csv');
});

test('batches.events follows a batch across reconnects until completed', async () => {
  const progress = (done) => ({ batchId: 'bat_1', status: 'processing', done, failed: 0, remaining: 50 - done });
  const { fetch, calls } = scriptedFetch((call, i) =>
    i === 0
      ? eventStream('retry: 1\n\n', sse('progress', progress(0)), sse('progress', progress(25))) // ends: reconnect
      : eventStream('retry: 1\n\n', sse('progress', progress(25)), sse('completed', { ...progress(50), status: 'completed' }), sse('progress', progress(99))),
  );
  const seen = [];
  for await (const batch of client(fetch).batches.events('bat_1')) seen.push([batch.status, batch.done, batch.remaining]);
  assert.deepEqual(seen, [
    ['processing', 0, 50],
    ['processing', 25, 25],
    ['processing', 25, 25],
    ['completed', 50, 0],
  ]);
  assert.equal(calls.length, 2);
  assert.equal(calls[0].url.pathname, '/api/render/batch/bat_1/events');
  assert.match(calls[0].headers.get('accept'), /text\/event-stream/);
});
