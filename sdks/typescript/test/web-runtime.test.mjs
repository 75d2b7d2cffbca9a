// The main entry in a runtime that has the web platform's globals and nothing of Node's (no
// process, Buffer or require of built-ins), as in a browser or a Worker: the CommonJS build is
// loaded into a fresh vm context by a loader that resolves only the package's own files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import vm from 'node:vm';
import { Webhook } from 'standardwebhooks';

const WEB_GLOBALS = [
  'fetch', 'Request', 'Response', 'Headers', 'FormData', 'Blob', 'File', 'URL', 'URLSearchParams',
  'ReadableStream', 'TextEncoder', 'TextDecoder', 'AbortController', 'AbortSignal', 'DOMException',
  'crypto', 'atob', 'btoa', 'setTimeout', 'clearTimeout', 'console', 'structuredClone',
];

function loadInWebContext(fetch) {
  const context = vm.createContext(Object.fromEntries(WEB_GLOBALS.map((name) => [name, globalThis[name]])));
  context.fetch = fetch;
  context.globalThis = context;
  const cache = new Map();
  const load = (name) => {
    if (!/^\.\/[\w-]+\.js$/.test(name)) throw new Error(`the main entry required ${name}`);
    if (cache.has(name)) return cache.get(name).exports;
    const module = { exports: {} };
    cache.set(name, module);
    const code = readFileSync(new URL(`../dist/cjs/${name.slice(2)}`, import.meta.url), 'utf8');
    const wrapper = vm.runInContext(`(function (exports, require, module) {${code}\n})`, context, { filename: name });
    wrapper(module.exports, load, module);
    return module.exports;
  };
  return { sdk: load('./index.js'), context };
}

test('renders and verifies webhooks with web globals only', async () => {
  const seen = [];
  const fetch = async (url, init) => {
    seen.push([url, new Headers(init.headers).get('authorization')]);
    return new Response(new Uint8Array([137, 80, 78, 71]), {
      headers: { 'content-type': 'image/png', 'x-render-id': 'rnd_web', 'x-render-cache': 'MISS', 'x-render-duration': '3ms' },
    });
  };
  const { sdk, context } = loadInWebContext(fetch);
  assert.equal(context.process, undefined);
  const lw = new sdk.Loopwind({ apiKey: 'lw_live_web' }); // no environment here: the defaults apply
  assert.equal(lw.baseUrl, 'https://loopwind.dev');
  const image = await lw.render('a/b', { props: { title: 'web' } });
  assert.deepEqual([image.renderId, image.data.byteLength], ['rnd_web', 4]);
  assert.deepEqual(seen, [['https://loopwind.dev/api/render', 'Bearer lw_live_web']]);

  const secret = 'whsec_' + btoa('a secret for the web runtime test');
  const body = '{"event":"render.completed","jobId":"job_web"}';
  const now = new Date();
  const headers = new Headers({
    'webhook-id': 'msg_web',
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign('msg_web', now, body),
  });
  assert.equal((await sdk.webhooks.verify(body, headers, secret)).jobId, 'job_web');
});
