// Layout ("glue") kernels of the simd backend — Transpose, Concat, PadV2, Slice,
// StridedSlice, Fill, ZerosLike, OnesLike, Pack, Unpack, Tile, GatherV2 (JS strided copies
// on heap views, src/backend/elementwise_impl.ts) — against tfjs-backend-cpu, for float32,
// int32 and bool, odd shapes, zero-size tensors, errors and leak checks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { expectSameAsCpu, randomArray } from './helpers';
import { simdBackend, NATIVE_KERNELS, FALLBACK_KERNELS } from '../src/index';
import { broadcastPlan, collapsePermutation, copyStrided, reducePlan } from '../src/backend/elementwise_impl';

const EXACT = { atol: 0, rtol: 0 };
type Dt = 'float32' | 'int32' | 'bool';
const DTYPES: Dt[] = ['float32', 'int32', 'bool'];

function values(n: number, seed: number, dtype: Dt): number[] {
  const r = randomArray(n, seed);
  return Array.from(r, v => (dtype === 'float32' ? v : dtype === 'int32' ? Math.round(v * 1000) : v > 0 ? 1 : 0));
}
const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);
const input = (shape: number[], seed: number, dtype: Dt) => ({ shape, values: values(sizeOf(shape), seed, dtype), dtype });

/** All permutations of 0..n-1. */
function perms(n: number): number[][] {
  if (n === 0) return [[]];
  return perms(n - 1).flatMap(p => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

test.before(async () => {
  assert.ok(await tf.setBackend('simd'));
});

test('every glue kernel is registered natively, not delegated', () => {
  for (const k of ['Transpose', 'Concat', 'PadV2', 'Slice', 'StridedSlice', 'Fill', 'ZerosLike', 'OnesLike',
    'Pack', 'Unpack', 'Tile', 'GatherV2']) {
    assert.ok(NATIVE_KERNELS.includes(k), `${k} is native`);
    assert.not.ok(FALLBACK_KERNELS.includes(k), `${k} is not delegated`);
  }
});

test('shape planners: broadcast collapse, reduction layout, strided copy', () => {
  assert.equal(broadcastPlan([2, 5, 5, 7], [7], [2, 5, 5, 7]), { shape: [50, 7], aStrides: [7, 1], bStrides: [0, 1] });
  assert.equal(broadcastPlan([8], [], [8]), { shape: [8], aStrides: [1], bStrides: [0] });
  assert.equal(broadcastPlan([3, 1], [1, 3], [3, 3]), { shape: [3, 3], aStrides: [1, 0], bStrides: [0, 1] });
  assert.equal(broadcastPlan([1], [1], [1]), { shape: [1], aStrides: [1], bStrides: [1] });
  assert.equal(reducePlan([2, 7, 7, 64], [1, 2]), { outer: 2, R: 49, inner: 64, transpose: null });
  assert.equal(reducePlan([3, 5, 7], [2]), { outer: 15, R: 7, inner: 1, transpose: null });
  assert.equal(reducePlan([3, 1, 7], [0, 2]), { outer: 1, R: 21, inner: 1, transpose: null });
  assert.equal(reducePlan([3, 5, 7], [0, 2]), { outer: 5, R: 21, inner: 1, transpose: [1, 0, 2] });
  assert.equal(collapsePermutation([2, 56, 56, 64], [0, 3, 1, 2]), { shape: [2, 3136, 64], perm: [0, 2, 1] });
  assert.equal(collapsePermutation([3, 1, 5], [1, 0, 2]), { shape: [15], perm: [0] });
  assert.equal(collapsePermutation([1, 1], [1, 0]), { shape: [], perm: [] });
  assert.equal(collapsePermutation([2, 3, 4, 5], [2, 3, 0, 1]), { shape: [6, 20], perm: [1, 0] });
  const dst = new Float32Array(6);
  copyStrided(dst, 0, [3, 1], new Float32Array([1, 2, 3, 4, 5, 6]), 0, [1, 2], [2, 3]);
  assert.equal(Array.from(dst), [1, 3, 5, 2, 4, 6]);
});

test('transpose: every permutation of ranks 1..5, odd shapes, all dtypes', async () => {
  const shapes = [[7], [3, 5], [2, 3, 4], [3, 1, 5, 2], [2, 3, 1, 4, 5]];
  let seed = 1;
  for (const shape of shapes) {
    for (const perm of perms(shape.length)) {
      for (const dtype of DTYPES) {
        await expectSameAsCpu([input(shape, seed++, dtype)], x => tf.transpose(x, perm), EXACT, `transpose [${shape}] ${perm} ${dtype}`);
      }
    }
  }
  await expectSameAsCpu([input([64, 130], 5, 'float32')], x => tf.transpose(x), EXACT, 'transpose 64x130');
  for (const [shape, perm] of [[[37, 45], [1, 0]], [[3, 33, 17], [0, 2, 1]], [[2, 33, 9, 9], [0, 2, 3, 1]], [[4, 4], [1, 0]],
    [[1, 5, 1, 7], [3, 1, 0, 2]], [[5, 2, 7, 3], [2, 3, 0, 1]], [[1000, 3], [1, 0]], [[3, 1001], [1, 0]]] as [number[], number[]][]) {
    for (const dtype of DTYPES) {
      await expectSameAsCpu([input(shape, 8, dtype)], x => tf.transpose(x, perm), EXACT, `transpose [${shape}] ${perm} ${dtype}`);
    }
  }
  await expectSameAsCpu([input([2, 9, 9, 33], 6, 'float32')], x => tf.transpose(x, [0, 3, 1, 2]), EXACT, 'NHWC->NCHW');
  await expectSameAsCpu([{ shape: [0, 3], values: [] }], x => tf.transpose(x), EXACT, 'transpose empty');
});

test('concat: every axis, 1-4 inputs of different sizes, empty inputs, 1-D, all dtypes', async () => {
  let seed = 10;
  for (const dtype of DTYPES) {
    await expectSameAsCpu([input([3], seed++, dtype), input([5], seed++, dtype), input([1], seed++, dtype)],
        (...xs) => tf.concat(xs), EXACT, `concat1d ${dtype}`);
    for (const axis of [0, 1, 2, -1]) {
      const base = [2, 3, 4];
      const ax = axis < 0 ? axis + 3 : axis;
      const shapes = [1, 3, 0, 2].map(k => base.map((d, i) => (i === ax ? k : d)));
      await expectSameAsCpu(shapes.map(s => input(s, seed++, dtype)), (...xs) => tf.concat(xs, axis), EXACT,
          `concat axis ${axis} ${dtype}`);
      await expectSameAsCpu(shapes.slice(0, 2).map(s => input(s, seed++, dtype)), (...xs) => tf.concat(xs, axis), EXACT,
          `concat2 axis ${axis} ${dtype}`);
    }
  }
  await expectSameAsCpu([input([0, 3], 1, 'float32'), input([2, 3], 2, 'float32')], (...xs) => tf.concat(xs, 0), EXACT, 'one non-empty');
  await expectSameAsCpu([input([0, 3], 1, 'float32'), input([0, 3], 2, 'float32')], (...xs) => tf.concat(xs, 0), EXACT, 'all empty');
  await expectSameAsCpu([input([1, 1000], 3, 'float32'), input([1, 3], 4, 'float32')], (...xs) => tf.concat(xs, 1), EXACT, 'long rows');
  await expectSameAsCpu([input([100, 1], 3, 'float32'), input([100, 2], 4, 'float32')], (...xs) => tf.concat(xs, 1), EXACT, 'many short rows');
});

test('pad: ranks 1-4, asymmetric paddings, constants, all dtypes, empty', async () => {
  let seed = 20;
  const cases: [number[], [number, number][]][] = [
    [[5], [[2, 3]]], [[3, 4], [[0, 1], [2, 0]]], [[2, 3, 4], [[1, 1], [0, 0], [3, 2]]],
    [[2, 5, 5, 3], [[0, 0], [1, 2], [2, 1], [0, 0]]], [[1, 1], [[0, 0], [0, 0]]], [[0, 2], [[1, 1], [0, 1]]],
    [[1000], [[7, 1]]],
  ];
  for (const [shape, paddings] of cases) {
    for (const dtype of DTYPES) {
      for (const c of dtype === 'bool' ? [0, 1] : [0, 1.5, -7]) {
        await expectSameAsCpu([input(shape, seed++, dtype)], x => tf.pad(x, paddings, c), EXACT,
            `pad [${shape}] ${JSON.stringify(paddings)} ${c} ${dtype}`);
      }
    }
  }
});

test('slice: random boxes on ranks 1-5, size -1, all dtypes', async () => {
  let seed = 30;
  for (const shape of [[13], [5, 7], [3, 4, 5], [2, 3, 4, 5], [2, 2, 3, 3, 5]]) {
    for (let k = 0; k < 12; k++) {
      const r = randomArray(2 * shape.length, seed++);
      const begin = shape.map((d, i) => Math.floor(((r[i] + 1) / 2) * d));
      const size = shape.map((d, i) => (k === 0 ? -1 : Math.floor(((r[shape.length + i] + 1) / 2) * (d - begin[i] + 1))));
      const dtype = DTYPES[k % 3];
      await expectSameAsCpu([input(shape, seed++, dtype)], x => tf.slice(x, begin, size), EXACT,
          `slice [${shape}] begin ${begin} size ${size} ${dtype}`);
    }
  }
  await expectSameAsCpu([input([4, 1000], 1, 'float32')], x => tf.slice(x, [1, 0], [2, 1000]), EXACT, 'contiguous slice');
});

test('stridedSlice: negative strides, masks, shrink/new axes, identity', async () => {
  const x = input([4, 5, 6], 40, 'float32');
  const cases: [number[], number[], number[], number, number, number, number, number][] = [
    // begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask
    [[0, 0, 0], [4, 5, 6], [1, 1, 1], 0, 0, 0, 0, 0],
    [[3, 4, 5], [0, 0, 0], [-1, -1, -1], 0, 0, 0, 0, 0],
    [[0, 1, 0], [4, 5, 6], [2, 2, 3], 0, 0, 0, 0, 0],
    [[1, 0, 0], [3, 5, 6], [1, 1, -2], 0, 0b100, 0, 0, 0],
    [[1, 2, 3], [2, 4, 6], [1, 1, 1], 0, 0, 0, 0, 0b001],
    [[0, 0], [2, 3], [1, 1], 0, 0, 0b1, 0, 0],
    [[0, 0, 0], [1, 5, 6], [1, 1, 1], 0, 0, 0, 0b010, 0],
    [[-1, -2, 0], [-4, -5, 6], [-1, -1, 1], 0, 0, 0, 0, 0],
    [[0, 0, 0], [0, 5, 6], [1, 1, 1], 0, 0, 0, 0, 0],   // empty
  ];
  for (const [b, e, s, bm, em, elm, nm, sm] of cases) {
    for (const dtype of DTYPES) {
      await expectSameAsCpu([{ ...x, values: values(120, 41, dtype), dtype }],
          t => tf.stridedSlice(t, b, e, s, bm, em, elm, nm, sm), EXACT, `stridedSlice ${b}|${e}|${s}|${bm},${em},${elm},${nm},${sm} ${dtype}`);
    }
  }
});

test('fill, zerosLike, onesLike: dtypes, odd sizes, empty', async () => {
  for (const shape of [[0], [1], [7], [3, 5], [2, 0, 4], [1000003]]) {
    await expectSameAsCpu([], () => [tf.fill(shape, 2.5), tf.fill(shape, 3, 'int32'), tf.fill(shape, 1, 'bool'),
      tf.zeros(shape), tf.ones(shape, 'int32')], EXACT, `fill [${shape}]`);
    for (const dtype of DTYPES) {
      await expectSameAsCpu([input(shape, 5, dtype)], x => [tf.zerosLike(x), tf.onesLike(x)], EXACT, `zeros/onesLike [${shape}] ${dtype}`);
    }
  }
});

test('stack/unstack: every axis, 1-4 inputs, all dtypes', async () => {
  let seed = 50;
  for (const dtype of DTYPES) {
    for (const n of [1, 2, 4]) {
      for (const axis of [0, 1, 2, -1]) {
        await expectSameAsCpu(Array.from({ length: n }, () => input([3, 5], seed++, dtype)), (...xs) => tf.stack(xs, axis), EXACT,
            `stack n=${n} axis ${axis} ${dtype}`);
      }
    }
    for (const axis of [0, 1, 2, -1]) {
      await expectSameAsCpu([input([3, 4, 5], seed++, dtype)], x => tf.unstack(x, axis), EXACT, `unstack axis ${axis} ${dtype}`);
    }
  }
  await expectSameAsCpu([input([0, 4], 1, 'float32')], x => tf.unstack(x, 1), EXACT, 'unstack empty');
  await expectSameAsCpu([input([2, 0], 1, 'float32'), input([2, 0], 2, 'float32')], (...xs) => tf.stack(xs, 1), EXACT, 'stack empty');
});

test('tile: ranks 1-4, reps incl. 1, all dtypes', async () => {
  let seed = 60;
  const cases: [number[], number[]][] = [[[3], [4]], [[2, 3], [1, 2]], [[2, 3], [3, 1]], [[2, 1, 3], [2, 5, 2]],
    [[1, 2, 3, 2], [2, 1, 2, 3]], [[5], [1]], [[0, 2], [3, 2]], [[7], [1000]]];
  for (const [shape, reps] of cases) {
    for (const dtype of DTYPES) {
      await expectSameAsCpu([input(shape, seed++, dtype)], x => tf.tile(x, reps), EXACT, `tile [${shape}] ${reps} ${dtype}`);
    }
  }
});

test('gather: every axis, batchDims, repeated indices, all dtypes', async () => {
  let seed = 70;
  for (const dtype of DTYPES) {
    const xs = input([4, 5, 6], seed++, dtype);
    for (const axis of [0, 1, 2, -1]) {
      const dim = xs.shape[axis < 0 ? axis + 3 : axis];
      const idx = [0, dim - 1, 1, 1, dim - 1, 0, 2];
      await expectSameAsCpu([xs, { shape: [7], values: idx, dtype: 'int32' }], (x, i) => tf.gather(x, i, axis), EXACT,
          `gather axis ${axis} ${dtype}`);
      await expectSameAsCpu([xs, { shape: [2, 3], values: idx.slice(0, 6), dtype: 'int32' }], (x, i) => tf.gather(x, i, axis), EXACT,
          `gather 2-D indices axis ${axis} ${dtype}`);
    }
    await expectSameAsCpu([xs, { shape: [4, 2], values: [0, 4, 1, 1, 3, 2, 4, 0], dtype: 'int32' }], (x, i) => tf.gather(x, i, 1, 1), EXACT,
        `gather batchDims 1 ${dtype}`);
    await expectSameAsCpu([xs, { shape: [0], values: [], dtype: 'int32' }], (x, i) => tf.gather(x, i, 1), EXACT, `gather empty ${dtype}`);
  }
  await expectSameAsCpu([input([1000, 64], 1, 'float32'), { shape: [5], values: [999, 0, 500, 3, 999], dtype: 'int32' }],
      (x, i) => tf.gather(x, i), EXACT, 'gather long rows');
});

test('errors are clear and leave no tensors or heap blocks behind', () => {
  const be = simdBackend();
  const x = tf.ones([2, 3]);
  const t0 = tf.memory().numTensors, h0 = be.memory().heapBytesInUse;
  const fails = (f: () => unknown, re?: RegExp) => assert.throws(() => tf.tidy(() => { f(); }), re);
  fails(() => tf.engine().runKernel('Transpose', { x }, { perm: [0, 0] }), /Transpose: perm must be a permutation/);
  fails(() => tf.engine().runKernel('PadV2', { x }, { paddings: [[0, -1], [0, 0]], constantValue: 0 }), /PadV2: paddings/);
  fails(() => tf.engine().runKernel('Tile', { x }, { reps: [2] }), /Tile: reps/);
  fails(() => tf.gather(x, tf.tensor1d([0, 2], 'int32')), /GatherV2: the index value 2 is not in \[0, 1\]/);
  fails(() => tf.slice(x, [0, 2], [1, 2]));
  fails(() => tf.concat([x, tf.ones([3, 3])], 1));
  fails(() => tf.stack([x, tf.ones([3, 2])]), /matching shapes/);
  fails(() => tf.engine().runKernel('Unpack', { value: x }, { axis: 2 }), /Unpack: axis/);
  fails(() => tf.engine().runKernel('Concat', [] as unknown as tf.NamedTensorMap, { axis: 0 }), /Concat: expected at least one/);
  assert.is(tf.memory().numTensors, t0);
  assert.is(be.memory().heapBytesInUse, h0);
  x.dispose();
});

test('string tensors are delegated to cpu', () => tf.tidy(() => {
  const s = tf.tensor([['a', 'b', 'c'], ['d', 'e', 'f']]);
  const t = tf.engine().runKernel('Transpose', { x: s }, { perm: [1, 0] }) as tf.Tensor;
  assert.equal(t.arraySync(), [['a', 'd'], ['b', 'e'], ['c', 'f']]);
  assert.equal(tf.concat([s, s], 0).shape, [4, 3]);
  assert.equal(tf.slice(s, [1, 1], [1, 2]).arraySync(), [['e', 'f']]);
  assert.equal(tf.fill([2], 'z' as unknown as number, 'string' as 'float32').arraySync(), ['z', 'z']);
  assert.equal(tf.tile(tf.tensor(['q']), [3]).arraySync(), ['q', 'q', 'q']);
}));

test('500 mixed glue calls (including failing ones) leave numTensors and heap bytes unchanged', () => {
  const be = simdBackend();
  const x = tf.tensor(randomArray(2 * 3 * 4, 3), [2, 3, 4]);
  const ix = tf.tensor1d([1, 0, 2, 1], 'int32');
  const t0 = tf.memory().numTensors, h0 = be.memory().heapBytesInUse;
  for (let i = 0; i < 500; i++) {
    tf.tidy(() => {
      tf.transpose(x, [2, 0, 1]); tf.concat([x, x], i % 3); tf.pad(x, [[1, 0], [0, 2], [1, 1]], 0.5);
      tf.slice(x, [0, 1, 1], [2, 2, 2]); tf.stridedSlice(x, [1, 2, 3], [0, 0, 0], [-1, -1, -2]);
      tf.fill([3, 3], 7); tf.zerosLike(x); tf.onesLike(x); tf.stack([x, x], 1); tf.unstack(x, 2);
      tf.tile(x, [1, 2, 1]); tf.gather(x, ix, 1);
      if (i % 5 === 0) assert.throws(() => tf.gather(x, tf.tensor1d([5], 'int32'), 1));
      if (i % 7 === 0) assert.throws(() => tf.engine().runKernel('Transpose', { x }, { perm: [0, 1] }));
      if (i % 11 === 0) assert.throws(() => tf.stack([x, tf.ones([2])]));
    });
  }
  assert.is(tf.memory().numTensors, t0, 'no tensor leaked');
  assert.is(be.memory().heapBytesInUse, h0, 'heap bytes in use back to start');
  tf.dispose([x, ix]);
});

test.run();
