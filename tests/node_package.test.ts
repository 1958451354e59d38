// `import 'simdnet'` from plain Node (no loader hooks), as a user of the package does: the
// package's `node` export (dist/simdnet.node.cjs) registers `simd`, gradients and chained ops
// for the user's own @tensorflow/tfjs-core, and its createWorker() starts the default worker
// script next to it (dist/simdnet.worker.node.cjs; both built by `npm run build:node`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

test('plain Node: import simdnet + @tensorflow/tfjs-core, run ops, gradients and a zoo model on simd', () => {
  // inside the package's own scope, so `import 'simdnet'` resolves by self-reference
  const dir = mkdtempSync(join(process.cwd(), '.tmp-pkg-'));
  const script = join(dir, 'use.mjs');
  writeFileSync(script, `
    import * as tf from '@tensorflow/tfjs-core';
    import { models, NATIVE_KERNELS } from 'simdnet';
    const ok = await tf.setBackend('simd');
    const x = tf.tensor([1, -2, 3]);
    const relu = Array.from(x.relu().dataSync());
    const grad = Array.from(tf.grad(a => a.square().sum())(x).dataSync());
    const y = models.lenet5().call(tf.zeros([2, 28, 28, 1]));
    console.log(JSON.stringify({ ok, backend: tf.getBackend(), relu, grad, shape: y.shape, native: NATIVE_KERNELS.includes('Conv2D') }));
  `);
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  rmSync(dir, { recursive: true, force: true });
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out, { ok: true, backend: 'simd', relu: [1, 0, 3], grad: [2, -4, 6], shape: [2, 10], native: true });
});

test('plain Node: require(dist/simdnet.node.cjs).createWorker() with the default script loads lenet5, predicts, exits', () => {
  const dir = mkdtempSync(join(process.cwd(), '.tmp-pkg-'));
  const script = join(dir, 'worker.cjs');
  const bundle = resolve('dist/simdnet.node.cjs');
  const weights = resolve('assets/lenet5-fashion-mnist.safetensors');
  writeFileSync(script, `
    const { readFileSync } = require('node:fs');
    const { createWorker } = require(${JSON.stringify(bundle)});
    (async () => {
      const m = createWorker();
      const ready = await m.ready;
      const l = await m.load({ model: 'lenet5', weights: ${JSON.stringify(weights)} });
      const bytes = new Uint8Array(readFileSync(${JSON.stringify(weights)}));
      await m.load({ model: 'lenet5', weights: bytes });
      const x = Float32Array.from({ length: 784 }, (_, i) => Math.sin(i * 0.37));
      const r = await m.predict(x, [1, 28, 28, 1]);
      await m.dispose();
      console.log(JSON.stringify({ script: m.script, backend: ready.backend, parameters: l.parameters,
        shape: r.shape, n: r.output.length, finite: Array.from(r.output).every(Number.isFinite) }));
    })().catch(e => { console.error(e); process.exit(1); });
  `);
  // no process.exit on success: the run must end by itself once the worker is disposed
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } });
  rmSync(dir, { recursive: true, force: true });
  assert.is(r.error, undefined, `child did not exit: ${r.error?.message}`);
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out, {
    script: new URL('../dist/simdnet.worker.node.cjs', import.meta.url).href, backend: 'simd', parameters: 61706,
    shape: [1, 10], n: 10, finite: true,
  });
});

test('plain Node: without its worker script next to it, createWorker() rejects with a clear error (no throw, no crash)', () => {
  const dir = mkdtempSync(join(process.cwd(), '.tmp-pkg-'));
  copyFileSync('dist/simdnet.node.cjs', join(dir, 'simdnet.node.cjs'));
  const script = join(dir, 'missing.cjs');
  writeFileSync(script, `
    const m = require('./simdnet.node.cjs').createWorker();
    m.ready.then(() => console.log('ready?'), e => console.log(JSON.stringify({ script: m.script, message: e.message })));
  `);
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } });
  rmSync(dir, { recursive: true, force: true });
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.is(out.script, null);
  assert.ok(out.message.includes(join(dir, 'simdnet.worker.node.cjs')) && out.message.includes('npm run build:node'), out.message);
});

test.run();
