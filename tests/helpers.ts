// Shared test helpers: run the same tfjs function on 'simd' and 'cpu' and compare.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as assert from 'uvu/assert';
import '../src/index';

/** max |a[i] - b[i]| (asserts equal lengths; a NaN difference counts as Infinity). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length, 'lengths');
  let e = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= e)) e = Number.isNaN(d) ? Infinity : d;
  }
  return e;
}

/** max |a[i]|. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Deterministic pseudo-random floats in [-1, 1) (mulberry32). */
export function randomArray(n: number, seed = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 * 2 - 1;
  }
  return out;
}

/** Runs `fn` on `backend` with tensors made from `inputs` (shape + values), returns outputs as arrays. */
export async function runOn(backend: string, inputs: { shape: number[]; values: ArrayLike<number>; dtype?: tf.DataType }[],
    fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<{ shape: number[]; values: Float32Array | Int32Array | Uint8Array }[]> {
  assert.ok(await tf.setBackend(backend), `backend ${backend} initializes`);
  const xs = inputs.map(i => tf.tensor(i.values as number[], i.shape, i.dtype ?? 'float32'));
  const before = tf.memory().numTensors;
  const out = fn(...xs);
  const outs = Array.isArray(out) ? out : [out];
  const res = outs.map(o => ({ shape: o.shape, values: o.dataSync() as Float32Array | Int32Array | Uint8Array }));
  tf.dispose(outs);
  assert.is(tf.memory().numTensors, before, `no tensor leak on ${backend}`);
  tf.dispose(xs);
  return res;
}

/**
 * Asserts that `fn` gives the same outputs on 'simd' and 'cpu': same shapes, and
 * |simd - cpu| <= atol + rtol * |cpu| elementwise (NaN must match NaN). Returns the max abs error.
 */
export async function expectSameAsCpu(inputs: { shape: number[]; values: ArrayLike<number>; dtype?: tf.DataType }[],
    fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[], tol: { atol?: number; rtol?: number } = {}, label = ''): Promise<number> {
  const { atol = 1e-5, rtol = 1e-5 } = tol;
  const want = await runOn('cpu', inputs, fn);
  const got = await runOn('simd', inputs, fn);
  let maxErr = 0;
  assert.is(got.length, want.length, `${label}: number of outputs`);
  for (let o = 0; o < want.length; o++) {
    assert.equal(got[o].shape, want[o].shape, `${label}: output ${o} shape`);
    const g = got[o].values, w = want[o].values;
    assert.is(g.length, w.length);
    for (let i = 0; i < w.length; i++) {
      if (Number.isNaN(w[i]) || Number.isNaN(g[i])) {
        assert.ok(Number.isNaN(w[i]) && Number.isNaN(g[i]), `${label}: output ${o}[${i}] cpu ${w[i]} simd ${g[i]} (NaN mismatch)`);
        continue;
      }
      if (w[i] === g[i]) continue;  // also covers equal infinities
      const err = Math.abs(g[i] - w[i]);
      maxErr = Math.max(maxErr, err);
      if (!(err <= atol + rtol * Math.abs(w[i]))) {
        assert.unreachable(`${label}: output ${o}[${i}] cpu ${w[i]} simd ${g[i]} (|err| ${err})`);
      }
    }
  }
  return maxErr;
}

/** Awaits `p` and asserts that it rejects with a message matching `re`. */
export async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected a rejection matching ${re}`);
}
