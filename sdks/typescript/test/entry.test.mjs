// The main entry must load in browsers and Workers: no module of it imports a Node built-in (only
// the separate `@loopwind/sdk/node` entry does). Both builds export the same names.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import * as esm from '../dist/esm/index.js';

const require = createRequire(import.meta.url);

test('no Node built-in in the main entry of either build', () => {
  for (const build of ['esm', 'cjs']) {
    const dir = new URL(`../dist/${build}/`, import.meta.url);
    const modules = readdirSync(dir).filter((name) => name.endsWith('.js') && name !== 'node.js');
    assert.ok(modules.includes('index.js'));
    for (const name of modules) {
      const code = readFileSync(new URL(name, dir), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, ''); // comments quote example code
      const imports = [...code.matchAll(/(?:from\s+|import\(\s*|require\(\s*)["']([^"']+)["']/g)].map((m) => m[1]);
      const foreign = imports.filter((spec) => !spec.startsWith('./'));
      assert.deepEqual(foreign, [], `${build}/${name} imports ${foreign}`);
    }
  }
  const node = readFileSync(new URL('../dist/esm/node.js', import.meta.url), 'utf8');
  assert.match(node, /from ['"]node:fs\/promises['"]/); // the check above does see imports
});

test('the CommonJS build exports what the ES module build does', () => {
  const cjs = require('../dist/cjs/index.js');
  assert.deepEqual(Object.keys(cjs).filter((k) => k !== '__esModule').sort(), Object.keys(esm).sort());
  assert.ok(new cjs.Loopwind({ apiKey: 'k', baseUrl: 'http://x.test' }).templates);
  assert.ok(new cjs.RateLimited('x') instanceof cjs.LoopwindError);
});
