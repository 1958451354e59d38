// Pooling kernels on `simd` (MaxPool, AvgPool, MaxPoolGrad, AvgPoolGrad; assembly/pool.ts via
// src/backend/pool_impl.ts) against tfjs-backend-cpu on random data: channel counts around the
// f32x4 blocks, odd sizes, every padding kind, rounding modes, NaN / -Infinity, ties, empty
// windows, gradients (sum and random upstream dy), int32 delegation, errors and leaks; plus the
// PyTorch count_include_pad variant (avgPoolImpl) against hand-computed PyTorch values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { expectSameAsCpu, randomArray } from './helpers';
import { simdBackend } from '../src/index';
import {
  avgPoolGradImpl, avgPoolImpl, AvgDivisor, maxPoolGradImpl, maxPoolImpl, PoolInfo,
} from '../src/backend/pool_impl';

type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
interface Case { shape: [number, number, number, number]; f: number | [number, number]; s: number | [number, number];
  pad: Pad; round?: Rounding }

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const label = (c: Case) => `x=[${c.shape}] f=${c.f} s=${c.s} pad=${JSON.stringify(c.pad)}${c.round ? ` ${c.round}` : ''}`;

/** Random data with many exact ties (steps of 0.5, including -0). */
function tiedArray(n: number, seed: number): Float32Array {
  return randomArray(n, seed).map(v => Math.round(v * 2) / 2);
}

/** Random data where ~1/8 of the values are NaN and ~1/8 are -Infinity; channel 0 is all NaN
 * and channel 1 all -Infinity (so whole windows are). */
function nastyArray(shape: number[], seed: number): Float32Array {
  const C = shape[3];
  const v = randomArray(size(shape), seed);
  const r = randomArray(v.length, seed + 99);
  for (let i = 0; i < v.length; i++) {
    if (i % C === 0) v[i] = NaN;
    else if (i % C === 1 && C > 2) v[i] = -Infinity;
    else if (r[i] > 0.75) v[i] = NaN;
    else if (r[i] < -0.75) v[i] = -Infinity;
  }
  return v;
}

const CHANNELS = [1, 3, 5, 7, 13, 64];

/** The geometry grid every kernel is checked on. */
function cases(): Case[] {
  const out: Case[] = [];
  for (const C of CHANNELS) {
    out.push({ shape: [1, 7, 9, C], f: 3, s: 2, pad: 'same' });
    out.push({ shape: [1, 7, 9, C], f: 3, s: 2, pad: 'valid' });
  }
  const C = 5;
  out.push(
    { shape: [1, 1, 1, C], f: 1, s: 1, pad: 'valid' },           // identity shortcut
    { shape: [1, 1, 1, C], f: 2, s: 2, pad: 'same' },
    { shape: [1, 7, 9, C], f: 2, s: 3, pad: 'valid' },           // stride larger than window
    { shape: [1, 7, 9, C], f: [2, 3], s: [1, 2], pad: 'same' },
    { shape: [3, 7, 9, C], f: 3, s: 2, pad: 'same' },            // batch 3
    { shape: [2, 7, 9, 13], f: 3, s: 1, pad: [[0, 0], [1, 2], [0, 3], [0, 0]] },  // asymmetric explicit
    { shape: [1, 8, 10, C], f: 3, s: 2, pad: 1, round: 'ceil' },
    { shape: [1, 8, 10, C], f: 3, s: 2, pad: 1, round: 'floor' },
    { shape: [1, 8, 10, C], f: 3, s: 2, pad: 1, round: 'round' },
    { shape: [1, 8, 10, C], f: 3, s: 2, pad: 1 },                // numeric pad, truncation
    { shape: [1, 4, 4, 3], f: 1, s: 2, pad: 1 },                 // empty windows at the border
    { shape: [1, 3, 3, 7], f: 2, s: 1, pad: [[0, 0], [3, 3], [0, 4], [0, 0]] },  // pad > filter: empty windows
    { shape: [1, 5, 5, 4], f: 5, s: 1, pad: 'valid' },           // one window = the whole image
  );
  return out;
}

const maxPoolOf = (c: Case) => (x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, c.f, c.s, c.pad as 'same', c.round);
const avgPoolOf = (c: Case) => (x: tf.Tensor) => tf.avgPool(x as tf.Tensor4D, c.f, c.s, c.pad as 'same', c.round);
const outShape = (c: Case) => backend_util.computePool2DInfo(c.shape, c.f, c.s, 1, c.pad, c.round).outShape;

test.before(async () => {
  assert.ok(await tf.setBackend('simd'), 'simd backend initializes');
});

test('maxPool / avgPool match cpu on the geometry grid (random data, ties, NaN / -Infinity)', async () => {
  let seed = 1;
  for (const c of cases()) {
    for (const [kind, values] of [['random', randomArray(size(c.shape), seed++)],
      ['ties', tiedArray(size(c.shape), seed++)], ['nan/-inf', nastyArray(c.shape, seed++)]] as const) {
      const x = [{ shape: c.shape, values }];
      await expectSameAsCpu(x, maxPoolOf(c), { atol: 0, rtol: 0 }, `maxPool ${label(c)} ${kind}`);
      await expectSameAsCpu(x, avgPoolOf(c), { atol: 1e-6, rtol: 1e-5 }, `avgPool ${label(c)} ${kind}`);
    }
  }
});

test('maxPool: all-NaN, all -Infinity, ±0 and single-NaN windows give cpu\'s values exactly', async () => {
  const x = [NaN, NaN, NaN, NaN, -Infinity, -Infinity, -Infinity, -Infinity, -0, 0, 0, -0, NaN, 1, NaN, -Infinity];
  // [1, 4, 4, 1] input, 2x2 windows stride 2: one window per 4 consecutive values after reordering
  const windows = [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]];
  const img = new Float32Array(16);
  windows.forEach((w, k) => w.forEach((pos, i) => { img[pos] = x[k * 4 + i]; }));
  for (const C of [1, 4, 5]) {
    // the same pattern in every channel, so the SIMD lanes and the scalar tail both see it
    const v = new Float32Array(16 * C);
    for (let i = 0; i < 16; i++) v.fill(img[i], i * C, i * C + C);
    const input = [{ shape: [1, 4, 4, C], values: v }];
    await expectSameAsCpu(input, t => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), { atol: 0, rtol: 0 }, `maxPool special C=${C}`);
    await expectSameAsCpu(input, t => tf.avgPool(t as tf.Tensor4D, 2, 2, 'valid'), { atol: 0, rtol: 0 }, `avgPool special C=${C}`);
    await expectSameAsCpu(input, t => tf.grad(u => tf.maxPool(u as tf.Tensor4D, 2, 2, 'valid').sum())(t),
        { atol: 0, rtol: 0 }, `maxPool grad special C=${C}`);
  }
  const got = tf.maxPool(tf.tensor4d(Array.from(img), [1, 4, 4, 1]), 2, 2, 'valid');
  const vals = Array.from(got.dataSync());
  assert.equal(vals.slice(0, 2), [-Infinity, -Infinity], 'all-NaN and all -Infinity windows give -Infinity');
  assert.ok(Object.is(vals[2], -0), 'the first of tied ±0 wins (-0)');
  assert.is(vals[3], 1, 'NaN taps are ignored');
  got.dispose();
});

test('gradients of maxPool / avgPool match cpu: sum loss and a random upstream dy', async () => {
  let seed = 500;
  for (const c of cases()) {
    const n = size(c.shape);
    const dyShape = outShape(c);
    for (const [kind, values] of [['random', randomArray(n, seed++)], ['ties', tiedArray(n, seed++)],
      ['nan/-inf', nastyArray(c.shape, seed++)]] as const) {
      const x = { shape: c.shape, values };
      const dy = { shape: dyShape, values: randomArray(size(dyShape), seed++) };
      for (const [name, pool] of [['maxPool', maxPoolOf(c)], ['avgPool', avgPoolOf(c)]] as const) {
        await expectSameAsCpu([x], t => tf.grad(pool)(t), { atol: 1e-6, rtol: 1e-5 }, `${name} grad(sum) ${label(c)} ${kind}`);
        await expectSameAsCpu([x, dy], (t, g) => tf.grad(pool)(t, g), { atol: 1e-6, rtol: 1e-5 },
            `${name} grad(dy) ${label(c)} ${kind}`);
      }
    }
  }
});

test('MaxPoolGrad / AvgPoolGrad kernels called directly (explicit dimRoundingMode, NaN in dy) match cpu', async () => {
  const c: Case = { shape: [2, 8, 10, 6], f: 3, s: 2, pad: 1, round: 'ceil' };
  const dyShape = outShape(c);
  const dyVals = randomArray(size(dyShape), 7);
  dyVals[3] = NaN;
  dyVals[40] = Infinity;
  const inputs = [{ shape: c.shape, values: tiedArray(size(c.shape), 8) }, { shape: dyShape, values: dyVals }];
  const attrs = { filterSize: c.f, strides: c.s, pad: c.pad, dimRoundingMode: c.round };
  await expectSameAsCpu(inputs, (x, dy) => {
    const y = tf.maxPool(x as tf.Tensor4D, c.f, c.s, c.pad as number, c.round);
    const dx = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, attrs as never) as tf.Tensor;
    y.dispose();
    return dx;
  }, { atol: 1e-6, rtol: 1e-6 }, 'MaxPoolGrad direct');  // overlapping windows: f32 vs cpu's f64 sums
  await expectSameAsCpu(inputs, (x, dy) =>
    tf.engine().runKernel('AvgPoolGrad', { dy, input: x }, { filterSize: c.f, strides: c.s, pad: c.pad } as never) as tf.Tensor,
  { atol: 1e-6, rtol: 1e-5 }, 'AvgPoolGrad direct (dy larger than the recomputed output)');
});

test('tf.pool with dilation and the 1x1 identity shortcut match cpu', async () => {
  const x = [{ shape: [2, 9, 8, 5], values: randomArray(2 * 9 * 8 * 5, 31) }];
  for (const type of ['max', 'avg'] as const) {
    await expectSameAsCpu(x, t => tf.pool(t as tf.Tensor4D, [2, 3], type, 'valid', [2, 2], 1), {}, `pool ${type} dilated`);
    await expectSameAsCpu(x, t => tf.pool(t as tf.Tensor4D, [3, 3], type, 'same', [2, 1], 1), {}, `pool ${type} dilated same`);
  }
  // 1x1 stride 1: cpu returns x itself, NaN included (a 1x1 max over NaN would otherwise be -Inf)
  const nan = [{ shape: [1, 2, 2, 3], values: [NaN, 1, -Infinity, 2, 3, 4, 5, 6, 7, 8, 9, NaN] }];
  await expectSameAsCpu(nan, t => tf.maxPool(t as tf.Tensor4D, 1, 1, 'valid'), { atol: 0, rtol: 0 }, 'identity maxPool');
  await expectSameAsCpu(nan, t => tf.avgPool(t as tf.Tensor4D, 1, 1, 'same'), { atol: 0, rtol: 0 }, 'identity avgPool');
  // 1x1 stride 2 is no identity: the NaN window gives -Infinity as on cpu
  await expectSameAsCpu(nan, t => tf.maxPool(t as tf.Tensor4D, 1, 2, 'valid'), { atol: 0, rtol: 0 }, '1x1 stride 2 maxPool');
});

test('zero-size inputs and outputs', async () => {
  const empty = (shape: number[]) => [{ shape, values: new Float32Array(size(shape)) }];
  const explicit: backend_util.ExplicitPadding = [[0, 0], [1, 1], [2, 0], [0, 0]];
  for (const shape of [[0, 4, 4, 3], [2, 4, 4, 0], [1, 0, 0, 2], [1, 0, 3, 2]]) {
    for (const [name, pool] of [['maxPool', tf.maxPool], ['avgPool', tf.avgPool]] as const) {
      await expectSameAsCpu(empty(shape), t => pool(t as tf.Tensor4D, 1, 1, explicit), {}, `${name} [${shape}] explicit`);
      await expectSameAsCpu(empty(shape), t => tf.grad(u => pool(u as tf.Tensor4D, 1, 1, explicit).sum())(t), {},
          `${name} grad [${shape}]`);
    }
  }
  // nonempty input, empty output: an explicit negative pad crops everything away
  const x = [{ shape: [1, 3, 3, 2], values: randomArray(18, 3) }];
  const crop: backend_util.ExplicitPadding = [[0, 0], [0, -1], [0, 0], [0, 0]];
  await expectSameAsCpu(x, t => tf.grad(u => tf.avgPool(u as tf.Tensor4D, [3, 1], 1, crop).sum())(t), {}, 'grad, empty output');
});

test('int32 input is delegated to cpu', async () => {
  const x = [{ shape: [1, 5, 5, 3], values: Int32Array.from(randomArray(75, 9), v => Math.round(v * 100)), dtype: 'int32' as const }];
  await expectSameAsCpu(x, t => tf.maxPool(t as tf.Tensor4D, 3, 2, 'same'), { atol: 0, rtol: 0 }, 'maxPool int32');
  const dy = [{ shape: [1, 3, 3, 3], values: Int32Array.from(randomArray(27, 10), v => Math.round(v * 10)), dtype: 'int32' as const }];
  await expectSameAsCpu([x[0], dy[0]], (t, g) => tf.engine().runKernel('AvgPoolGrad', { dy: g, input: t },
      { filterSize: 3, strides: 2, pad: 'same' } as never) as tf.Tensor, {}, 'AvgPoolGrad int32');
});

/** Reads a TensorInfo made by an *Impl function and frees it. */
function take(info: TensorInfo): { shape: number[]; values: number[] } {
  const be = simdBackend();
  const values = Array.from(be.readSync(info.dataId) as Float32Array);
  be.disposeData(info.dataId);
  return { shape: info.shape, values };
}

/** Plain-loop reference of pooling and its gradient, for any geometry (dilations included). */
function refPool(x: ArrayLike<number>, info: PoolInfo, kind: 'max' | AvgDivisor): number[] {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { top, bottom, left, right } = info.padInfo;
  const out: number[] = [];
  for (let b = 0; b < N; b++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < C; c++) {
    let m = -Infinity, s = 0, n = 0, pr = 0, pc = 0;
    for (let i = 0; i < info.filterHeight; i++) {
      const r = oh * info.strideHeight - top + i * info.dilationHeight;
      if (r >= -top && r < H + bottom) pr++;
      for (let j = 0; j < info.filterWidth; j++) {
        const q = ow * info.strideWidth - left + j * info.dilationWidth;
        if (i === 0 && q >= -left && q < W + right) pc++;
        if (r < 0 || r >= H || q < 0 || q >= W) continue;
        const v = x[((b * H + r) * W + q) * C + c];
        if (v > m) m = v;
        s += v;
        n++;
      }
    }
    const div = kind === 'valid' ? n : kind === 'padded' ? pr * pc : info.filterHeight * info.filterWidth;
    out.push(kind === 'max' ? m : s / div);
  }
  return out;
}

function expectClose(got: number[], want: number[], tol: number, what: string): void {
  assert.is(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue;
    if (got[i] === want[i]) continue;
    assert.ok(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])), `${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

test('avgPoolImpl countIncludePad reproduces PyTorch avg_pool2d(count_include_pad=True) (hand-computed)', () => {
  const be = simdBackend();
  // F.avg_pool2d(arange(1,10).view(1,1,3,3), 3, stride=1, padding=1) (count_include_pad=True)
  const x3 = tf.tensor4d(Array.from({ length: 9 }, (_, i) => i + 1), [1, 3, 3, 1]);
  const info3 = backend_util.computePool2DInfo([1, 3, 3, 1], 3, 1, 1, 1);
  expectClose(take(avgPoolImpl(be, x3, info3, { countIncludePad: true })).values,
      [12 / 9, 21 / 9, 16 / 9, 27 / 9, 45 / 9, 33 / 9, 24 / 9, 39 / 9, 28 / 9], 1e-6, 'pytorch 3x3 p1');
  // count_include_pad=False is tfjs' avgPool
  expectClose(take(avgPoolImpl(be, x3, info3)).values, [3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7], 1e-6, 'tfjs semantics');
  // F.avg_pool2d(arange(1,17).view(1,1,4,4), 3, stride=2, padding=1, ceil_mode=True): the last
  // window row/column is clipped to the padded input (divisor 2 per axis there, not 3)
  const x4 = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i + 1), [1, 4, 4, 1]);
  const info4 = backend_util.computePool2DInfo([1, 4, 4, 1], 3, 2, 1, 1, 'ceil');
  assert.equal(info4.outShape, [1, 3, 3, 1]);
  expectClose(take(avgPoolImpl(be, x4, info4, { countIncludePad: true })).values,
      [14 / 9, 30 / 9, 2, 57 / 9, 11, 6, 4.5, 7.5, 4], 1e-6, 'pytorch ceil_mode');
  // an empty input (no wasm call): count_include_pad divides 0 by the padded taps, tfjs by 0 taps
  const x0 = tf.zeros([1, 0, 2, 1]);
  const info0 = backend_util.computePool2DInfo([1, 0, 2, 1], 2, 1, 1, 1);
  assert.equal(info0.outShape, [1, 1, 3, 1]);
  assert.equal(take(avgPoolImpl(be, x0, info0, { countIncludePad: true })).values, [0, 0, 0]);
  assert.equal(take(avgPoolImpl(be, x0, info0)).values, [NaN, NaN, NaN]);
  tf.dispose([x3, x4, x0]);
});

test('*Impl with dilations and all divisors match a plain-loop reference; avg gradients are adjoints', () => {
  const be = simdBackend();
  const shape: [number, number, number, number] = [2, 9, 10, 6];
  const xv = randomArray(size(shape), 77);
  const x = tf.tensor4d(xv, shape);
  const geoms = [
    backend_util.computePool2DInfo(shape, [3, 2], [1, 1], [2, 3], [[0, 0], [2, 1], [3, 0], [0, 0]]),
    backend_util.computePool2DInfo(shape, 3, 2, 1, 1, 'ceil'),
    backend_util.computePool2DInfo(shape, [2, 3], [3, 2], 1, 'same'),
  ];
  for (const [g, info] of geoms.entries()) {
    expectClose(take(maxPoolImpl(be, x, info)).values, refPool(xv, info, 'max'), 0, `max geom ${g}`);
    expectClose(take(avgPoolImpl(be, x, info)).values, refPool(xv, info, 'valid'), 1e-6, `avg geom ${g}`);
    expectClose(take(avgPoolImpl(be, x, info, { countIncludePad: true })).values, refPool(xv, info, 'padded'), 1e-6,
        `avg padded geom ${g}`);
    // <dy, A x> = <A^T dy, x> for the linear average maps, per divisor
    const dyv = randomArray(size(info.outShape), 78 + g);
    const dy = tf.tensor(dyv, info.outShape);
    for (const divisor of ['valid', 'padded', 'filter'] as const) {
      const dx = take(avgPoolGradImpl(be, dy, info, { divisor })).values;
      const fwd = refPool(xv, info, divisor);
      const lhs = fwd.reduce((a, v, i) => a + v * dyv[i], 0);
      const rhs = dx.reduce((a, v, i) => a + v * xv[i], 0);
      assert.ok(Math.abs(lhs - rhs) < 1e-4 * (1 + Math.abs(lhs)), `avg grad adjoint ${divisor} geom ${g}: ${lhs} vs ${rhs}`);
    }
    // max gradient: dy lands on the argmax of each window (reference built from refPool's rule)
    const dx = take(maxPoolGradImpl(be, dy, x, info)).values;
    const want = new Array(xv.length).fill(0);
    const { inHeight: H, inWidth: W, inChannels: C } = info;
    let o = 0;
    for (let b = 0; b < info.batchSize; b++) for (let oh = 0; oh < info.outHeight; oh++) for (let ow = 0; ow < info.outWidth; ow++) {
      for (let c = 0; c < C; c++, o++) {
        let m = -Infinity, at = -1;
        for (let i = 0; i < info.filterHeight; i++) for (let j = 0; j < info.filterWidth; j++) {
          const r = oh * info.strideHeight - info.padInfo.top + i * info.dilationHeight;
          const q = ow * info.strideWidth - info.padInfo.left + j * info.dilationWidth;
          if (r < 0 || r >= H || q < 0 || q >= W) continue;
          const k = ((b * H + r) * W + q) * C + c;
          if (xv[k] > m) { m = xv[k]; at = k; }
        }
        if (at >= 0) want[at] += dyv[o];
      }
    }
    expectClose(dx, want, 1e-6, `max grad geom ${g}`);
    dy.dispose();
  }
  x.dispose();
});

test('invalid inputs throw clear errors naming the kernel and tensor', () => {
  const x3 = tf.zeros([4, 4, 2]);
  const x = tf.zeros([1, 4, 4, 2]);
  const dyBad = tf.zeros([1, 2, 2, 2]);
  const attrs = { filterSize: 2, strides: 1, pad: 'valid' };
  assert.throws(() => tf.engine().runKernel('MaxPool', { x: x3 }, attrs as never), /MaxPool: x must be rank 4, got rank 3 \(shape \[4,4,2\]\)/);
  assert.throws(() => tf.engine().runKernel('AvgPool', { x: x3 }, attrs as never), /AvgPool: x must be rank 4/);
  assert.throws(() => tf.engine().runKernel('AvgPool', { x }, { filterSize: 6, strides: 1, pad: 'valid' } as never),
      /AvgPool: outHeight must be an integer >= 0, got -1/);
  assert.throws(() => tf.engine().runKernel('MaxPoolGrad', { dy: dyBad, input: x, output: x }, attrs as never),
      /MaxPoolGrad: dy must have shape \[1,3,3,2\] \(the pooled output, NHWC\), got \[1,2,2,2\]/);
  assert.throws(() => tf.engine().runKernel('AvgPoolGrad', { dy: x3, input: x }, attrs as never), /AvgPoolGrad: dy must be rank 4/);
  const be = simdBackend();
  const info = backend_util.computePool2DInfo([1, 4, 4, 2], 2, 1, 1, 'valid');
  assert.throws(() => maxPoolImpl(be, x3, info), /MaxPool: x must have shape \[1,4,4,2\] \(NHWC\), got \[4,4,2\]/);
  const xi = tf.zeros([1, 4, 4, 2], 'int32');
  assert.throws(() => avgPoolImpl(be, xi, info), /AvgPool: x must have dtype float32, got int32/);
  assert.throws(() => maxPoolImpl(be, x, { ...info, strideHeight: 0 }), /MaxPool: strideHeight must be an integer >= 1, got 0/);
  assert.throws(() => maxPoolImpl(be, x, { ...info, padInfo: { ...info.padInfo, top: 0.5 } }), /MaxPool: pad top must be an integer/);
  assert.throws(() => avgPoolGradImpl(be, x, { ...info, strideWidth: 2 ** 30, outWidth: 3, outShape: [1, 3, 3, 2] }),
      /AvgPoolGrad: pooling geometry too large for 32-bit window coordinates/);
  tf.dispose([x3, x, dyBad, xi]);
});

test('no leaks: 200 mixed calls (including failing ones) leave numTensors and heap bytes unchanged', () => {
  const be = simdBackend();
  const x = tf.tensor4d(randomArray(2 * 9 * 7 * 13, 5), [2, 9, 7, 13]);
  const x3 = tf.zeros([9, 7, 13]);
  const dySmall = tf.zeros([2, 3, 3, 13]);
  const tensors0 = tf.memory().numTensors;
  const heap0 = be.memory().heapBytesInUse;
  let failures = 0;
  for (let i = 0; i < 200; i++) {
    try {
      switch (i % 8) {
        case 0: tf.tidy(() => tf.maxPool(x, 3, 2, 'same').sum()).dispose(); break;
        case 1: tf.tidy(() => tf.avgPool(x, [2, 3], 1, 'valid')).dispose(); break;
        case 2: tf.tidy(() => tf.grad(t => tf.maxPool(t as tf.Tensor4D, 3, 2, 1, 'ceil').sum())(x)).dispose(); break;
        case 3: tf.tidy(() => tf.grad(t => tf.avgPool(t as tf.Tensor4D, 2, 2, 'same').mean())(x)).dispose(); break;
        case 4: tf.engine().runKernel('MaxPool', { x: x3 }, { filterSize: 2, strides: 1, pad: 'valid' } as never); break;
        case 5: tf.engine().runKernel('MaxPoolGrad', { dy: dySmall, input: x, output: x }, { filterSize: 2, strides: 1, pad: 'valid' } as never); break;
        case 6: tf.engine().runKernel('AvgPool', { x }, { filterSize: 20, strides: 1, pad: 'valid' } as never); break;
        case 7: tf.tidy(() => tf.maxPool(x, 1, 1, 'valid').add(1)).dispose(); break;
      }
    } catch {
      failures++;
    }
  }
  assert.is(failures, 75, 'the failing cases threw');
  assert.is(tf.memory().numTensors, tensors0, 'numTensors back to start');
  assert.is(be.memory().heapBytesInUse, heap0, 'heap bytes back to start');
  tf.dispose([x, x3, dySmall]);
});

test.run();
