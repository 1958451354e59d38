// `import 'simdnet'` from plain Node (no loader hooks), as a user of the package does: the
// package's `node` export (dist/simdnet.node.cjs) registers `simd`, gradients and chained ops
// for the user's own @tensorflow/tfjs-core.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

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

test.run();
