// The bundles the browser tests, the demo and tests/bundle_size.test.ts need, built on demand:
// `ensureBundles()` runs `rollup -c` (rollup.config.mjs: library ESM/UMD, worker, browser) only
// when an input changed since the last build — a content hash of src/, rollup.config.mjs and
// package-lock.json stored in dist/.bundles-stamp — so whichever test needs them first pays the
// ~60 s once and the others reuse them. Type errors do not stop these builds (SIMDNET_TYPECHECK=0:
// `npm run typecheck` and `npm run build` report them); syntax and resolution errors do.
//
//   node tests/browser/bundles.mjs                 build if stale, print the size table
//   node tests/browser/bundles.mjs --update-budget also rewrite bundle-budget.json
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Every published bundle (paths relative to the repository root). */
export const BUNDLES = [
  'dist/simdnet.esm.js', 'dist/simdnet.umd.cjs', 'dist/simdnet.worker.js',
  'dist/simdnet.browser.js', 'dist/simdnet.browser.mjs',
];
export const BUDGET_FILE = join(ROOT, 'bundle-budget.json');
const STAMP = join(ROOT, 'dist', '.bundles-stamp');
const LOCK = join(ROOT, 'dist', '.bundles-lock');

function filesUnder(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Hash of everything the bundles are built from. */
export function inputsHash() {
  const h = createHash('sha256');
  const files = [...filesUnder(join(ROOT, 'src')), join(ROOT, 'rollup.config.mjs'), join(ROOT, 'package-lock.json')]
    .filter(existsSync).sort();
  for (const f of files) h.update(relative(ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Holds dist/.bundles-lock while `fn` runs (another `npm test` in the same checkout waits). */
function withLock(fn) {
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  for (let waited = 0; ; waited += 1000) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (waited > 300_000 || Date.now() - statSync(LOCK).mtimeMs > 300_000) rmSync(LOCK, { recursive: true, force: true });
      else sleep(1000);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * Builds the bundles if any is missing or the inputs changed; returns `{ built, ms }`.
 * @throws Error with rollup's output when the build fails.
 */
export function ensureBundles({ log = console.log } = {}) {
  return withLock(() => {
    const hash = inputsHash();
    const fresh = BUNDLES.every(b => existsSync(join(ROOT, b))) &&
        existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === hash;
    if (fresh) return { built: false, ms: 0 };
    log('bundles: building with rollup (rollup.config.mjs) …');
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'rollup', 'dist', 'bin', 'rollup'), '-c'],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SIMDNET_BUNDLES: '', SIMDNET_TYPECHECK: '0' } });
    if (r.status !== 0) throw new Error(`rollup -c failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
    writeFileSync(STAMP, `${hash}\n`);
    const ms = Date.now() - t0;
    log(`bundles: built in ${(ms / 1000).toFixed(1)} s`);
    return { built: true, ms };
  });
}

/** `{ [bundle]: { raw, gzip } }` in bytes (gzip level 9). */
export function bundleSizes() {
  const out = {};
  for (const b of BUNDLES) {
    const bytes = readFileSync(join(ROOT, b));
    out[b] = { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  }
  return out;
}

const kib = n => `${(n / 1024).toFixed(1)} KiB`;

/** Markdown table of the sizes (as in README.md). */
export function sizeTable(sizes = bundleSizes()) {
  const rows = Object.entries(sizes).map(([b, s]) => `| \`${b}\` | ${kib(s.raw)} | ${kib(s.gzip)} |`);
  return ['| bundle | raw | gzip |', '|---|---:|---:|', ...rows].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureBundles();
  const sizes = bundleSizes();
  console.log(sizeTable(sizes));
  if (process.argv.includes('--update-budget')) {
    const budget = {
      note: 'Size budget of the published bundles in bytes (tests/bundle_size.test.ts fails above budget × (1 + tolerance)). ' +
          'Update with `node tests/browser/bundles.mjs --update-budget` when a growth is intended.',
      tolerance: 0.1,
      bundles: sizes,
    };
    writeFileSync(BUDGET_FILE, `${JSON.stringify(budget, null, 2)}\n`);
    console.log(`wrote ${relative(ROOT, BUDGET_FILE)}`);
  }
}
