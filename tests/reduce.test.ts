// Reductions and Softmax of the simd backend (assembly/reduce.ts, assembly/elementwise.ts
// `softmax`, via src/backend/elementwise_impl.ts) against tfjs-backend-cpu: every axis, axis
// sets (adjacent → inner/mid kernels, non-adjacent → transpose path), all axes, keepDims both
// ways, odd shapes, int32/bool, NaN, ties, empty reductions, large sizes, gradients, leaks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { expectSameAsCpu, randomArray } from './helpers';
import { simdBackend, NATIVE_KERNELS, FALLBACK_KERNELS } from '../src/index';

const EXACT = { atol: 0, rtol: 0 };
// Sums accumulate in float64 like cpu; only the summation order differs.
const SUM_TOL = { atol: 1e-6, rtol: 1e-6 };

type Red = { name: string; kernel: string; fn: (x: tf.Tensor, axis: number | number[] | null, keepDims: boolean) => tf.Tensor; tol: { atol: number; rtol: number } };
const REDUCTIONS: Red[] = [
  { name: 'sum', kernel: 'Sum', fn: (x, a, k) => tf.sum(x, a ?? undefined, k), tol: SUM_TOL },
  { name: 'mean', kernel: 'Mean', fn: (x, a, k) => tf.mean(x, a ?? undefined, k), tol: SUM_TOL },
  { name: 'prod', kernel: 'Prod', fn: (x, a, k) => tf.prod(x, a ?? undefined, k), tol: SUM_TOL },
  { name: 'max', kernel: 'Max', fn: (x, a, k) => tf.max(x, a ?? undefined, k), tol: EXACT },
  { name: 'min', kernel: 'Min', fn: (x, a, k) => tf.min(x, a ?? undefined, k), tol: EXACT },
];

/** All non-empty subsets of 0..rank-1, plus null (= all axes). */
function axisSets(rank: number): (number[] | null)[] {
  const out: (number[] | null)[] = [null];
  for (let m = 1; m < 1 << rank; m++) out.push([...Array(rank).keys()].filter(i => m & (1 << i)));
  return out;
}

/** Values near 1 so that products stay finite; plain random otherwise. */
function data(n: number, seed: number, forProd: boolean): Float32Array {
  const r = randomArray(n, seed);
  if (forProd) for (let i = 0; i < n; i++) r[i] = 1 + 0.05 * r[i];
  return r;
}

test.before(async () => {
  assert.ok(await tf.setBackend('simd'));
});

test('every reduction kernel is registered natively, not delegated', () => {
  for (const k of [...REDUCTIONS.map(r => r.kernel), 'ArgMax', 'ArgMin', 'Softmax']) {
    assert.ok(NATIVE_KERNELS.includes(k), `${k} is native`);
    assert.not.ok(FALLBACK_KERNELS.includes(k), `${k} is not delegated`);
  }
});

for (const r of REDUCTIONS) {
  test(`${r.name}: every axis set of odd rank-3/4 shapes, keepDims both ways`, async () => {
    for (const shape of [[3, 5, 7], [2, 3, 4, 5], [5, 1, 9], [1, 7, 1, 6]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = data(n, n, r.name === 'prod');
      for (const axes of axisSets(shape.length)) {
        for (const keepDims of [false, true]) {
          await expectSameAsCpu([{ shape, values: x }], t => r.fn(t, axes, keepDims), r.tol,
              `${r.name} [${shape}] axes ${JSON.stringify(axes)} keepDims ${keepDims}`);
        }
      }
    }
  });
  test(`${r.name}: negative axes, scalars, tails of every length, long rows and columns`, async () => {
    const cases: [number[], number | number[] | null][] = [
      [[4, 6], -1], [[4, 6], [-2]], [[], null], [[1], 0], [[5], 0], [[7], null], [[13], 0],
      [[3, 1000003], 1], [[1000003], null], [[1000, 3], 0], [[3, 1000], 0], [[2, 7, 7, 13], [1, 2]],
      [[2, 7, 7, 64], [1, 2]], [[4, 9, 33], [0, 2]], [[6, 5], [1, 0]],
    ];
    for (const [shape, axis] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      for (const keepDims of [false, true]) {
        await expectSameAsCpu([{ shape, values: data(n, 3 + n, r.name === 'prod') }], t => r.fn(t, axis, keepDims), r.tol,
            `${r.name} [${shape}] axis ${JSON.stringify(axis)} keepDims ${keepDims}`);
      }
    }
  });
  test(`${r.name}: NaN, ±Infinity, empty reductions, int32`, async () => {
    const sp = [1, NaN, 3, -Infinity, 2, Infinity, -0, 0, 5, 6, 7, 8, NaN, 1, 2];
    for (const axis of [0, 1, null]) {
      await expectSameAsCpu([{ shape: [3, 5], values: sp }], t => r.fn(t, axis, false), EXACT, `${r.name} specials ${axis}`);
      await expectSameAsCpu([{ shape: [5, 3], values: sp }], t => r.fn(t, axis, false), EXACT, `${r.name} specials^T ${axis}`);
    }
    for (const [shape, axis] of [[[3, 0], 1], [[0, 4], 0], [[2, 0, 3], [1]], [[0], null], [[0, 3], 1]] as [number[], number | number[] | null][]) {
      await expectSameAsCpu([{ shape, values: [] }], t => r.fn(t, axis, false), EXACT, `${r.name} empty [${shape}] ${axis}`);
    }
    if (r.name !== 'mean') {
      const ints = Array.from({ length: 60 }, (_, i) => ((i * 7919) % 23) - 11);
      for (const axes of axisSets(3)) {
        await expectSameAsCpu([{ shape: [3, 4, 5], values: ints, dtype: 'int32' }], t => r.fn(t, axes, false), EXACT,
            `${r.name} int32 ${JSON.stringify(axes)}`);
      }
    }
  });
}

test('sum/prod of bool and mean of int32 follow cpu (bool → int32, mean → float32)', async () => {
  const b = Array.from({ length: 24 }, (_, i) => (i * 5) % 3 === 0 ? 1 : 0);
  for (const axes of axisSets(3)) {
    await expectSameAsCpu([{ shape: [2, 3, 4], values: b, dtype: 'bool' }], t => tf.sum(t, axes ?? undefined), EXACT, 'bool sum');
    await expectSameAsCpu([{ shape: [2, 3, 4], values: b, dtype: 'bool' }], t => tf.engine().runKernel('Prod', { x: t }, { axis: axes, keepDims: false }) as tf.Tensor, EXACT, 'bool prod');
    await expectSameAsCpu([{ shape: [2, 3, 4], values: b.map((v, i) => v * i), dtype: 'int32' }], t => tf.mean(t, axes ?? undefined), SUM_TOL, 'int32 mean');
  }
});

for (const [name, fn] of [['argMax', tf.argMax], ['argMin', tf.argMin]] as const) {
  test(`${name}: every axis, ties take the first index, NaN handling, int32`, async () => {
    for (const shape of [[3, 5, 7], [2, 3, 4, 5], [1, 9], [9], [4, 1000], [1000, 4], [2, 1001, 3]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      // Few distinct values: many ties.
      const ties = Array.from({ length: n }, (_, i) => ((i * 2654435761) >>> 0) % 5);
      const rnd = randomArray(n, n);
      for (let axis = -1; axis < shape.length; axis++) {
        await expectSameAsCpu([{ shape, values: ties }], t => fn(t, axis), EXACT, `${name} ties [${shape}] axis ${axis}`);
        await expectSameAsCpu([{ shape, values: rnd }], t => fn(t, axis), EXACT, `${name} [${shape}] axis ${axis}`);
        await expectSameAsCpu([{ shape, values: ties, dtype: 'int32' }], t => fn(t, axis), EXACT, `${name} int32 [${shape}] axis ${axis}`);
      }
    }
    // NaN first (cpu stays at 0), NaN later (skipped), all equal, ±Infinity; rows of every tail length.
    for (const len of [1, 2, 3, 4, 5, 8, 9, 13]) {
      const rows = [
        [NaN, ...Array.from({ length: len - 1 }, (_, i) => i)],
        [...Array.from({ length: len - 1 }, (_, i) => -i), NaN],
        new Array(len).fill(2),
        Array.from({ length: len }, (_, i) => (i === len - 1 ? Infinity : i % 2 ? -Infinity : 0)),
        Array.from({ length: len }, (_, i) => (i % 3 === 1 ? NaN : -i)),
      ];
      const flat = rows.flat();
      await expectSameAsCpu([{ shape: [rows.length, len], values: flat }], t => fn(t, 1), EXACT, `${name} special rows len ${len}`);
      await expectSameAsCpu([{ shape: [rows.length, len], values: flat }], t => fn(t, 0), EXACT, `${name} special cols len ${len}`);
      await expectSameAsCpu([{ shape: [len, rows.length], values: flat }], t => fn(t, 0), EXACT, `${name} special mid len ${len}`);
    }
    await expectSameAsCpu([{ shape: [3, 0], values: [] }], t => fn(t, 1), EXACT, `${name} empty axis`);
  });
}

test('softmax: shapes, tails, large logits, -Infinity entries, all -Infinity rows', async () => {
  const tol = { atol: 1e-7, rtol: 1e-6 };
  for (const shape of [[1], [3], [4], [5], [7], [13], [7, 13], [5, 1000], [2, 3, 17], [1000003]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const x = randomArray(n, n);
    for (let i = 0; i < n; i++) x[i] *= 8;
    await expectSameAsCpu([{ shape, values: x }], t => tf.softmax(t), tol, `softmax [${shape}]`);
  }
  const big = [1000, 999, 1000, -1000, 998.5, 0, 1000, 1e30, -1e30, 3];
  await expectSameAsCpu([{ shape: [2, 5], values: big }], t => tf.softmax(t), tol, 'softmax large');
  const inf = [-Infinity, 1, 2, -Infinity, 0, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, 5, Infinity, 1, 2, 3];
  await expectSameAsCpu([{ shape: [3, 5], values: inf }], t => tf.softmax(t), tol, 'softmax -Infinity');
  await expectSameAsCpu([{ shape: [2, 3], values: [NaN, 1, 2, 0, 1, 2] }], t => tf.softmax(t), tol, 'softmax NaN');
  await expectSameAsCpu([{ shape: [0, 3], values: [] }], t => tf.softmax(t), tol, 'softmax empty');
  await expectSameAsCpu([{ shape: [4, 6], values: randomArray(24, 5) }], t => tf.logSoftmax(t), tol, 'logSoftmax');
});

test('softmax over a non-last dim throws like cpu', () => {
  const x = tf.ones([2, 3]);
  assert.throws(() => tf.engine().runKernel('Softmax', { logits: x }, { dim: 0 }), /non-last dimension/);
  x.dispose();
});

test('gradients of sum(softmax(relu6(x*w+b))) and a weighted variant equal cpu within 1e-5', async () => {
  const x = randomArray(6 * 10, 1).map(v => v * 4), w = randomArray(10, 2).map(v => v * 3), b = randomArray(10, 3);
  const c = randomArray(60, 4);
  const inputs = [{ shape: [6, 10], values: x }, { shape: [10], values: w }, { shape: [10], values: b }, { shape: [6, 10], values: c }];
  const plain = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.softmax(tf.relu6(xx.mul(ww).add(bb))));
  await expectSameAsCpu(inputs, (xx, ww, bb) => tf.grads(plain)([xx, ww, bb]), { atol: 1e-5, rtol: 1e-5 }, 'grad sum(softmax(relu6))');
  const weighted = (cc: tf.Tensor) => (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
    tf.sum(tf.softmax(tf.relu6(xx.mul(ww).add(bb))).mul(cc));
  await expectSameAsCpu(inputs, (xx, ww, bb, cc) => tf.grads(weighted(cc))([xx, ww, bb]), { atol: 1e-5, rtol: 1e-5 }, 'grad weighted');
  // A longer chain: mean, max, exp, log, sigmoid, tanh, sub, div, squaredDifference, prod.
  const chain = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
    const h = tf.tanh(xx.mul(ww)).add(tf.sigmoid(bb));
    const m = tf.mean(h, 0, true);
    // (tfjs' SquaredDifference gradient does not reduce broadcast inputs: same shapes only.)
    const s = tf.squaredDifference(h, m.tile([6, 1])).add(tf.square(h.sub(m))).div(tf.max(tf.abs(h), 1, true).add(1));
    return tf.sum(tf.log(tf.exp(s).add(1))).add(tf.prod(tf.sqrt(tf.square(bb).add(1))));
  };
  await expectSameAsCpu(inputs, (xx, ww, bb) => tf.grads(chain)([xx, ww, bb]), { atol: 1e-5, rtol: 1e-5 }, 'grad chain');
});

test('500 mixed reductions (including failing ones) leave numTensors and heap bytes unchanged', () => {
  const be = simdBackend();
  const x = tf.tensor(randomArray(2 * 3 * 4 * 5, 7), [2, 3, 4, 5]);
  const xi = tf.tensor(Array.from({ length: 120 }, (_, i) => i % 7), [2, 3, 4, 5], 'int32');
  const t0 = tf.memory().numTensors, h0 = be.memory().heapBytesInUse;
  for (let i = 0; i < 500; i++) {
    tf.tidy(() => {
      tf.sum(x, [0, 2]); tf.mean(x, [1, 2], true); tf.max(x, 3); tf.min(x, [0, 3]); tf.prod(x, 1);
      tf.argMax(x, i % 4); tf.argMin(x, 2); tf.softmax(x); tf.sum(xi, [1, 3]); tf.max(xi);
      tf.sum(tf.ones([3, 4], 'bool'), 0);
      if (i % 5 === 0) assert.throws(() => tf.sum(x, 7));
      if (i % 7 === 0) assert.throws(() => tf.engine().runKernel('Softmax', { logits: x }, { dim: 1 }));
    });
  }
  assert.is(tf.memory().numTensors, t0, 'no tensor leaked');
  assert.is(be.memory().heapBytesInUse, h0, 'heap bytes in use back to start');
  tf.dispose([x, xi]);
});

test.run();
