// The direct small-Cin convolution path (assembly/conv.ts conv2d_direct_f32, chosen by
// conv_impl.ts useDirect for kw·cin ≤ convTuning.directMaxRow) against tfjs-backend-cpu, and the
// same cases forced through the indirect GEMM: Cin 1/2/3/5/6, strides 1/2/3, dilations (the
// per-tap walk), every padding kind incl. asymmetric 'same', rows and columns wholly in the
// padding, outputs narrower than a 4-pixel tile, Cout below / across 8-column panels, fused
// bias + activations, batches, non-finite filters with padding, LeNet-5 and stem shapes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { expectSameAsCpu, randomArray } from './helpers';
import { convTuning, useDirect } from '../src/backend/conv_impl';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
const explicit = (t: number, b: number, l: number, r: number): Pad => [[0, 0], [t, b], [l, r], [0, 0]];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const input = (shape: number[], seed: number) => ({ shape, values: randomArray(size(shape), seed) });
const tolFor = (k: number) => ({ atol: 2e-6 * Math.max(4, Math.sqrt(k)), rtol: 1e-5 });
const DEFAULT_MAX_ROW = convTuning.directMaxRow;

interface Case { x: number[]; w: number[]; s?: number | [number, number]; pad: Pad; d?: number | [number, number]; }

const CASES: Case[] = [
  // LeNet-5 conv1 / conv2, batch > 1
  { x: [3, 28, 28, 1], w: [5, 5, 1, 6], pad: 2 },
  { x: [3, 14, 14, 6], w: [5, 5, 6, 16], pad: 'valid' },
  // a 7×7 stride-2 stem with explicit padding 3 (Cout across 8-column panels), odd size
  { x: [1, 23, 21, 3], w: [7, 7, 3, 20], s: 2, pad: explicit(3, 3, 3, 3) },
  // Cin 1/2/3/5, odd sizes, stride 1/2/3, 'same' (asymmetric at stride 2), 'valid', numeric
  { x: [2, 9, 11, 1], w: [3, 3, 1, 5], pad: 'same' },
  { x: [1, 10, 12, 2], w: [3, 3, 2, 9], s: 2, pad: 'same' },    // same, stride 2: pad 0 before, 1 after
  { x: [1, 11, 13, 3], w: [4, 4, 3, 7], s: 2, pad: 'same' },    // even filter: asymmetric padding
  { x: [2, 13, 7, 5], w: [3, 5, 5, 8], s: [1, 3], pad: 'valid' },
  { x: [1, 8, 9, 6], w: [5, 3, 6, 3], s: [2, 1], pad: 1 },
  { x: [1, 6, 7, 2], w: [3, 3, 2, 17], pad: explicit(0, 2, 3, 1) },
  // dilation: taps of a row walk dw·cin floats apart; rows and columns wholly in the padding
  { x: [1, 12, 13, 3], w: [3, 3, 3, 8], d: 2, pad: 'same' },
  { x: [2, 7, 7, 1], w: [3, 3, 1, 4], d: 6, pad: 'same' },
  { x: [1, 9, 10, 2], w: [3, 2, 2, 5], d: [3, 2], pad: 'valid' },
  { x: [1, 5, 5, 3], w: [3, 3, 3, 6], d: 3, pad: explicit(4, 0, 0, 5) },
  // outputs narrower than a 4-pixel tile, a filter larger than the input, a 1×1 output
  { x: [2, 3, 3, 2], w: [5, 5, 2, 3], pad: 'same' },
  { x: [1, 4, 4, 3], w: [4, 4, 3, 5], pad: 'valid' },
  { x: [1, 1, 1, 1], w: [1, 1, 1, 1], s: 2, pad: 'valid' },
  // strided 1×1 (not the pointwise GEMM) and a padding larger than the filter
  { x: [1, 9, 9, 3], w: [1, 1, 3, 5], s: 2, pad: 'same' },
  { x: [1, 5, 6, 4], w: [2, 2, 4, 4], pad: explicit(3, 3, 3, 3) },
];

function label(c: Case): string {
  return `x=[${c.x}] w=[${c.w}] s=${JSON.stringify(c.s ?? 1)} d=${JSON.stringify(c.d ?? 1)} pad=${JSON.stringify(c.pad)}`;
}

async function checkConv(c: Case, seed: number, path: string) {
  await expectSameAsCpu([input(c.x, seed), input(c.w, seed + 1)],
      (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s ?? 1, c.pad, 'NHWC', c.d ?? 1),
      tolFor(c.w[0] * c.w[1] * c.w[2]), `${path} ${label(c)}`);
}

test.before(async () => {
  assert.ok(await tf.setBackend('simd'), 'simd backend initializes');
});
test.after.each(() => {
  convTuning.directMaxRow = DEFAULT_MAX_ROW;
});

test('the direct path is the one taken for these shapes (kw·cin ≤ directMaxRow)', () => {
  for (const c of CASES) assert.ok(useDirect(c.w[2], c.w[1]), label(c));
  assert.ok(!useDirect(64, 3), '3×3 with 64 channels stays on the indirect GEMM');
  convTuning.directMaxRow = 0;
  assert.ok(!useDirect(1, 5));
});

test('direct path = cpu: Cin 1-6, strides, dilations, every padding kind, batches', async () => {
  let seed = 1;
  for (const c of CASES) await checkConv(c, seed += 2, 'direct');
});

test('the same cases through the indirect GEMM (directMaxRow 0) = cpu', async () => {
  convTuning.directMaxRow = 0;
  let seed = 1;
  for (const c of CASES) await checkConv(c, seed += 2, 'igemm');
});

test('direct path gives the same values as the indirect GEMM to float32 rounding', async () => {
  const x = tf.tensor(randomArray(2 * 28 * 28, 7), [2, 28, 28, 1]);
  const w = tf.tensor(randomArray(25 * 6, 8), [5, 5, 1, 6]);
  const direct = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 2);
  convTuning.directMaxRow = 0;
  const w2 = tf.clone(w); // a new filter tensor: its own packed panels
  const igemm = tf.conv2d(x as tf.Tensor4D, w2 as tf.Tensor4D, 1, 2);
  const a = direct.dataSync(), b = igemm.dataSync();
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5, `element ${i}: ${a[i]} vs ${b[i]}`);
  tf.dispose([x, w, w2, direct, igemm]);
});

const ACTS = ['linear', 'relu', 'relu6', 'leakyrelu', 'prelu', 'elu', 'sigmoid'] as const;

test('FusedConv2D on the direct path: bias [Cout] + every activation, no bias, batch 2', async () => {
  const x = input([2, 9, 10, 3], 51), w = input([5, 5, 3, 11], 52);
  const scaled = { shape: x.shape, values: x.values.map(v => v * 8) };
  const bias = input([11], 53), alpha = input([11], 54);
  for (const activation of ACTS) {
    await expectSameAsCpu([scaled, w, bias, alpha], (a, b, c, p) => tf.fused.conv2d({
      x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 2, pad: 'same', bias: c, activation,
      preluActivationWeights: activation === 'prelu' ? p : undefined, leakyreluAlpha: 0.3,
    }), tolFor(75 * 8), `fused ${activation}`);
  }
  await expectSameAsCpu([scaled, w], (a, b) => tf.fused.conv2d({
    x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: 2, activation: 'relu',
  }), tolFor(75 * 8), 'fused relu without bias');
});

test('non-finite filter values with padding: padding taps are skipped, as on cpu', async () => {
  const x = input([1, 6, 7, 2], 61), w = input([3, 3, 2, 4], 62);
  w.values[0] = Infinity;
  w.values[9] = NaN;
  for (const pad of ['same', 1, explicit(2, 0, 0, 2)] as Pad[]) {
    await expectSameAsCpu([x, w], (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad as 'same'),
        tolFor(18), `non-finite filter, pad ${JSON.stringify(pad)}`);
  }
});

test('no tensors or heap bytes left behind by repeated direct convolutions', async () => {
  const x = tf.tensor(randomArray(2 * 12 * 12 * 3, 71), [2, 12, 12, 3]);
  const w = tf.tensor(randomArray(5 * 5 * 3 * 6, 72), [5, 5, 3, 6]);
  const b = tf.tensor(randomArray(6, 73), [6]);
  const run = () => tf.tidy(() => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' })).dispose();
  run();
  const before = tf.memory() as tf.MemoryInfo & { heapBytesInUse?: number };
  for (let i = 0; i < 20; i++) run();
  const after = tf.memory() as tf.MemoryInfo & { heapBytesInUse?: number };
  assert.is(after.numTensors, before.numTensors);
  assert.type(after.heapBytesInUse, 'number');
  assert.is(after.heapBytesInUse, before.heapBytesInUse);
  tf.dispose([x, w, b]);
});

test.run();
