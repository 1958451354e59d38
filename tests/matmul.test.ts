// BatchMatMul / _FusedMatMul on simd against tfjs-backend-cpu: M/N/K that are and are not
// multiples of the 4×8 tile, every transpose combination, batches with broadcasting, bias +
// every fused activation, int32 delegation, zero-size tensors, error messages, the packed-B
// cache and leaks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { expectSameAsCpu, randomArray, runOn } from './helpers';
import { simdBackend } from '../src/index';

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const input = (shape: number[], seed: number) => ({ shape, values: randomArray(size(shape), seed) });
/** Sums of k products of values in [-1, 1): rounding-order differences grow like sqrt(k). */
const tolFor = (k: number) => ({ atol: 2e-6 * Math.max(4, Math.sqrt(k)), rtol: 1e-5 });

test.before(async () => {
  assert.ok(await tf.setBackend('simd'), 'simd backend initializes');
});

const SIZES: [number, number, number][] = [
  [1, 1, 1], [1, 5, 3], [3, 7, 13], [2, 13, 17], [5, 1, 9], [7, 33, 9], [4, 8, 8], [8, 16, 24],
  [13, 64, 70], [17, 3, 5], [6, 100, 1], [1, 1000, 9], [33, 47, 31],
];

test('matMul: M, N, K not multiples of the tile, all four transpose combinations', async () => {
  let seed = 1;
  for (const [m, k, n] of SIZES) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as [boolean, boolean][]) {
      const a = input(ta ? [k, m] : [m, k], seed++), b = input(tb ? [n, k] : [k, n], seed++);
      await expectSameAsCpu([a, b], (x, y) => tf.matMul(x, y, ta, tb), tolFor(k), `m=${m} k=${k} n=${n} tA=${ta} tB=${tb}`);
    }
  }
});

test('a larger product (several N chunks and row tiles): [70,300]×[300,150]', async () => {
  await expectSameAsCpu([input([70, 300], 5), input([300, 150], 6)], (a, b) => tf.matMul(a, b), tolFor(300), 'big');
  await expectSameAsCpu([input([3, 900], 7), input([40, 900], 8)], (a, b) => tf.matMul(a, b, false, true), tolFor(900), 'big tB');
});

test('batched: equal batches, broadcast of a batch of 1, rank 3 × rank 2, rank 4, M = 1', async () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[3, 5, 7], [3, 7, 6], false, false],
    [[3, 7, 5], [3, 6, 7], true, true],
    [[1, 5, 7], [4, 7, 9], false, false],
    [[4, 5, 7], [1, 9, 7], false, true],
    [[3, 5, 7], [7, 9], false, false],
    [[9, 7], [3, 7, 5], false, false],
    [[2, 3, 4, 5], [2, 3, 5, 6], false, false],
    [[2, 3, 4, 5], [3, 5, 6], false, false],
    [[3, 1, 7], [3, 7, 6], false, false],     // M = 1: matrix-vector kernels
    [[1, 7], [3, 5, 7], false, true],
    [[4, 7, 1], [7, 13], true, false],
  ];
  let seed = 100;
  for (const [as, bs, ta, tb] of cases) {
    await expectSameAsCpu([input(as, seed++), input(bs, seed++)], (a, b) => tf.matMul(a, b, ta, tb), tolFor(7),
        `[${as}]x[${bs}] tA=${ta} tB=${tb}`);
  }
});

test('batch dimensions broadcast both ways ([2,1,M,K] × [3,K,N] → [2,3,M,N]) like numpy', async () => {
  const a = input([2, 1, 4, 5], 11), b = input([3, 5, 6], 12);
  const got = await runOn('simd', [a, b], (x, y) => tf.matMul(x, y));
  // Reference: materialize the broadcast, then an unbatched product per pair on cpu.
  const want = await runOn('cpu', [a, b], (x, y) => tf.tidy(() => {
    const xs = tf.tile(x, [1, 3, 1, 1]).reshape([6, 4, 5]);
    const ys = tf.tile(y.reshape([1, 3, 5, 6]), [2, 1, 1, 1]).reshape([6, 5, 6]);
    return tf.matMul(xs, ys).reshape([2, 3, 4, 6]);
  }));
  assert.equal(got[0].shape, [2, 3, 4, 6]);
  for (let i = 0; i < want[0].values.length; i++) {
    assert.ok(Math.abs(got[0].values[i] - want[0].values[i]) < 1e-5, `element ${i}`);
  }
});

test('dot, outer products and vectors', async () => {
  await expectSameAsCpu([input([7], 1), input([7, 5], 2)], (a, b) => tf.dot(a, b), tolFor(7), 'vec·mat');
  await expectSameAsCpu([input([5, 7], 3), input([7], 4)], (a, b) => tf.dot(a, b), tolFor(7), 'mat·vec');
  await expectSameAsCpu([input([9], 5), input([9], 6)], (a, b) => tf.dot(a, b), tolFor(9), 'vec·vec');
  await expectSameAsCpu([input([6, 1], 7), input([1, 9], 8)], (a, b) => tf.matMul(a, b), {}, 'outer (K = 1)');
});

const ACTS = ['linear', 'relu', 'relu6', 'leakyrelu', 'prelu', 'elu', 'sigmoid'] as const;

test('_FusedMatMul: bias [N] + every activation, transposes, batches', async () => {
  let seed = 200;
  for (const activation of ACTS) {
    for (const [as, bs, ta, tb] of [[[5, 13], [13, 11], false, false], [[2, 13, 5], [2, 11, 13], true, true]] as [number[], number[], boolean, boolean][]) {
      const a = input(as, seed++), b = input(bs, seed++);
      a.values.forEach((v, i) => { a.values[i] = v * 4; }); // reach relu6's upper clamp
      await expectSameAsCpu([a, b, input([11], seed++), input([11], seed++)], (x, y, c, p) => tf.fused.matMul({
        a: x, b: y, transposeA: ta, transposeB: tb, bias: c, activation,
        preluActivationWeights: activation === 'prelu' ? p : undefined, leakyreluAlpha: 0.15,
      }), tolFor(13 * 4), `${activation} [${as}]x[${bs}]`);
    }
  }
});

test('_FusedMatMul: scalar bias, bias [M,N] (broadcast add fallback), prelu of other shapes', async () => {
  const a = input([6, 9], 301), b = input([9, 10], 302);
  await expectSameAsCpu([a, b, input([1], 303)], (x, y, c) => tf.fused.matMul({ a: x, b: y, bias: c, activation: 'relu' }),
      tolFor(9), 'scalar bias');
  await expectSameAsCpu([a, b, input([6, 10], 304)], (x, y, c) => tf.fused.matMul({ a: x, b: y, bias: c, activation: 'relu6' }),
      tolFor(9), 'bias [M,N]');
  await expectSameAsCpu([a, b, input([10], 305), input([6, 10], 306)], (x, y, c, p) => tf.fused.matMul({
    a: x, b: y, bias: c, activation: 'prelu', preluActivationWeights: p,
  }), tolFor(9), 'prelu [M,N]');
  await expectSameAsCpu([a, b, input([1], 307)], (x, y, p) => tf.fused.matMul({
    a: x, b: y, activation: 'prelu', preluActivationWeights: p,
  }), tolFor(9), 'prelu scalar, no bias');
});

test('int32 operands are delegated to cpu (exact)', async () => {
  const ints = (n: number, seed: number) => Array.from(randomArray(n, seed), v => Math.round(v * 10));
  await expectSameAsCpu([{ shape: [3, 4], values: ints(12, 1), dtype: 'int32' }, { shape: [4, 5], values: ints(20, 2), dtype: 'int32' }],
      (a, b) => tf.matMul(a, b), { atol: 0, rtol: 0 }, 'int32');
});

test('zero-size: K = 0 gives act(bias), M = 0 and batch 0 give empty results', async () => {
  await expectSameAsCpu([input([3, 0], 1), input([0, 4], 2)], (a, b) => tf.matMul(a, b), {}, 'K = 0');
  await expectSameAsCpu([input([3, 0], 1), input([0, 4], 2), input([4], 3)],
      (a, b, c) => tf.fused.matMul({ a, b, bias: c, activation: 'relu' }), {}, 'K = 0 fused');
  await expectSameAsCpu([input([0, 5], 1), input([5, 4], 2)], (a, b) => tf.matMul(a, b), {}, 'M = 0');
  await expectSameAsCpu([input([0, 2, 5], 1), input([0, 5, 4], 2)], (a, b) => tf.matMul(a, b), {}, 'batch 0');
});

test('clear errors before allocating: inner dimensions, ranks, activation', () => {
  const be = simdBackend();
  const a = tf.ones([3, 4]), b = tf.ones([5, 6]), v = tf.ones([4]), a3 = tf.ones([2, 3, 4]), b3 = tf.ones([3, 4, 5]);
  const heap = be.memory().heapBytesInUse, tensors = tf.memory().numTensors;
  assert.throws(() => tf.engine().runKernel('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }),
      /BatchMatMul: inner shapes \(4\) and \(5\) of tensors with shapes \[3,4\] and \[5,6\]/);
  assert.throws(() => tf.engine().runKernel('BatchMatMul', { a: v, b }, { transposeA: false, transposeB: false }),
      /BatchMatMul: a must have rank ≥ 2 .*got rank 1/);
  assert.throws(() => tf.engine().runKernel('BatchMatMul', { a: a3, b: b3 },
      { transposeA: false, transposeB: false }), /BatchMatMul: batch dimensions \[2\] of a and \[3\] of b do not broadcast/);
  assert.throws(() => tf.engine().runKernel('_FusedMatMul', { a, b: a }, { transposeA: false, transposeB: true, activation: 'swish' }),
      /_FusedMatMul: activation 'swish' is not supported/);
  assert.is(be.memory().heapBytesInUse, heap, 'nothing allocated by the failed calls');
  assert.is(tf.memory().numTensors, tensors);
  tf.dispose([a, b, v, a3, b3]);
});

test('packed-B cache: a weight is packed once per transpose flag and freed with it; no leaks', () => {
  const be = simdBackend();
  const start = be.memory(), tensors = tf.memory().numTensors;
  const w = tf.tensor(randomArray(20 * 12, 3), [20, 12]);
  const bias = tf.ones([12]);
  for (let i = 0; i < 10; i++) {
    const x = tf.tensor(randomArray(5 * 20, 10 + i), [5, 20]);
    tf.matMul(x, w).dispose();
    tf.matMul(w, x, true, true).dispose(); // wᵀ·xᵀ: w is a, x (a fresh tensor) is b
    tf.fused.matMul({ a: x, b: w, bias, activation: 'relu' }).dispose();
    x.dispose();
  }
  bias.dispose();
  const packed = be.memory().packedBytes - start.packedBytes;
  assert.is(packed, Math.ceil(12 / 8) * 20 * 8 * 4, 'w packed once (the x packs were freed with each x)');
  w.dispose();
  assert.is(be.memory().packedBytes, start.packedBytes);
  assert.is(be.memory().heapBytesInUse, start.heapBytesInUse, 'heap back to start');
  assert.is(tf.memory().numTensors, tensors);
});

test('a cached pack answers correctly for a reshaped view and for a transposed use of the same tensor', async () => {
  await expectSameAsCpu([input([4, 6], 1), input([6, 6], 2)], (a, b) => tf.tidy(() => [
    tf.matMul(a, b),
    tf.matMul(a, b, false, true),
    tf.matMul(a.reshape([2, 12]), b.reshape([12, 3])),
    tf.matMul(a, b),
  ]), tolFor(12), 'views');
});

test.run();
