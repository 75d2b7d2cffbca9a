// Every operation of the server's OpenAPI schema has an SDK method that sends the right method to
// the right path. The schema comes from the live server: LOOPWIND_SCHEMA_FILE (the pytest suite
// sets it; tests/sdk_typescript).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Loopwind } from '../dist/esm/index.js';
import { scriptedFetch, eventStream, json, sse } from './helpers.mjs';
import { NOT_FOR_CLIENTS, OPERATIONS } from './operations.mjs';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const schemaFile = process.env.LOOPWIND_SCHEMA_FILE;

function schemaOperations() {
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
  const found = [];
  for (const [path, item] of Object.entries(schema.paths)) {
    for (const method of METHODS) {
      if (item[method]) found.push({ id: item[method].operationId, method: method.toUpperCase(), path });
    }
  }
  return found;
}

function answer(call) {
  const path = call.url.pathname;
  if (path.endsWith('/events')) return eventStream(sse('completed', { jobId: 'job_1', status: 'completed', currentFrame: 1 }));
  if (path === '/api/render') return new Response(new Uint8Array([137, 80, 78, 71]), { headers: { 'content-type': 'image/png' } });
  if (path.endsWith('/download')) return new Response(new Uint8Array([80, 75, 3, 4]), { headers: { 'content-type': 'application/zip' } });
  return json({ jobId: 'job_1', status: 'completed', templates: [], url: 'http://x/i/a.png' });
}

test('every schema operation has an SDK method with its method and path', { skip: !schemaFile && 'LOOPWIND_SCHEMA_FILE not set' }, async () => {
  const operations = schemaOperations();
  assert.ok(operations.length > 30, `only ${operations.length} operations in the schema`);
  const ids = new Set(operations.map((op) => op.id));
  const stale = [...Object.keys(OPERATIONS), ...Object.keys(NOT_FOR_CLIENTS)].filter((id) => !ids.has(id));
  assert.deepEqual(stale, [], 'operations in test/operations.mjs that the schema no longer has');
  const missing = operations.filter((op) => !(op.id in OPERATIONS) && !(op.id in NOT_FOR_CLIENTS));
  assert.deepEqual(missing.map((op) => `${op.method} ${op.path} (${op.id})`), [], 'schema operations without an SDK method: add them to the client and to test/operations.mjs');

  for (const op of operations.filter((op) => op.id in OPERATIONS)) {
    const { fetch, calls } = scriptedFetch(answer);
    const lw = new Loopwind({ apiKey: 'lw_live_test', baseUrl: 'http://api.test', fetch });
    await OPERATIONS[op.id](lw);
    assert.equal(calls.length, 1, `${op.id} made ${calls.length} requests`);
    const pattern = new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    assert.equal(calls[0].method, op.method, op.id);
    assert.match(calls[0].url.pathname, pattern, op.id);
  }
});
