// The LeNet-5 main job end to end: shipped weights, PyTorch parity, simd-vs-cpu gradients,
// safetensors round trip, training on simd lowers the loss.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import './helpers';
import { lenet5 } from '../src/models/lenet';
import { parseSafetensors, serializeSafetensors } from '../src/io/safetensors';
import { loadLenet5, loadTestImages, predictAll, DEFAULT_WEIGHTS } from '../src/cli/lenet_job';
import { imagesToTensor } from '../src/data/fashion_mnist';
import { crossEntropyLoss } from '../src/train/index';
import { seededStateDict } from './torch_weights';
import { simdBackend } from '../src/index';

function argmaxRows(p: Float32Array, c: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < p.length / c; i++) {
    let b = 0;
    for (let k = 1; k < c; k++) if (p[i * c + k] > p[i * c + b]) b = k;
    out.push(b);
  }
  return out;
}

test('shipped LeNet-5 weights classify the embedded sample (≥ 0.90) identically on simd and cpu', async () => {
  const { split } = await loadTestImages();
  assert.is(split.n, 1000);
  const { model, meta } = await loadLenet5(DEFAULT_WEIGHTS);
  assert.ok(Number(meta.test_accuracy) >= 0.9, `recorded full-test accuracy ${meta.test_accuracy}`);
  await tf.setBackend('simd');
  const simd = predictAll(model, split).probs;
  await tf.setBackend('cpu');
  const cpu = predictAll(model, split).probs;
  const pred = argmaxRows(simd, 10);
  const acc = pred.filter((p, i) => p === split.labels[i]).length / split.n;
  assert.ok(acc >= 0.9, `sample accuracy ${acc}`);
  assert.equal(pred, argmaxRows(cpu, 10));
  let maxDiff = 0;
  for (let i = 0; i < simd.length; i++) maxDiff = Math.max(maxDiff, Math.abs(simd[i] - cpu[i]));
  assert.ok(maxDiff < 1e-4, `max |Δp| ${maxDiff}`);
  model.dispose();
});

test('LeNet-5 matches PyTorch (fixture lenet5.safetensors) on simd and cpu', async () => {
  const fx = parseSafetensors(new Uint8Array(readFileSync('tests/fixtures/torch/lenet5.safetensors')));
  const entries = JSON.parse(fx.metadata.state_dict) as { name: string; shape: number[] }[];
  const model = lenet5();
  const sd = seededStateDict(entries);
  model.loadStateDict(Object.fromEntries(sd), { strict: true });
  model.eval();
  const input = fx.tensors.get('input')!, want = fx.tensors.get('output')!.data as Float32Array;
  const scale = Math.max(1, ...Array.from(want, Math.abs));
  for (const backend of ['simd', 'cpu']) {
    await tf.setBackend(backend);
    const out = tf.tidy(() => model.forward(tf.tensor4d(input.data as Float32Array, input.shape as [number, number, number, number]).transpose([0, 2, 3, 1])));
    const got = out.dataSync();
    out.dispose();
    let err = 0;
    for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
    assert.ok(err <= 1e-4 * scale, `${backend}: max abs error ${err} (scale ${scale})`);
  }
  model.dispose();
});

test('LeNet-5 gradients on simd equal cpu within 1e-4', async () => {
  const { split } = await loadTestImages();
  const model = lenet5({ seed: 3 });
  model.train();
  const grads: Record<string, Float32Array[]> = {};
  for (const backend of ['cpu', 'simd']) {
    await tf.setBackend(backend);
    const params = model.trainableParameters();
    const { grads: g } = tf.variableGrads(() => tf.tidy(() => {
      const x = imagesToTensor(split, Array.from({ length: 16 }, (_, i) => i * 7));
      const y = tf.tensor1d(Array.from({ length: 16 }, (_, i) => split.labels[i * 7]), 'int32');
      return crossEntropyLoss(model.forward(x), y) as tf.Scalar;
    }), params);
    grads[backend] = params.map(p => g[p.name].dataSync() as Float32Array);
    tf.dispose(Object.values(g));
  }
  grads.cpu.forEach((want, k) => {
    const got = grads.simd[k];
    const scale = Math.max(1e-3, ...Array.from(want, Math.abs));
    for (let i = 0; i < want.length; i++) {
      if (Math.abs(got[i] - want[i]) > 1e-4 * scale) assert.unreachable(`param ${k}[${i}]: simd ${got[i]} cpu ${want[i]}`);
    }
  });
  model.dispose();
});

test('state_dict round trip through safetensors is bit-exact', async () => {
  await tf.setBackend('simd');
  const a = lenet5({ seed: 11 });
  const sd = a.stateDict();
  const bytes = serializeSafetensors(Object.fromEntries(Object.entries(sd).map(([k, t]) =>
    [k, { dtype: 'F32' as const, shape: t.shape, data: t.dataSync() as Float32Array }])));
  const back = parseSafetensors(bytes);
  const b = lenet5({ seed: 99 });
  b.loadStateDict(Object.fromEntries([...back.tensors].map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }])));
  const sd2 = b.stateDict();
  for (const [k, t] of Object.entries(sd)) {
    const u = new Uint32Array((t.dataSync() as Float32Array).buffer.slice(0));
    const v = new Uint32Array((sd2[k].dataSync() as Float32Array).buffer.slice(0));
    assert.equal(Array.from(v), Array.from(u), k);
  }
  tf.dispose([...Object.values(sd), ...Object.values(sd2)]);
  a.dispose(); b.dispose();
});

test('training steps on simd lower the loss like on cpu; tensors and heap stay flat across inference', async () => {
  const { split } = await loadTestImages();
  const idx = Array.from({ length: 32 }, (_, i) => i);
  const losses: Record<string, number[]> = {};
  for (const backend of ['cpu', 'simd']) {
    await tf.setBackend(backend);
    const model = lenet5({ seed: 5 });
    model.train();
    const opt = tf.train.momentum(0.05, 0.9);
    const x = imagesToTensor(split, idx);
    const y = tf.tensor1d(idx.map(i => split.labels[i]), 'int32');
    losses[backend] = [];
    for (let s = 0; s < 8; s++) {
      const l = opt.minimize(() => crossEntropyLoss(model.forward(x), y) as tf.Scalar, true, model.trainableParameters())!;
      losses[backend].push(l.dataSync()[0]);
      l.dispose();
    }
    if (backend === 'simd') {
      model.eval();
      const run = () => tf.tidy(() => model.forward(x).dataSync());
      run();
      const be = simdBackend();
      const t0 = tf.memory().numTensors, h0 = be.memory().heapBytesInUse, m0 = be.memory().wasmMemoryBytes;
      for (let i = 0; i < 20; i++) run();
      assert.is(tf.memory().numTensors, t0);
      assert.is(be.memory().heapBytesInUse, h0);
      assert.is(be.memory().wasmMemoryBytes, m0);
    }
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  }
  const s = losses.simd, c = losses.cpu;
  assert.ok(s[s.length - 1] < s[0] - 0.02, `simd loss ${s[0]} -> ${s[s.length - 1]}`);
  s.forEach((v, i) => assert.ok(Math.abs(v - c[i]) <= 1e-3 * Math.max(1, Math.abs(c[i])), `step ${i}: simd ${v} cpu ${c[i]}`));
});

test.run();
