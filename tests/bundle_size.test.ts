// Bundle size budget: every published bundle (rollup.config.mjs) must stay within
// bundle-budget.json × (1 + tolerance), raw and gzipped. The bundles are built first when an
// input changed (tests/browser/bundles.mjs; ~60 s, shared with the browser tests). After an
// intended growth: `node tests/browser/bundles.mjs --update-budget`, and update README.md's table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { BUDGET_FILE, BUNDLES, bundleSizes, ensureBundles } from './browser/bundles.mjs';

interface Budget {
  tolerance: number;
  bundles: Record<string, { raw: number; gzip: number }>;
}

test('published bundles stay within 10% of bundle-budget.json', () => {
  ensureBundles({ log: () => undefined });
  const budget = JSON.parse(readFileSync(BUDGET_FILE, 'utf8')) as Budget;
  assert.equal(Object.keys(budget.bundles).sort(), [...BUNDLES].sort(), 'bundle-budget.json lists every bundle');
  const sizes = bundleSizes() as Record<string, { raw: number; gzip: number }>;
  const over: string[] = [];
  for (const [file, limit] of Object.entries(budget.bundles)) {
    for (const kind of ['raw', 'gzip'] as const) {
      const max = Math.floor(limit[kind] * (1 + budget.tolerance));
      if (sizes[file][kind] > max) over.push(`${file} ${kind} ${sizes[file][kind]} B > ${max} B (budget ${limit[kind]} B + ${budget.tolerance * 100}%)`);
    }
  }
  assert.ok(over.length === 0, `bundles over budget:\n  ${over.join('\n  ')}`);
});

test('the self-contained bundles embed the wasm kernels and need no SharedArrayBuffer', () => {
  for (const file of ['dist/simdnet.worker.js', 'dist/simdnet.browser.js']) {
    const code = readFileSync(file, 'utf8');
    assert.ok(/AGFzbQ[A-Za-z0-9+/]{1000}/.test(code), `${file}: no embedded wasm module (base64 of '\\0asm')`);
    assert.not.ok(/\bnew SharedArrayBuffer\b/.test(code), `${file} creates a SharedArrayBuffer`);
    assert.not.ok(/\.wasm['"]/.test(code), `${file} refers to a .wasm file`);
  }
});

test.run();
