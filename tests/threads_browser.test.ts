// Opt-in threads in Chromium (src/backend/threads.ts, browser path): the self-contained bundle
// (dist/simdnet.browser.js, built first when stale) on a cross-origin isolated page (COOP/COEP
// headers) starts Web Workers from a Blob URL, the main thread spins instead of blocking, and conv /
// matMul outputs equal one thread's bit for bit; on a page without the headers enableThreads
// rejects with a message naming them. Chromium is launched as ../shared/browser.md says.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import { readFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ensureBundles, ROOT } from './browser/bundles.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
let server: Server;
let url = '';
let browser: Browser;
let userDataDir = '';

test.before(async () => {
  ensureBundles({ log: () => undefined });
  const bundle = readFileSync(join(ROOT, 'dist', 'simdnet.browser.js'));
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const isolated = path.startsWith('/isolated/');
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    if (isolated) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
    }
    if (path.endsWith('/simdnet.browser.js')) {
      res.writeHead(200, { ...headers, 'content-type': 'text/javascript' });
      res.end(bundle);
    } else if (path.endsWith('/page.html')) {
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><meta charset="utf-8"><title>threads</title><script src="simdnet.browser.js"></script>');
    } else {
      res.writeHead(404, headers);
      res.end();
    }
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (see ../shared/browser.md)`);
  userDataDir = mkdtempSync(join(tmpdir(), 'simdnet-threads-chromium-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    ignoreDefaultArgs: true,
    args: [
      '--headless=new', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
      '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-startup-window', '--disable-features=NetworkTimeServiceQuerying',
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1', '--remote-debugging-pipe',
      `--user-data-dir=${userDataDir}`,
    ],
  });
});

test.after(async () => {
  await browser?.close();
  await new Promise<void>(resolve => (server ? server.close(() => resolve()) : resolve()));
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

test('cross-origin isolated page: Web Worker pool, spinning main thread, bit-identical conv and matMul', async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', e => errors.push(e.message));
  await page.goto(`${url}/isolated/page.html`);
  // A string, not a function: tsx would wrap the page code's named functions in its `__name` helper.
  const r = await page.evaluate(`(async () => {
    const s = globalThis.simdnet;
    const tf = s.tf;
    const isolated = globalThis.crossOriginIsolated;
    const info = await s.enableThreads({ numThreads: 3 });
    await tf.setBackend('simd');
    const x = tf.randomNormal([2, 30, 30, 24], 0, 1, 'float32', 1);
    const w = tf.randomNormal([3, 3, 24, 40], 0, 0.2, 'float32', 2);
    const a = tf.randomNormal([301, 96], 0, 1, 'float32', 3);
    const b = tf.randomNormal([96, 130], 0, 1, 'float32', 4);
    const cases = [['conv', () => tf.conv2d(x, w, 1, 'same')], ['matMul', () => tf.matMul(a, b)]];
    const out = {};
    for (const [name, f] of cases) {
      s.setThreads(1);
      const one = f(); const v1 = one.dataSync(); one.dispose();
      s.setThreads(3);
      const before = s.simdBackend().threads.splitCalls;
      const many = f(); const v3 = many.dataSync(); many.dispose();
      let same = v1.length === v3.length;
      for (let i = 0; same && i < v1.length; i++) same = Object.is(v1[i], v3[i]);
      out[name] = { same, split: s.simdBackend().threads.splitCalls - before, n: v1.length };
    }
    await s.disableThreads();
    return { isolated, info, out, after: s.threadsInfo().poolThreads };
  })()`) as { isolated: boolean; info: unknown; out: Record<string, unknown>; after: number };
  await page.close();
  assert.equal(errors, []);
  assert.is(r.isolated, true);
  assert.equal(r.info, { supported: true, sharedMemory: true, numThreads: 3, poolThreads: 3, mainThreadBlocks: false });
  assert.equal(r.out.conv, { same: true, split: 1, n: 2 * 30 * 30 * 40 });
  assert.equal(r.out.matMul, { same: true, split: 1, n: 301 * 130 });
  assert.is(r.after, 1);
});

test('page without COOP/COEP: enableThreads rejects naming the headers; simd still works', async () => {
  const page = await browser.newPage();
  await page.goto(`${url}/plain/page.html`);
  const r = await page.evaluate(async () => {
    const s = (globalThis as unknown as { simdnet: any }).simdnet;
    let message = '';
    try { await s.enableThreads({ numThreads: 2 }); } catch (e) { message = (e as Error).message; }
    const ok = await s.tf.setBackend('simd');
    return { message, ok, sum: s.tf.ones([4]).sum().dataSync()[0], info: s.threadsInfo() };
  });
  await page.close();
  assert.match(r.message, /Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp/);
  assert.is(r.ok, true);
  assert.is(r.sum, 4);
  assert.is(r.info.supported, false);
  assert.is(r.info.sharedMemory, false);
});

test.run();
