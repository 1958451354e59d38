// Conv2D / FusedConv2D on simd against tfjs-backend-cpu: every padding kind (same, valid,
// numeric, explicit asymmetric, dimRoundingMode), strides larger than the window, dilations that
// push most taps into the padding, channel counts that are and are not multiples of the SIMD
// tiles, odd sizes, batches, the 1×1 GEMM path, bias + every fused activation, NCHW delegation,
// zero-size tensors, error messages, the packed-filter cache and leaks, and a small conv net.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { expectSameAsCpu, randomArray } from './helpers';
import { simdBackend } from '../src/index';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
const explicit = (t: number, b: number, l: number, r: number): Pad => [[0, 0], [t, b], [l, r], [0, 0]];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const input = (shape: number[], seed: number) => ({ shape, values: randomArray(size(shape), seed) });
/** Sums of k products of values in [-1, 1): rounding-order differences grow like sqrt(k). */
const tolFor = (k: number) => ({ atol: 2e-6 * Math.max(4, Math.sqrt(k)), rtol: 1e-5 });

test.before(async () => {
  assert.ok(await tf.setBackend('simd'), 'simd backend initializes');
});

interface Case { x: number[]; w: number[]; s?: number | [number, number]; pad: Pad; d?: number | [number, number]; r?: Rounding; }

async function checkConv(c: Case, seed: number) {
  const label = `x=[${c.x}] w=[${c.w}] s=${c.s ?? 1} d=${c.d ?? 1} pad=${JSON.stringify(c.pad)} r=${c.r}`;
  await expectSameAsCpu([input(c.x, seed), input(c.w, seed + 1)],
      (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s ?? 1, c.pad, 'NHWC', c.d ?? 1, c.r),
      tolFor(c.w[0] * c.w[1] * c.w[2]), label);
}

test('edge shapes: 1×1 inputs, channels 1/3/5/7/13, odd sizes, batch 3', async () => {
  const cases: Case[] = [
    { x: [1, 1, 1, 1], w: [1, 1, 1, 1], pad: 'valid' },
    { x: [1, 1, 1, 3], w: [3, 3, 3, 5], pad: 'same' },
    { x: [2, 1, 1, 7], w: [1, 1, 7, 13], pad: 'valid' },
    { x: [1, 7, 9, 1], w: [3, 3, 1, 1], pad: 'same' },
    { x: [1, 7, 9, 3], w: [3, 3, 3, 7], pad: 'same' },
    { x: [3, 7, 9, 5], w: [3, 3, 5, 13], pad: 'valid' },
    { x: [3, 9, 7, 13], w: [5, 5, 13, 3], pad: 'same' },
    { x: [1, 5, 5, 7], w: [2, 2, 7, 9], s: 2, pad: 'same' },
    { x: [1, 8, 8, 16], w: [3, 3, 16, 24], pad: 'same' },
    { x: [3, 6, 5, 4], w: [3, 2, 4, 17], s: [2, 1], pad: 'valid' },
    { x: [1, 4, 4, 3], w: [4, 4, 3, 5], pad: 'valid' },   // filter = input: a 1×1 output
    { x: [1, 3, 3, 2], w: [5, 5, 2, 3], pad: 'same' },    // filter larger than the input
  ];
  let seed = 1;
  for (const c of cases) await checkConv(c, seed += 2);
});

test('1×1 convolutions: pointwise GEMM path and its strided / padded variants', async () => {
  const cases: Case[] = [
    { x: [1, 6, 6, 8], w: [1, 1, 8, 16], pad: 'valid' },
    { x: [3, 7, 5, 13], w: [1, 1, 13, 7], pad: 'same' },
    { x: [1, 9, 9, 3], w: [1, 1, 3, 5], s: 2, pad: 'same' },
    { x: [1, 5, 5, 4], w: [1, 1, 4, 9], pad: 1 },
    { x: [2, 5, 5, 4], w: [1, 1, 4, 9], pad: explicit(0, 1, 2, 0) },
    { x: [1, 5, 5, 3], w: [1, 1, 3, 3], s: 3, pad: 'valid' },
  ];
  let seed = 40;
  for (const c of cases) await checkConv(c, seed += 2);
});

test('strides larger than the window, non-square strides and filters', async () => {
  const cases: Case[] = [
    { x: [1, 13, 13, 3], w: [3, 3, 3, 8], s: 4, pad: 'same' },
    { x: [2, 13, 11, 5], w: [3, 3, 5, 7], s: 4, pad: 'valid' },
    { x: [1, 10, 9, 2], w: [2, 3, 2, 5], s: [3, 5], pad: 'same' },
    { x: [1, 9, 10, 4], w: [1, 3, 4, 4], s: [1, 2], pad: explicit(1, 0, 2, 1) },
  ];
  let seed = 60;
  for (const c of cases) await checkConv(c, seed += 2);
});

test('dilations: most taps in the padding (3×3 rate 6 on 7×7 same), rate 2 valid, non-square', async () => {
  const cases: Case[] = [
    { x: [1, 7, 7, 4], w: [3, 3, 4, 8], d: 6, pad: 'same' },
    { x: [2, 7, 7, 3], w: [3, 3, 3, 5], d: 12, pad: 'same' },
    { x: [1, 11, 9, 5], w: [3, 3, 5, 9], d: 2, pad: 'valid' },
    { x: [1, 9, 9, 3], w: [3, 2, 3, 4], d: [2, 3], pad: 'same' },
    { x: [3, 8, 8, 8], w: [3, 3, 8, 8], d: 2, pad: explicit(2, 1, 0, 3) },
  ];
  let seed = 80;
  for (const c of cases) await checkConv(c, seed += 2);
});

test('padding: numeric, explicit asymmetric [[0,0],[1,2],[0,3],[0,0]], dimRoundingMode', async () => {
  const cases: Case[] = [
    { x: [1, 7, 9, 3], w: [3, 3, 3, 5], pad: 1 },
    { x: [2, 7, 9, 3], w: [3, 3, 3, 5], pad: 2, s: 2 },
    { x: [1, 7, 9, 5], w: [3, 3, 5, 6], pad: explicit(1, 2, 0, 3) },
    { x: [3, 7, 9, 5], w: [3, 3, 5, 6], s: 2, pad: explicit(1, 2, 0, 3) },
    { x: [1, 8, 8, 3], w: [3, 3, 3, 4], s: 3, pad: 1, r: 'ceil' },
    { x: [1, 8, 8, 3], w: [3, 3, 3, 4], s: 3, pad: 1, r: 'floor' },
    { x: [1, 8, 8, 3], w: [3, 3, 3, 4], s: 3, pad: 1, r: 'round' },
    { x: [1, 10, 7, 2], w: [2, 2, 2, 3], s: 2, pad: 0, r: 'ceil' },
  ];
  let seed = 100;
  for (const c of cases) await checkConv(c, seed += 2);
});

test('conv1d (conv2d underneath), with stride, dilation and batch', async () => {
  await expectSameAsCpu([input([3, 17, 5], 1), input([3, 5, 7], 2)],
      (x, w) => tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, 2, 'same'), tolFor(15), 'conv1d s2');
  await expectSameAsCpu([input([1, 17, 5], 3), input([3, 5, 7], 4)],
      (x, w) => tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, 1, 'valid', 'NWC', 3), tolFor(15), 'conv1d d3');
});

test('larger layers: several pixel chunks, many output panels, a 15×15 filter (smaller chunks)', async () => {
  await checkConv({ x: [2, 40, 36, 19], w: [3, 3, 19, 70], pad: 'same' }, 120);
  await checkConv({ x: [1, 30, 31, 2], w: [15, 15, 2, 3], pad: 'same' }, 122);
});

const ACTS = ['linear', 'relu', 'relu6', 'leakyrelu', 'prelu', 'elu', 'sigmoid'] as const;

test('FusedConv2D: bias [Cout] + every activation; scalar bias; no bias', async () => {
  const x = input([2, 7, 6, 5], 11), w = input([3, 3, 5, 13], 12);
  // Scale so that relu6 clamps at both ends and leaky/prelu see negatives.
  const scaled = { shape: x.shape, values: x.values.map(v => v * 8) };
  const bias = input([13], 13), alpha = input([13], 14);
  for (const activation of ACTS) {
    await expectSameAsCpu([scaled, w, bias, alpha], (a, b, c, p) => tf.fused.conv2d({
      x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: 'same', bias: c, activation,
      preluActivationWeights: activation === 'prelu' ? p : undefined, leakyreluAlpha: 0.3,
    }), tolFor(45 * 8), `fused ${activation}`);
  }
  const scalarBias = input([1], 15);
  for (const activation of ['relu', 'relu6', 'prelu'] as const) {
    await expectSameAsCpu([scaled, w, scalarBias, input([1], 16)], (a, b, c, p) => tf.fused.conv2d({
      x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 2, pad: 'valid', bias: c, activation,
      preluActivationWeights: activation === 'prelu' ? p : undefined,
    }), tolFor(45 * 8), `fused scalar bias ${activation}`);
  }
  await expectSameAsCpu([scaled, w], (a, b) => tf.fused.conv2d({
    x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: 1, activation: 'relu',
  }), tolFor(45 * 8), 'fused relu without bias');
});

test('FusedConv2D: bias and prelu weights of other shapes go through the fallback path', async () => {
  const x = input([1, 5, 5, 3], 21), w = input([3, 3, 3, 4], 22);
  // Output [1,5,5,4]: a bias per (row, col, channel) and prelu weights per (col, channel).
  await expectSameAsCpu([x, w, input([5, 5, 4], 23), input([1, 5, 4], 24)], (a, b, c, p) => tf.fused.conv2d({
    x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: 'same', bias: c, activation: 'prelu',
    preluActivationWeights: p,
  }), tolFor(27), 'bias [5,5,4], prelu [1,5,4]');
  await expectSameAsCpu([x, w, input([1, 1, 1, 4], 25), input([1, 1, 4], 26)], (a, b, c, p) => tf.fused.conv2d({
    x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: 'same', bias: c, activation: 'prelu',
    preluActivationWeights: p,
  }), tolFor(27), 'bias [1,1,1,4], prelu [1,1,4] (per-channel, native)');
  await expectSameAsCpu([x, w, input([5, 1, 1], 27)], (a, b, c) => tf.fused.conv2d({
    x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: 'same', bias: c, activation: 'relu6',
  }), tolFor(27), 'bias [5,1,1] broadcast over rows, then relu6');
});

test('NaN and Inf in the input propagate like cpu (relu keeps NaN)', async () => {
  const x = input([1, 4, 4, 3], 31);
  x.values[5] = NaN;
  x.values[20] = Infinity;
  const w = input([3, 3, 3, 4], 32);
  for (const activation of ['linear', 'relu', 'relu6'] as const) {
    await expectSameAsCpu([x, w], (a, b) => tf.fused.conv2d({
      x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: 'valid', activation,
    }), tolFor(27), `NaN/Inf ${activation}`);
  }
});

test('Inf/NaN in the filter: padding taps are not multiplied (same answers as cpu)', async () => {
  const x = input([2, 5, 6, 3], 35), w = input([3, 3, 3, 4], 36);
  w.values[0] = Infinity;
  w.values[50] = NaN;
  w.values[100] = -Infinity;
  for (const pad of ['same', 'valid', explicit(0, 2, 1, 0)] as Pad[]) {
    await expectSameAsCpu([x, w], (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad), tolFor(27),
        `non-finite filter, pad ${JSON.stringify(pad)}`);
    await expectSameAsCpu([x, w, input([4], 37)], (a, b, c) => tf.fused.conv2d({
      x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad, bias: c, activation: 'relu',
    }), tolFor(27), `fused, non-finite filter, pad ${JSON.stringify(pad)}`);
  }
});

test('NCHW is delegated to cpu and matches it', async () => {
  await expectSameAsCpu([input([2, 3, 6, 5], 41), input([3, 3, 3, 4], 42)],
      (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NCHW'), tolFor(27), 'NCHW');
});

test('zero-size tensors: batch 0, Cin 0 (act(bias) everywhere), empty output', async () => {
  await expectSameAsCpu([input([0, 5, 5, 3], 1), input([3, 3, 3, 2], 2)],
      (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), {}, 'batch 0');
  await expectSameAsCpu([input([1, 4, 4, 0], 1), input([3, 3, 0, 5], 2), input([5], 3)],
      (x, w, b) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' }),
      {}, 'Cin 0');
  await expectSameAsCpu([input([1, 2, 2, 3], 1), input([3, 3, 3, 4], 2)],
      (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'), {}, 'filter larger than input, valid');
});

test('clear errors before allocating: rank, channel mismatch, unknown activation', () => {
  const be = simdBackend();
  const x = tf.ones([1, 5, 5, 3]), x3 = tf.ones([5, 5, 3]), w = tf.ones([3, 3, 4, 2]), w3 = tf.ones([3, 3, 3, 2]);
  const heap = be.memory().heapBytesInUse, tensors = tf.memory().numTensors;
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
  assert.throws(() => tf.engine().runKernel('Conv2D', { x, filter: w }, attrs),
      /Conv2D: x \[1,5,5,3\] has 3 channels .* filter \[3,3,4,2\] expects 4/);
  assert.throws(() => tf.engine().runKernel('Conv2D', { x: x3, filter: w3 }, attrs),
      /Conv2D: x must be rank 4, got rank 3/);
  assert.throws(() => tf.engine().runKernel('FusedConv2D', { x, filter: w3 }, { ...attrs, activation: 'gelu' }),
      /FusedConv2D: activation 'gelu' is not supported/);
  assert.throws(() => tf.engine().runKernel('FusedConv2D', { x, filter: w3 }, { ...attrs, activation: 'prelu' }),
      /FusedConv2D: activation 'prelu' needs preluActivationWeights/);
  assert.is(be.memory().heapBytesInUse, heap, 'nothing allocated by the failed calls');
  assert.is(tf.memory().numTensors, tensors);
  tf.dispose([x, x3, w, w3]);
});

test('packed-filter cache: reused across inputs, freed with the filter; no leaks', () => {
  const be = simdBackend();
  const start = be.memory(), tensors = tf.memory().numTensors;
  const w = tf.tensor(randomArray(3 * 3 * 5 * 11, 5), [3, 3, 5, 11]) as tf.Tensor4D;
  const afterW = be.memory();
  let afterFirst = 0;
  for (let i = 0; i < 20; i++) {
    const x = tf.tensor(randomArray(2 * 6 * 7 * 5, 100 + i), [2, 6, 7, 5]) as tf.Tensor4D;
    tf.conv2d(x, w, 1, 'same').dispose();
    x.dispose();
    if (i === 0) afterFirst = be.memory().packedBytes;
  }
  assert.ok(afterFirst - afterW.packedBytes >= Math.ceil(11 / 8) * 45 * 8 * 4, 'first call packs the filter');
  assert.is(be.memory().packedBytes, afterFirst, 'one pack for 20 calls');
  // Calls that throw (after the pack exists) leave nothing behind either.
  const bad = tf.ones([1, 4, 4, 4]);
  for (let i = 0; i < 5; i++) {
    assert.throws(() => tf.engine().runKernel('Conv2D', { x: bad, filter: w },
        { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 }));
  }
  bad.dispose();
  w.dispose();
  assert.is(be.memory().packedBytes, start.packedBytes, 'pack freed with the filter');
  assert.is(be.memory().heapBytesInUse, start.heapBytesInUse, 'heap back to start');
  assert.is(tf.memory().numTensors, tensors);
});

test('fused fallback paths (odd bias/prelu shapes, elu, sigmoid, NCHW, Inf filter) leave nothing behind', () => {
  const be = simdBackend();
  const start = be.memory().heapBytesInUse, tensors = tf.memory().numTensors;
  const x = tf.tensor(randomArray(5 * 5 * 3, 1), [1, 5, 5, 3]) as tf.Tensor4D;
  const w = tf.tensor(randomArray(27 * 4, 2), [3, 3, 3, 4]) as tf.Tensor4D;
  const wInf = tf.tensor(randomArray(27 * 4, 3).map((v, i) => (i === 7 ? Infinity : v)), [3, 3, 3, 4]) as tf.Tensor4D;
  const bias = tf.tensor(randomArray(100, 4), [5, 5, 4]), prelu = tf.tensor(randomArray(20, 5), [1, 5, 4]);
  const bias4 = tf.tensor(randomArray(4, 6), [4]), xt = x.transpose([0, 3, 1, 2]) as tf.Tensor4D;
  for (let i = 0; i < 5; i++) {
    tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias, activation: 'prelu', preluActivationWeights: prelu }).dispose();
    tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias: bias4, activation: 'elu' }).dispose();
    tf.fused.conv2d({ x, filter: w, strides: 2, pad: 'valid', activation: 'sigmoid' }).dispose();
    tf.fused.conv2d({ x, filter: wInf, strides: 1, pad: 'same', activation: 'relu' }).dispose();
    tf.conv2d(xt, w, 1, 'same', 'NCHW').dispose();
  }
  tf.dispose([x, w, wInf, bias, prelu, bias4, xt]);
  assert.is(tf.memory().numTensors, tensors);
  assert.is(be.memory().heapBytesInUse, start, 'heap back to start (packs freed with their filters)');
});

test('cache hit gives the same answers as cpu for different inputs', async () => {
  const wv = randomArray(3 * 3 * 4 * 6, 9);
  for (let i = 0; i < 3; i++) {
    await expectSameAsCpu([input([1, 6, 6, 4], 200 + i), { shape: [3, 3, 4, 6], values: wv }],
        (x, w) => tf.tidy(() => {
          // The same filter tensor is used twice in one call (second call is a cache hit).
          const a = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same');
          const b = tf.conv2d(tf.reverse(x, 1) as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid');
          return [a, b];
        }), tolFor(36), `reuse ${i}`);
  }
});

test('3-layer conv net: conv2d → relu → maxPool → conv2d → matMul → softmax matches cpu within 1e-5', async () => {
  const x = input([2, 12, 12, 3], 301), w1 = input([3, 3, 3, 8], 302), b1 = input([8], 303);
  const w2 = input([3, 3, 8, 12], 304), fc = input([3 * 3 * 12, 10], 305);
  await expectSameAsCpu([x, w1, b1, w2, fc], (a, c1, cb1, c2, f) => tf.tidy(() => {
    let h = tf.fused.conv2d({ x: a as tf.Tensor4D, filter: c1 as tf.Tensor4D, strides: 1, pad: 'same', bias: cb1, activation: 'relu' });
    h = tf.maxPool(h, 2, 2, 'valid');
    h = tf.relu(tf.conv2d(h, c2 as tf.Tensor4D, 2, 'same'));
    const logits = tf.matMul(h.reshape([2, -1]), f as tf.Tensor2D);
    return tf.softmax(logits);
  }), { atol: 1e-5, rtol: 1e-5 }, 'conv net');
});

test.run();
