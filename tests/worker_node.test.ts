// createWorker() under Node worker_threads, from source (the default here: scripts/
// worker-from-source.mjs runs src/worker/worker.ts, no build) and on the published worker bundle
// (dist/simdnet.worker.js, built first when stale): backend choice, loading safetensors weights
// from a path and from bytes, predictions equal to the in-process model, errors returned as
// rejections with the worker's message, and dispose. The browser side is in tests/browser/run.mjs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { createWorker, type WorkerModel } from '../src/index';
import { lenet5 } from '../src/models/index.js';
import { parseSafetensors, serializeSafetensors } from '../src/io/safetensors.js';
import { ensureBundles } from './browser/bundles.mjs';
import { maxAbsDiff } from './helpers';

/** Builds the bundles if stale; prints rollup's error (uvu would hide a failing hook's message). */
function buildBundles(): void {
  try {
    ensureBundles({ log: () => undefined });
  } catch (e) {
    console.error((e as Error).message);
    throw e;
  }
}

const WEIGHTS = 'assets/lenet5-fashion-mnist.safetensors';
let worker: WorkerModel;
let x: Float32Array;
let expected: Float32Array;

test.before(async () => {
  // Reference: the same weights in this process, on cpu.
  const prev = tf.getBackend();
  assert.ok(await tf.setBackend('cpu'));
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;  // no tfjs-node banner
  x = Float32Array.from({ length: 2 * 784 }, (_, i) => Math.sin(i * 0.37) * 1.5);
  const m = lenet5();
  m.loadStateDict(parseSafetensors(new Uint8Array(readFileSync(WEIGHTS))).tensors, { strict: true });
  m.eval();
  expected = tf.tidy(() => m.forward(tf.tensor4d(x, [2, 28, 28, 1])).dataSync() as Float32Array);
  m.dispose();
  if (prev) await tf.setBackend(prev);
  worker = createWorker();  // default from source: scripts/worker-from-source.mjs → src/worker/worker.ts
});

test.after(async () => {
  await worker?.dispose();
});

test('from source, the default worker runs src/worker/worker.ts (no dist/ build needed)', async () => {
  assert.is(worker.script, new URL('../scripts/worker-from-source.mjs', import.meta.url).href);
  assert.is((await worker.ready).backend, 'simd');
});

test('the worker picks simd under worker_threads', async () => {
  const r = await worker.ready;
  assert.equal(r, { backend: 'simd', reasons: [] });
  assert.is(worker.backend, 'simd');
});

test('load from a file path, predict matches the in-process model; the input is transferred', async () => {
  const l = await worker.load({ model: 'lenet5', weights: WEIGHTS });
  assert.equal({ model: l.model, backend: l.backend, parameters: l.parameters, fromCache: l.fromCache },
      { model: 'lenet5', backend: 'simd', parameters: 61706, fromCache: false });
  const input = x.slice();
  const r = await worker.predict(input, [2, 28, 28, 1]);
  assert.equal(r.shape, [2, 10]);
  assert.is(r.backend, 'simd');
  assert.ok(r.ms > 0);
  assert.ok(maxAbsDiff(r.output, expected) < 1e-4, `max error ${maxAbsDiff(r.output, expected)}`);
  assert.is(input.length, 0, 'input buffer transferred (detached)');
  const kept = x.slice();
  await worker.predict(kept, [2, 28, 28, 1], { transfer: false });
  assert.is(kept.length, 2 * 784, 'transfer: false copies');
});

test('bad input shape rejects with the worker\'s message; the next request succeeds', async () => {
  try {
    await worker.predict(x.slice(0, 784), [1, 28, 28, 3]);
    assert.unreachable('should reject');
  } catch (e) {
    assert.match((e as Error).message, /^bad input shape \[1, 28, 28, 3\] for lenet5: 3 channels; expected \[N, 28, 28, 1\] \(NHWC\)$/);
  }
  const ok = await worker.predict(x.slice(0, 784), [1, 28, 28, 1]);
  assert.ok(maxAbsDiff(ok.output, expected.subarray(0, 10)) < 1e-4);
});

test('concurrent requests are answered by id', async () => {
  const rs = await Promise.all([0, 1, 0, 1].map(i => worker.predict(x.slice(i * 784, (i + 1) * 784), [1, 28, 28, 1])));
  rs.forEach((r, k) => assert.ok(maxAbsDiff(r.output, expected.subarray((k % 2) * 10, (k % 2) * 10 + 10)) < 1e-4, `request ${k}`));
});

test('missing weights keys and missing files reject (the loaded model stays); bytes load', async () => {
  const file = parseSafetensors(new Uint8Array(readFileSync(WEIGHTS)));
  file.tensors.delete('fc3.bias');
  const partial = serializeSafetensors(file.tensors);
  await worker.load({ model: 'lenet5', weights: partial }).then(
    () => assert.unreachable('should reject'),
    e => assert.match((e as Error).message, /fc3\.bias/));
  const still = await worker.predict(x.slice(), [2, 28, 28, 1]);  // the loaded model stays in service
  assert.ok(maxAbsDiff(still.output, expected) < 1e-4);
  await worker.load({ model: 'lenet5', weights: 'assets/no-such-file.safetensors' }).then(
    () => assert.unreachable('should reject'),
    e => assert.match((e as Error).message, /ENOENT/));
  const l = await worker.load({ model: 'lenet5', weights: new Uint8Array(readFileSync(WEIGHTS)) });
  assert.is(l.parameters, 61706);
  const r = await worker.predict(x.slice(), [2, 28, 28, 1]);
  assert.ok(maxAbsDiff(r.output, expected) < 1e-4);
});

test('webgl in a Node worker: ready rejects with the reason, requests too', async () => {
  const w = createWorker({ prefer: ['webgl'] });
  try {
    await w.ready.then(() => assert.unreachable('should reject'), e => assert.match((e as Error).message, /webgl: no WebGL in this environment/));
    await w.load({ model: 'lenet5', weights: WEIGHTS }).then(() => assert.unreachable('should reject'), e => assert.match((e as Error).message, /no usable backend/));
  } finally {
    await w.dispose();
  }
});

test('a worker started by the caller (worker_threads.Worker on the bundle)', async () => {
  buildBundles();
  const w = createWorker({ worker: new Worker(new URL('../dist/simdnet.worker.js', import.meta.url)), prefer: ['simd'] });
  assert.is(w.script, null);
  try {
    await w.load({ model: 'lenet5', weights: WEIGHTS });
    const r = await w.predict(x.slice(), [2, 28, 28, 1]);
    assert.ok(maxAbsDiff(r.output, expected) < 1e-4);
  } finally {
    await w.dispose();
  }
});

test('the built bundle by URL: createWorker({ url: dist/simdnet.worker.js })', async () => {
  buildBundles();
  const url = new URL('../dist/simdnet.worker.js', import.meta.url);
  const w = createWorker({ url, prefer: ['simd'] });
  assert.is(w.script, url.href);
  try {
    await w.load({ model: 'lenet5', weights: WEIGHTS });
    const r = await w.predict(x.slice(), [2, 28, 28, 1]);
    assert.is(r.backend, 'simd');
    assert.ok(maxAbsDiff(r.output, expected) < 1e-4);
  } finally {
    await w.dispose();
  }
});

test('dispose terminates; later calls reject', async () => {
  const w = createWorker({ prefer: ['cpu'] });
  assert.is((await w.ready).backend, 'cpu');
  await w.dispose();
  await w.predict(x.slice(0, 784), [1, 28, 28, 1]).then(() => assert.unreachable('should reject'), e => assert.match((e as Error).message, /disposed/));
  await w.dispose();  // idempotent
});

test.run();
