// The transport and jobs without a server: a scripted fetch answers. Retries (bounded, honouring
// Retry-After, never for a spent quota or other 4xx), typed errors with the request id, timeouts,
// AbortSignal, SSE parsing, reconnects after a stream's end and the fallback to polling.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AuthError,
  BadRequest,
  ConnectionError,
  JobCancelled,
  Loopwind,
  LoopwindError,
  NotFound,
  QuotaExceeded,
  RateLimited,
  RenderFailed,
  ServerError,
  ValidationError,
  WaitTimeout,
  createSseParser,
} from '../dist/esm/index.js';
import { apiError, eventStream, json, scriptedFetch, sse } from './helpers.mjs';

const client = (fetch, options = {}) => new Loopwind({ apiKey: 'lw_live_k', baseUrl: 'http://api.test/', fetch, ...options });

test('429 and 503 are retried after Retry-After, with the key on every attempt', async () => {
  const started = Date.now();
  const times = [];
  const { fetch, calls } = scriptedFetch((call, i) => {
    times.push(Date.now());
    return [
      apiError(503, 'queue_unavailable', { 'retry-after': '0' }),
      apiError(429, 'rate_limited', { 'retry-after': '1' }),
      json({ username: 'x' }),
    ][i];
  });
  assert.deepEqual(await client(fetch).me.get(), { username: 'x' });
  assert.equal(calls.length, 3);
  assert.ok(calls.every((c) => c.headers.get('authorization') === 'Bearer lw_live_k'));
  assert.equal(calls[0].url.href, 'http://api.test/api/me');
  assert.ok(times[2] - times[1] >= 950, 'waited the Retry-After second');
  assert.ok(Date.now() - started < 5000);
});

test('without Retry-After the waits back off from 0.5 s', async () => {
  const times = [];
  const { fetch } = scriptedFetch((call, i) => {
    times.push(Date.now());
    return i < 2 ? apiError(503, 'database_unavailable') : json({});
  });
  await client(fetch).me.get();
  assert.ok(times[1] - times[0] >= 450 && times[2] - times[1] >= 950, times.join(' '));
});

test('retries are bounded and the last error is raised', async () => {
  const { fetch, calls } = scriptedFetch(() => apiError(503, 'queue_unavailable', { 'retry-after': '0', 'x-request-id': 'req_9' }));
  const error = await client(fetch, { maxRetries: 2 }).me.get().catch((e) => e);
  assert.ok(error instanceof ServerError && error instanceof LoopwindError);
  assert.equal(error.status, 503);
  assert.equal(error.code, 'queue_unavailable');
  assert.equal(error.requestId, 'req_9');
  assert.equal(calls.length, 3);
});

test('a spent quota, a long Retry-After and other 4xx are not retried', async () => {
  const { fetch, calls } = scriptedFetch((call, i) => [
    apiError(429, 'quota_exceeded', { 'retry-after': '3600' }),
    apiError(429, 'rate_limited', { 'retry-after': '120' }),
    apiError(400, 'invalid_props'),
    apiError(404, 'not_found'),
    apiError(401, 'invalid_api_key'),
    apiError(413, 'too_large'),
    apiError(422, 'render_failed'),
  ][i]);
  const lw = client(fetch);
  const quota = await lw.me.get().catch((e) => e);
  assert.ok(quota instanceof QuotaExceeded && quota instanceof RateLimited);
  assert.equal(quota.retryAfter, 3600);
  const limited = await lw.me.get().catch((e) => e);
  assert.ok(limited instanceof RateLimited && !(limited instanceof QuotaExceeded));
  assert.equal(limited.retryAfter, 120);
  const bad = await lw.me.get().catch((e) => e);
  assert.ok(bad instanceof BadRequest && bad instanceof ValidationError);
  assert.ok((await lw.me.get().catch((e) => e)) instanceof NotFound);
  const auth = await lw.me.get().catch((e) => e);
  assert.ok(auth instanceof AuthError);
  assert.equal(auth.code, 'invalid_api_key');
  assert.ok((await lw.me.get().catch((e) => e)) instanceof BadRequest);
  assert.ok((await lw.me.get().catch((e) => e)) instanceof RenderFailed);
  assert.equal(calls.length, 7);
});

test('a non-JSON error page still gives a typed error', async () => {
  const { fetch } = scriptedFetch(() => new Response('<html>bad gateway</html>', { status: 502 }));
  const error = await client(fetch, { maxRetries: 0 }).me.get().catch((e) => e);
  assert.ok(error instanceof ServerError);
  assert.equal(error.code, 'http_502');
});

test('the caller\'s AbortSignal stops a retry wait', async () => {
  const { fetch, calls } = scriptedFetch(() => apiError(429, 'rate_limited', { 'retry-after': '20' }));
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('stop')), 100);
  const started = Date.now();
  const error = await client(fetch).me.get({ signal: controller.signal }).catch((e) => e);
  assert.equal(error.message, 'stop');
  assert.equal(calls.length, 1);
  assert.ok(Date.now() - started < 2000);
});

test('a request past its timeout is a ConnectionError with code timeout', async () => {
  const fetch = (url, init) =>
    new Promise((resolve, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)));
  const error = await client(fetch, { timeout: 50 }).me.get().catch((e) => e);
  assert.ok(error instanceof ConnectionError, String(error));
  assert.equal(error.code, 'timeout');
});

test('an unreachable server is a ConnectionError', async () => {
  const lw = new Loopwind({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9' });
  const error = await lw.me.get().catch((e) => e);
  assert.ok(error instanceof ConnectionError);
  assert.equal(error.code, 'connection_error');
  assert.match(error.message, /127\.0\.0\.1:9/);
});

test('POSTs carry Idempotency-Key; render reads the render headers', async () => {
  const { fetch, calls } = scriptedFetch((call) =>
    call.url.pathname === '/api/render'
      ? new Response(new Uint8Array([1, 2, 3]), {
          headers: { 'content-type': 'image/png', 'x-render-id': 'rnd_1', 'x-render-cache': 'HIT', 'x-render-duration': '12ms' },
        })
      : json({ jobId: 'job_1', status: 'queued' }, 202),
  );
  const lw = client(fetch);
  const image = await lw.render('a/b', { props: { title: 't' }, scale: 2, idempotencyKey: 'k1' });
  assert.deepEqual([image.contentType, image.renderId, image.cache, image.durationMs], ['image/png', 'rnd_1', 'HIT', 12]);
  assert.deepEqual([...new Uint8Array(image.data)], [1, 2, 3]);
  assert.deepEqual(JSON.parse(calls[0].body), { template: 'a/b', props: { title: 't' }, scale: 2 });
  const job = await lw.renderVideo('a/b', { idempotencyKey: 'k2', webhook: 'https://example.com/h' });
  assert.equal(job.id, 'job_1');
  assert.deepEqual(calls.map((c) => c.headers.get('idempotency-key')), ['k1', 'k2']);
  assert.deepEqual(JSON.parse(calls[1].body), { template: 'a/b', props: {}, webhook: 'https://example.com/h' });
  assert.throws(() => lw.templates.get('not-a-slug'), TypeError);
});

test('sign-in calls send no key; output downloads neither', async () => {
  const { fetch, calls } = scriptedFetch(() => json({ token: 't', refreshToken: 'r', user: {} }));
  const lw = client(fetch);
  await lw.auth.login('a@example.com', 'pw');
  await lw.auth.logout();
  assert.equal(calls[0].headers.get('authorization'), null);
  assert.equal(calls[1].headers.get('authorization'), 'Bearer lw_live_k'); // every session of the caller
});

test('the environment supplies the key and the URL, where there is one', async () => {
  const { fetch, calls } = scriptedFetch(() => json({}));
  process.env.LOOPWIND_API_KEY = 'lw_live_env';
  process.env.LOOPWIND_API_URL = 'http://env.test/';
  try {
    const lw = new Loopwind({ fetch });
    assert.equal(lw.baseUrl, 'http://env.test');
    await lw.me.get();
    assert.equal(calls[0].headers.get('authorization'), 'Bearer lw_live_env');
  } finally {
    delete process.env.LOOPWIND_API_KEY;
    delete process.env.LOOPWIND_API_URL;
  }
  // Deno without --allow-env throws on reading a variable: the defaults apply
  const saved = process.env;
  process.env = new Proxy({}, { get() { throw new Error('PermissionDenied: env access'); } });
  try {
    assert.equal(new Loopwind({ fetch }).baseUrl, 'https://loopwind.dev');
  } finally {
    process.env = saved;
  }
  const anonymous = scriptedFetch(() => json({}));
  await new Loopwind({ fetch: anonymous.fetch }).templates.list();
  assert.equal(anonymous.calls[0].headers.get('authorization'), null);
});

test('templates.list sends the category and joins tags', async () => {
  const { fetch, calls } = scriptedFetch(() => json({ templates: [], total: 0, page: 1, pages: 1 }));
  await client(fetch).templates.list({ category: 'open-graph', tags: ['og', 'blog'], sort: 'recent' });
  const query = calls[0].url.searchParams;
  assert.deepEqual([query.get('category'), query.get('tags'), query.get('sort')], ['open-graph', 'og,blog', 'recent']);
});

test('the SSE parser follows the event-stream rules', () => {
  const parser = createSseParser();
  const events = [
    ...parser.push('retry: 1000\n\n: keep-alive\n\nevent: progress\ndata: {"a"'),
    ...parser.push(':1}\r'),
    ...parser.push('\n\r\ndata: line1\ndata: line2\n\nevent: x\n'),
  ];
  assert.deepEqual(events, [
    { event: 'progress', data: '{"a":1}', id: undefined },
    { event: 'message', data: 'line1\nline2', id: undefined },
  ]);
  assert.equal(parser.retry, 1000);
});

const status = (s, frame, extra = {}) => ({ jobId: 'job_1', status: s, currentFrame: frame, totalFrames: 3, progress: frame / 3, ...extra });

test('wait() follows the stream across reconnects until a final event', async () => {
  const streams = [
    eventStream('retry: 10\n\n', sse('progress', status('processing', 1))),
    eventStream('retry: 10\n\n', sse('progress', status('processing', 1)), sse('progress', status('processing', 2))),
    eventStream('retry: 10\n\n', sse('completed', status('completed', 3, { outputUrl: 'http://cdn.test/o.mp4' }))),
  ];
  const { fetch, calls } = scriptedFetch((call) =>
    call.url.pathname.endsWith('/events') ? streams.shift() : json({ jobId: 'job_1', status: 'queued' }, 202),
  );
  const job = await client(fetch).renderVideo('a/b');
  const seen = [];
  const result = await job.wait({ onProgress: (j) => seen.push(`${j.status} ${j.currentFrame}`) });
  assert.equal(result, job);
  assert.equal(job.outputUrl, 'http://cdn.test/o.mp4');
  assert.deepEqual(seen, ['processing 1', 'processing 2', 'completed 3']); // the repeat after a reconnect is not news
  assert.equal(calls.filter((c) => c.url.pathname.endsWith('/events')).length, 3);
  assert.match(calls.at(-1).headers.get('accept'), /^text\/event-stream/);
  await job.download();
  assert.equal(calls.at(-1).url.href, 'http://cdn.test/o.mp4');
  assert.equal(calls.at(-1).headers.get('authorization'), null); // a signed URL: our key stays home
});

test('aborting wait() closes the open event stream and rejects with the reason', async () => {
  let cancelled = false;
  const { fetch } = scriptedFetch((call) =>
    call.url.pathname.endsWith('/events')
      ? new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode(sse('progress', status('processing', 1))));
            },
            cancel() {
              cancelled = true;
            },
          }),
          { headers: { 'content-type': 'text/event-stream' } },
        )
      : json(status('queued', 0)),
  );
  const job = await client(fetch).jobs.get('job_1');
  const controller = new AbortController();
  const error = await job
    .wait({ signal: controller.signal, onProgress: () => controller.abort(new Error('user left')) })
    .catch((e) => e);
  assert.equal(error.message, 'user left');
  assert.ok(cancelled, 'the stream was cancelled');
});

test('without a usable stream the job is polled; failures and cancels reject', async () => {
  const polls = [status('processing', 1), status('failed', 1, { error: { code: 'render_timeout', message: 'too slow' } })];
  const { fetch } = scriptedFetch((call) => {
    if (call.url.pathname.endsWith('/events')) return new Response('nope', { status: 200, headers: { 'content-type': 'text/html' } });
    if (call.method === 'POST') return json({ jobId: 'job_1', status: 'queued' }, 202);
    return json(polls.shift());
  });
  const job = await client(fetch).renderVideo('a/b');
  const updates = [];
  const error = await job.wait({ onProgress: (j) => updates.push(j.status) }).catch((e) => e);
  assert.ok(error instanceof RenderFailed);
  assert.equal(error.code, 'render_timeout');
  assert.deepEqual(updates, ['processing', 'failed']);

  const cancelled = scriptedFetch(() => json(status('cancelled', 0)));
  const job2 = await client(cancelled.fetch).jobs.get('job_1');
  assert.ok((await job2.wait().catch((e) => e)) instanceof JobCancelled);
});

test('for await over a job yields each update; a 404 on the stream is an error, not a fallback', async () => {
  const { fetch } = scriptedFetch((call) =>
    call.url.pathname.endsWith('/events')
      ? eventStream(sse('progress', status('processing', 1)), sse('completed', status('completed', 3)))
      : json(status('queued', 0)),
  );
  const job = await client(fetch).jobs.get('job_1');
  const frames = [];
  for await (const update of job) frames.push(update.currentFrame);
  assert.deepEqual(frames, [1, 3]);

  const missing = scriptedFetch((call) => (call.url.pathname.endsWith('/events') ? apiError(404, 'not_found') : json(status('queued', 0))));
  const gone = await client(missing.fetch).jobs.get('job_1');
  assert.ok((await gone.wait().catch((e) => e)) instanceof NotFound);
});

test('wait() times out with WaitTimeout', async () => {
  const { fetch } = scriptedFetch((call) =>
    call.url.pathname.endsWith('/events')
      ? new Response(new ReadableStream({ start() {} }), { headers: { 'content-type': 'text/event-stream' } })
      : json(status('queued', 0)),
  );
  const job = await client(fetch).jobs.get('job_1');
  const error = await job.wait({ timeout: 100 }).catch((e) => e);
  assert.ok(error instanceof WaitTimeout, String(error));
});

test('publish sends each file as a `files` part named by its bundle path, and the fields', async () => {
  const { fetch, calls } = scriptedFetch(() => json({ version: '1.0.0' }, 201));
  const lw = client(fetch);
  await lw.templates.publish(
    { 'loopwind.json': '{"name":"x"}', 'assets/logo.svg': new Uint8Array([60, 115]), 'style.css': new Blob(['a{}']) },
    { version: '1.0.0', tags: ['og', 'social'], meta: { a: 1 }, private: true, idempotencyKey: 'p1' },
  );
  const form = calls[0].body;
  assert.deepEqual(form.getAll('files').map((f) => f.name), ['loopwind.json', 'assets/logo.svg', 'style.css']);
  assert.equal(await form.getAll('files')[0].text(), '{"name":"x"}');
  assert.deepEqual(
    [form.get('version'), form.getAll('tags'), form.get('meta'), form.get('private'), form.get('dryRun')],
    ['1.0.0', ['og', 'social'], '{"a":1}', 'true', 'false'],
  );
  assert.equal(calls[0].headers.get('idempotency-key'), 'p1');
  assert.equal(calls[0].headers.get('content-type'), null); // fetch adds the multipart boundary

  // Files picked from a folder in a browser carry webkitRelativePath: the top folder is dropped
  const picked = ['og-card/loopwind.json', 'og-card/assets/a.png'].map((path) => {
    const file = new File(['x'], path.split('/').at(-1));
    Object.defineProperty(file, 'webkitRelativePath', { value: path });
    return file;
  });
  await lw.templates.publish(picked);
  assert.deepEqual(calls[1].body.getAll('files').map((f) => f.name), ['loopwind.json', 'assets/a.png']);
  // not saying private keeps the template's visibility: the field is not sent at all
  assert.equal(calls[1].body.has('private'), false);
});

test('a deprecated or yanked version: the result carries the message and onDeprecation hears it', async () => {
  const heard = [];
  const png = (headers = {}) => new Response(new Uint8Array([137, 80]), { status: 200, headers: { 'content-type': 'image/png', ...headers } });
  const answers = [
    () => png({ deprecation: '@1764547200', 'x-loopwind-deprecation': 'Use%202.0.0%20%E2%80%94%20thanks' }),
    () => json({ jobId: 'job_1', status: 'queued', deprecation: { version: '1.0.0', message: 'Old', yanked: false } }, 202),
    () => png(),
  ];
  const { fetch } = scriptedFetch((call, n) => answers[n]());
  const lw = client(fetch, { onDeprecation: (message, version) => heard.push([message, version]) });
  const result = await lw.render('ann/og-card', { version: '1.0.0' });
  assert.equal(result.deprecation, 'Use 2.0.0 — thanks');
  await lw.renderVideo('ann/promo', { version: '1.0.0' });
  assert.equal((await lw.render('ann/og-card')).deprecation, null);
  assert.deepEqual(heard, [['Use 2.0.0 — thanks', '1.0.0'], ['Old', '1.0.0']]);
});

test('account sends X-Loopwind-Account on every call but sign-ins and output downloads', async () => {
  const { fetch, calls } = scriptedFetch(() => json({ token: 't', refreshToken: 'r', user: {}, username: 'acme' }));
  const lw = client(fetch, { account: ' Acme ' });
  assert.equal(lw.account, 'acme');
  await lw.me.get();
  await lw.keys.create('ci');
  await lw.templates.publish({ 'loopwind.json': '{}' }, { owner: 'acme' });
  await lw.auth.login('a@example.com', 'pw');
  assert.deepEqual(calls.map((c) => c.headers.get('x-loopwind-account')), ['acme', 'acme', 'acme', null]);
  assert.equal(calls[2].body.get('owner'), 'acme');
  // without it, no header; LOOPWIND_ACCOUNT is the default, and account: '' turns it off
  const plain = scriptedFetch(() => json({}));
  await client(plain.fetch).me.get();
  assert.equal(plain.calls[0].headers.get('x-loopwind-account'), null);
  process.env.LOOPWIND_ACCOUNT = 'globex';
  try {
    const env = scriptedFetch(() => json({}));
    await client(env.fetch).me.get();
    await client(env.fetch, { account: '' }).me.get();
    assert.deepEqual(env.calls.map((c) => c.headers.get('x-loopwind-account')), ['globex', null]);
  } finally {
    delete process.env.LOOPWIND_ACCOUNT;
  }
});

test('acting errors are typed: account_not_found, insufficient_role, account_mismatch', async () => {
  const answers = [apiError(404, 'account_not_found'), apiError(403, 'insufficient_role'), apiError(400, 'account_mismatch')];
  const { fetch } = scriptedFetch((call, i) => answers[i]);
  const lw = client(fetch, { account: 'acme' });
  const missing = await lw.me.get().catch((e) => e);
  assert.ok(missing instanceof NotFound && missing.code === 'account_not_found' && missing.status === 404);
  const role = await lw.keys.create('ci').catch((e) => e);
  assert.ok(role instanceof LoopwindError && role.code === 'insufficient_role' && role.status === 403);
  const mismatch = await lw.usage.get().catch((e) => e);
  assert.ok(mismatch instanceof BadRequest && mismatch.code === 'account_mismatch' && mismatch.status === 400);
});
