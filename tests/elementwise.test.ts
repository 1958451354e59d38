// Elementwise kernels of the simd backend (assembly/elementwise.ts via
// src/backend/elementwise_impl.ts) against tfjs-backend-cpu: unary ops on every tail length
// and on NaN/±Infinity/±0/denormals, binary ops with every broadcasting pattern (same shape,
// scalar both ways, bias-add, per-row, general n-d), int32 paths, errors, and leak checks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { expectSameAsCpu, randomArray } from './helpers';
import { simdBackend, NATIVE_KERNELS, FALLBACK_KERNELS } from '../src/index';

const SIZES = [0, 1, 3, 4, 5, 7, 13, 1000003];

/** Special values every unary op is checked on (incl. denormals and exp/log range edges). */
const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -0.5, 1e-40, -1e-40, 1e-45, 1.17549435e-38,
  3.4e38, -3.4e38, 88.7, 88.72, 88.73, 89, -87.3, -88, -100, -103.9, -104, -110, 1e-7, -1e-7, 0.625, -0.625,
  0.6249, 6, 5.999, 6.001, 9, 20, -20, 1e30, -1e30, 1e-30, 2, 0.7071, 0.70710677, 1.4142135, 1e5, -1e5];

/** Random values spread over several magnitudes. */
function spread(n: number, seed: number, scale = 20): Float32Array {
  const r = randomArray(n, seed);
  for (let i = 0; i < n; i++) r[i] *= i % 3 === 0 ? scale : i % 3 === 1 ? 1 : 0.01;
  return r;
}

type Unary = { name: string; kernel: string; fn: (x: tf.Tensor) => tf.Tensor; tol: { atol: number; rtol: number } };
const EXACT = { atol: 0, rtol: 0 };
// exp/log/tanh/sigmoid are polynomial approximations: measured ≤ 2.1e-7 relative (1-2 ulp),
// 1 ulp in the denormal range; we demand 1e-6 relative.
const POLY = { atol: 1e-40, rtol: 1e-6 };
const UNARY: Unary[] = [
  { name: 'relu6', kernel: 'Relu6', fn: x => tf.relu6(x), tol: EXACT },
  { name: 'exp', kernel: 'Exp', fn: x => tf.exp(x), tol: POLY },
  { name: 'log', kernel: 'Log', fn: x => tf.log(x), tol: POLY },
  { name: 'sqrt', kernel: 'Sqrt', fn: x => tf.sqrt(x), tol: EXACT },
  { name: 'rsqrt', kernel: 'Rsqrt', fn: x => tf.rsqrt(x), tol: EXACT },
  { name: 'square', kernel: 'Square', fn: x => tf.square(x), tol: EXACT },
  { name: 'neg', kernel: 'Neg', fn: x => tf.neg(x), tol: EXACT },
  { name: 'step(0)', kernel: 'Step', fn: x => tf.step(x), tol: EXACT },
  { name: 'step(0.3)', kernel: 'Step', fn: x => tf.step(x, 0.3), tol: EXACT },
  { name: 'sigmoid', kernel: 'Sigmoid', fn: x => tf.sigmoid(x), tol: POLY },
  { name: 'tanh', kernel: 'Tanh', fn: x => tf.tanh(x), tol: POLY },
  { name: 'abs', kernel: 'Abs', fn: x => tf.abs(x), tol: EXACT },
  { name: 'leakyRelu(0.2)', kernel: 'LeakyRelu', fn: x => tf.leakyRelu(x, 0.2), tol: EXACT },
];

const BINARY: { name: string; kernel: string; fn: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor }[] = [
  { name: 'add', kernel: 'Add', fn: (a, b) => tf.add(a, b) },
  { name: 'sub', kernel: 'Sub', fn: (a, b) => tf.sub(a, b) },
  { name: 'mul', kernel: 'Multiply', fn: (a, b) => tf.mul(a, b) },
  { name: 'div', kernel: 'RealDiv', fn: (a, b) => tf.div(a, b) },
  { name: 'maximum', kernel: 'Maximum', fn: (a, b) => tf.maximum(a, b) },
  { name: 'minimum', kernel: 'Minimum', fn: (a, b) => tf.minimum(a, b) },
  { name: 'squaredDifference', kernel: 'SquaredDifference', fn: (a, b) => tf.squaredDifference(a, b) },
];

test.before(async () => {
  assert.ok(await tf.setBackend('simd'));
});

test('every elementwise kernel is registered natively, not delegated', () => {
  for (const k of [...UNARY.map(u => u.kernel), ...BINARY.map(b => b.kernel), 'AddN']) {
    assert.ok(NATIVE_KERNELS.includes(k), `${k} is native`);
    assert.not.ok(FALLBACK_KERNELS.includes(k), `${k} is not delegated`);
  }
});

for (const u of UNARY) {
  test(`${u.name}: every tail length and 1000003 elements`, async () => {
    for (const n of SIZES) {
      const x = spread(n, 7 + n);
      if (u.name === 'log' || u.name === 'sqrt' || u.name === 'rsqrt') for (let i = 0; i < n; i += 2) x[i] = Math.abs(x[i]);
      await expectSameAsCpu([{ shape: [n], values: x }], u.fn, u.tol, `${u.name} n=${n}`);
    }
  });
  test(`${u.name}: NaN, ±Infinity, ±0, denormals, range edges (in every lane position)`, async () => {
    // Shift the specials through all 4 lane positions and the scalar tail.
    for (let shift = 0; shift < 5; shift++) {
      const v = [...new Array(shift).fill(0.25), ...SPECIAL];
      await expectSameAsCpu([{ shape: [v.length], values: v }], u.fn, u.tol, `${u.name} special shift ${shift}`);
      await expectSameAsCpu([{ shape: [v.length], values: v.map(x => -x) }], u.fn, u.tol, `${u.name} -special shift ${shift}`);
    }
  });
}

test('unary ops keep the shape of a rank-4 tensor and delegate int32 to cpu', async () => {
  const x = spread(2 * 3 * 4 * 5, 3);
  for (const u of UNARY) await expectSameAsCpu([{ shape: [2, 3, 4, 5], values: x }], u.fn, u.tol, u.name);
  const xi = Array.from({ length: 11 }, (_, i) => i - 5);
  for (const f of [tf.neg, tf.abs, tf.square, tf.relu6]) {
    await expectSameAsCpu([{ shape: [11], values: xi, dtype: 'int32' }], x0 => f(x0), EXACT, 'int32 unary');
  }
});

/** Broadcasting cases: [aShape, bShape]. */
const BROADCAST: [number[], number[]][] = [
  [[1000003], [1000003]],              // same shape, long
  [[13], [13]], [[7], [7]], [[4], [4]], [[1], [1]], [[3], [3]],
  [[2, 1, 3], [4, 1]],                  // -> [2,4,3]
  [[2, 5, 5, 7], [7]],                  // bias add NHWC + C
  [[2, 5, 5, 16], [16]],
  [[7], [2, 5, 5, 7]],                  // reversed
  [[], [3, 5]], [[3, 5], []],           // scalar both ways
  [[1], [1001]], [[1001], [1]],
  [[3, 1], [1, 3]],                     // outer product pattern
  [[6, 1], [6, 13]], [[6, 13], [6, 1]], // per-row scaling
  [[5, 1, 7], [1, 6, 1]],
  [[2, 3, 1, 5], [3, 4, 1]],
  [[1, 1, 1], [1, 1, 1]], [[2, 1, 3, 1, 5], [2, 4, 1, 6, 5]],
  [[0, 3], [3]], [[3], [0, 3]], [[2, 0], [1]],   // zero-size outputs
];

for (const op of BINARY) {
  test(`${op.name}: broadcasting patterns vs cpu`, async () => {
    let seed = 100;
    for (const [as, bs] of BROADCAST) {
      const na = as.reduce((p, c) => p * c, 1), nb = bs.reduce((p, c) => p * c, 1);
      const a = spread(na, seed++, 5), b = spread(nb, seed++, 5);
      if (op.name === 'div') for (let i = 0; i < nb; i++) if (b[i] === 0) b[i] = 0.5;
      await expectSameAsCpu([{ shape: as, values: a }, { shape: bs, values: b }], op.fn, { atol: 0, rtol: 1e-6 },
          `${op.name} [${as}] op [${bs}]`);
    }
  });
  test(`${op.name}: NaN, ±Infinity and ±0 on either side`, async () => {
    const sp = [NaN, Infinity, -Infinity, 0, -0, 1, -2.5, 1e-40, 3e38];
    const a: number[] = [], b: number[] = [];
    for (const x of sp) for (const y of sp) { a.push(x); b.push(y); }
    await expectSameAsCpu([{ shape: [a.length], values: a }, { shape: [b.length], values: b }], op.fn, EXACT, op.name);
    await expectSameAsCpu([{ shape: [a.length], values: a }, { shape: [], values: [NaN] }], op.fn, EXACT, `${op.name} NaN scalar`);
    await expectSameAsCpu([{ shape: [], values: [Infinity] }, { shape: [a.length], values: a }], op.fn, EXACT, `${op.name} Inf scalar`);
  });
}

test('int32 binary ops in JS follow cpu (wrap-around, truncating RealDiv, x/0)', async () => {
  const a = [7, -7, 2147483647, -2147483648, 0, 5, 123456789, -3, 1, 9];
  const b = [2, 2, 2, 2, 0, 0, 1000, 3, -1, 9];
  for (const k of ['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference']) {
    await expectSameAsCpu([{ shape: [10], values: a, dtype: 'int32' }, { shape: [10], values: b, dtype: 'int32' }],
        (x, y) => tf.engine().runKernel(k, { a: x, b: y }) as tf.Tensor, EXACT, `int32 ${k}`);
    await expectSameAsCpu([{ shape: [2, 5], values: a, dtype: 'int32' }, { shape: [5], values: b.slice(0, 5), dtype: 'int32' }],
        (x, y) => tf.engine().runKernel(k, { a: x, b: y }) as tf.Tensor, EXACT, `int32 broadcast ${k}`);
  }
  // tf.div on int32 is floorDiv (not RealDiv): still matches cpu.
  await expectSameAsCpu([{ shape: [10], values: a, dtype: 'int32' }, { shape: [10], values: b.map(v => v || 1), dtype: 'int32' }],
      (x, y) => tf.div(x, y), EXACT, 'tf.div int32');
});

test('mixed dtypes and bool are delegated and still match cpu', async () => {
  await expectSameAsCpu([{ shape: [4], values: [1.5, 2, 3, 4] }, { shape: [4], values: [1, 2, 3, 4], dtype: 'int32' }],
      (x, y) => tf.engine().runKernel('Add', { a: x, b: y }) as tf.Tensor, EXACT, 'float32 + int32');
  await expectSameAsCpu([{ shape: [4], values: [1, 0, 1, 1], dtype: 'bool' }, { shape: [4], values: [1, 1, 0, 1], dtype: 'bool' }],
      (x, y) => tf.engine().runKernel('Maximum', { a: x, b: y }) as tf.Tensor, EXACT, 'bool maximum');
});

test('addN: float32 and int32, 1..5 inputs, odd sizes', async () => {
  for (const n of [1, 2, 3, 5]) {
    for (const size of [0, 1, 7, 1001]) {
      const inputs = Array.from({ length: n }, (_, i) => ({ shape: [size], values: spread(size, 50 + i) }));
      await expectSameAsCpu(inputs, (...xs) => tf.addN(xs), EXACT, `addN n=${n} size=${size}`);
      const ints = Array.from({ length: n }, (_, i) => ({ shape: [size], values: Array.from({ length: size }, (_, j) => j * (i + 1) - 3), dtype: 'int32' as const }));
      await expectSameAsCpu(ints, (...xs) => tf.addN(xs), EXACT, `addN int32 n=${n} size=${size}`);
    }
  }
});

const COMPARE: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['Equal', tf.equal], ['NotEqual', tf.notEqual], ['Greater', tf.greater], ['GreaterEqual', tf.greaterEqual],
  ['Less', tf.less], ['LessEqual', tf.lessEqual],
];

test('comparisons: broadcasting, NaN/±Infinity/±0, int32 and bool, native', async () => {
  for (const [k] of COMPARE) assert.ok(NATIVE_KERNELS.includes(k), `${k} is native`);
  const sp = [NaN, Infinity, -Infinity, 0, -0, 1, -2.5, 1];
  const a: number[] = [], b: number[] = [];
  for (const x of sp) for (const y of sp) { a.push(x); b.push(y); }
  let seed = 300;
  for (const [k, fn] of COMPARE) {
    await expectSameAsCpu([{ shape: [a.length], values: a }, { shape: [b.length], values: b }], fn, EXACT, `${k} specials`);
    for (const [as, bs] of BROADCAST.slice(1)) {
      const na = as.reduce((p, c) => p * c, 1), nb = bs.reduce((p, c) => p * c, 1);
      // Rounded values: plenty of equal pairs.
      const av = Array.from(randomArray(na, seed++), v => Math.round(v * 3));
      const bv = Array.from(randomArray(nb, seed++), v => Math.round(v * 3));
      await expectSameAsCpu([{ shape: as, values: av }, { shape: bs, values: bv }], fn, EXACT, `${k} [${as}] [${bs}]`);
      await expectSameAsCpu([{ shape: as, values: av, dtype: 'int32' }, { shape: bs, values: bv, dtype: 'int32' }], fn, EXACT,
          `${k} int32 [${as}] [${bs}]`);
    }
    await expectSameAsCpu([{ shape: [4], values: [1, 0, 1, 0], dtype: 'bool' }, { shape: [4], values: [1, 1, 0, 0], dtype: 'bool' }],
        fn, EXACT, `${k} bool`);
  }
});

test('select (tf.where): all dtypes, odd sizes, native', async () => {
  assert.ok(NATIVE_KERNELS.includes('Select'));
  for (const n of [0, 1, 5, 13, 1001]) {
    const c = Array.from(randomArray(n, n + 1), v => (v > 0 ? 1 : 0));
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const conv = (v: number) => (dtype === 'float32' ? v : dtype === 'int32' ? Math.round(v * 100) : v > 0 ? 1 : 0);
      await expectSameAsCpu([{ shape: [n], values: c, dtype: 'bool' }, { shape: [n], values: Array.from(randomArray(n, 2), conv), dtype },
        { shape: [n], values: Array.from(randomArray(n, 3), conv), dtype }], (cc, t, e) => tf.where(cc, t, e), EXACT, `where ${dtype} n=${n}`);
    }
  }
  // tf.where broadcasts the condition itself before the kernel.
  await expectSameAsCpu([{ shape: [3], values: [1, 0, 1], dtype: 'bool' }, { shape: [2, 3], values: randomArray(6, 4) },
    { shape: [2, 3], values: randomArray(6, 5) }], (cc, t, e) => tf.where(cc, t, e), EXACT, 'where broadcast condition');
});

test('gradients through relu6, leakyRelu, sigmoid, tanh, abs, maximum (Step/Select/compare kernels)', async () => {
  const x = Array.from(randomArray(40, 11), v => v * 8);
  const y = randomArray(40, 12);
  const f = (xx: tf.Tensor, yy: tf.Tensor) => tf.sum(tf.relu6(xx).mul(yy).add(tf.leakyRelu(xx, 0.1))
      .add(tf.sigmoid(xx).mul(tf.tanh(yy))).add(tf.abs(xx).mul(0.3)).add(tf.maximum(xx, yy)).add(tf.minimum(xx, 0.5)));
  await expectSameAsCpu([{ shape: [5, 8], values: x }, { shape: [5, 8], values: y }], (xx, yy) => tf.grads(f)([xx, yy]),
      { atol: 1e-6, rtol: 1e-5 }, 'grads');
});

test('errors name the kernel and both shapes; nothing leaks', () => {
  const be = simdBackend();
  const a = tf.ones([2, 3]), b = tf.ones([4]);
  const t0 = tf.memory().numTensors, h0 = be.memory().heapBytesInUse;
  assert.throws(() => tf.add(a, b), /Add: .*broadcast.*2,3.*4/);
  assert.throws(() => tf.engine().runKernel('Multiply', { a, b }), /Multiply: .*broadcast/);
  assert.throws(() => tf.engine().runKernel('Add', { a }), /Add: input 'b' is missing/);
  assert.throws(() => tf.engine().runKernel('Exp', {}), /Exp: input 'x' is missing/);
  assert.throws(() => tf.engine().runKernel('Step', { x: a }, { alpha: 'x' }), /Step: attribute 'alpha' must be a number/);
  assert.throws(() => tf.engine().runKernel('AddN', [a, b] as unknown as tf.NamedTensorMap), /AddN: all inputs must have the same shape/);
  assert.is(tf.memory().numTensors, t0);
  assert.is(be.memory().heapBytesInUse, h0);
  tf.dispose([a, b]);
});

test('500 mixed calls (including failing ones) leave numTensors and heap bytes unchanged', () => {
  const be = simdBackend();
  const x = tf.tensor(randomArray(6 * 7, 9), [6, 7]);
  const bias = tf.tensor(randomArray(7, 10), [7]);
  const t0 = tf.memory().numTensors, h0 = be.memory().heapBytesInUse;
  for (let i = 0; i < 500; i++) {
    tf.tidy(() => {
      const y = tf.add(x, bias).mul(2).sub(tf.scalar(1)).div(tf.scalar(3));
      tf.maximum(y, 0.1).minimum(0.5).squaredDifference(y);
      tf.exp(y); tf.log(tf.abs(y)); tf.tanh(y); tf.sigmoid(y); tf.relu6(y); tf.step(y, 0.1);
      tf.sqrt(tf.abs(y)); tf.rsqrt(tf.abs(y)); tf.square(y); tf.neg(y); tf.leakyRelu(y, 0.1);
      tf.addN([y, y, y]);
      tf.add(tf.ones([3], 'int32'), tf.ones([2, 3], 'int32'));
      tf.where(tf.greater(y, 0.2), y, tf.neg(y)); tf.equal(y, bias); tf.lessEqual(x, 0);
      if (i % 5 === 0) assert.throws(() => tf.add(x, tf.ones([3])), /Add: /);
      if (i % 7 === 0) assert.throws(() => tf.engine().runKernel('Step', { x }, { alpha: null }), /Step: /);
    });
  }
  assert.is(tf.memory().numTensors, t0, 'no tensor leaked');
  assert.is(be.memory().heapBytesInUse, h0, 'heap bytes in use back to start');
  tf.dispose([x, bias]);
});

test.run();
