// ResizeBilinear on `simd` (assembly/resize.ts via src/backend/kernels/ResizeBilinear.ts) against
// tfjs-backend-cpu: odd sizes, up and down scale, C = 1, 3, 5, 12, 21, 64, 256, every flag
// combination tfjs allows, batch 2-3, size-1 outputs, int32 input (cpu fallback), and the
// gradient (cpu fallback); and bit for bit against a JS f32 reference of the kernel's blend
// order, on both kernel paths (per pixel, separable 2-row cache) and on the automatic choice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { expectSameAsCpu, randomArray } from './helpers';
import { bilinearTaps, resizeBilinearNative } from '../src/backend/kernels/ResizeBilinear';
import type { BackendSimd } from '../src/backend/backend_simd';

const FLAGS: Array<[boolean, boolean]> = [[false, false], [false, true], [true, false]];

test('resizeBilinear: simd = cpu over sizes, channels, flags, batch 3', async () => {
  const geoms: Array<[number, number, number, number]> = [
    [5, 7, 11, 13], [13, 11, 5, 7], [6, 9, 17, 4], [1, 3, 4, 5], [7, 7, 7, 7], [9, 5, 1, 1], [4, 6, 1, 9], [3, 3, 12, 12],
  ];
  let worst = 0;
  for (const C of [1, 3, 5, 64]) {
    for (const [ih, iw, oh, ow] of geoms) {
      const shape = [3, ih, iw, C];
      const n = shape.reduce((a, b) => a * b, 1);
      for (const [ac, hpc] of FLAGS) {
        const e = await expectSameAsCpu([{ shape, values: randomArray(n, ih * 31 + C) }],
          (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [oh, ow], ac, hpc),
          { atol: 1e-6, rtol: 1e-5 }, `C=${C} ${ih}x${iw}->${oh}x${ow} ac=${ac} hpc=${hpc}`);
        worst = Math.max(worst, e);
      }
    }
  }
  assert.ok(worst < 1e-6, `max abs error ${worst}`);
});

test('resizeBilinear: hand-computed 2x2 -> 3x3 (alignCorners) and rank-3 input', async () => {
  for (const backend of ['cpu', 'simd']) {
    await tf.setBackend(backend);
    const x = tf.tensor3d([0, 10, 20, 30], [2, 2, 1]);
    const y = tf.image.resizeBilinear(x, [3, 3], true);
    assert.equal(y.shape, [3, 3, 1]);
    assert.equal(Array.from(y.dataSync()), [0, 5, 10, 10, 15, 20, 20, 25, 30], backend);
    tf.dispose([x, y]);
  }
});

test('resizeBilinear: int32 input (cpu fallback) and gradient (cpu ResizeBilinearGrad) match cpu', async () => {
  await expectSameAsCpu([{ shape: [2, 4, 5, 3], values: Array.from({ length: 120 }, (_, i) => i % 17), dtype: 'int32' }],
    (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [7, 3], false, true));
  // Square input and halfPixelCenters false only: tfjs-backend-cpu 4.22 ResizeBilinearGrad labels
  // its output [N, W, H, C] (wrong shape for H != W) and ignores halfPixelCenters. interpolate()
  // (src/ops/interpolate.ts) has its own correct gradient; see tests/seg_ops.test.ts.
  await expectSameAsCpu([{ shape: [2, 5, 5, 6], values: randomArray(300, 3) }, { shape: [2, 9, 7, 6], values: randomArray(756, 4) }],
    (x, dy) => tf.grad((t: tf.Tensor) => tf.image.resizeBilinear(t as tf.Tensor4D, [9, 7], false, false))(x, dy));
});

/**
 * Independent reference of the kernel's arithmetic: tfjs-backend-cpu's source coordinates in
 * f64 (ratio, floor / ceil clamped), the fraction rounded to f32, and the blend
 * top = tl + (tr - tl)·xf, bottom = bl + (br - bl)·xf, y = top + (bottom - top)·yf with every
 * operation rounded to f32 (Math.fround: exact f32 add / sub / mul).
 */
function resizeRefF32(x: Float32Array, [n, ih, iw, c]: number[], oh: number, ow: number, ac: boolean, hpc: boolean): Float32Array {
  const f = Math.fround;
  const taps = (inS: number, outS: number) => {
    const ratio = ac && outS > 1 ? (inS - 1) / (outS - 1) : inS / outS;
    return Array.from({ length: outS }, (_, d) => {
      const src = hpc ? ratio * (d + 0.5) - 0.5 : ratio * d;
      const lo = Math.max(0, Math.floor(src));
      return { lo, hi: Math.min(inS - 1, Math.ceil(src)), w: f(src - lo) };
    });
  };
  const rt = taps(ih, oh), ct = taps(iw, ow);
  const y = new Float32Array(n * oh * ow * c);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (const r of rt) {
      for (const q of ct) {
        const at = (row: number, col: number, k: number) => x[((b * ih + row) * iw + col) * c + k];
        for (let k = 0; k < c; k++) {
          const tl = at(r.lo, q.lo, k), tr = at(r.lo, q.hi, k), bl = at(r.hi, q.lo, k), br = at(r.hi, q.hi, k);
          const top = f(tl + f(f(tr - tl) * q.w));
          const bot = f(bl + f(f(br - bl) * q.w));
          y[o++] = f(top + f(f(bot - top) * r.w));
        }
      }
    }
  }
  return y;
}

/** Index of the first element whose bits differ (NaNs compare equal), or -1. */
function firstBitDiff(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return a.length === b.length ? -1 : Math.min(a.length, b.length);
}

test('resizeBilinear: both kernel paths and tf.image.resizeBilinear = f32 reference bit for bit, near cpu', async () => {
  // Random geometries (seeded): each axis up or down by up to ~8x, sizes 1..40; plus fixed ones:
  // the DeepLab 21-class upsample (scaled down), identical rows (alignCorners, exact ratios), 1-row inputs.
  let seed = 12345;
  const rnd = (k: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % k; };
  const geoms: Array<[number, number, number, number]> = [[9, 9, 65, 65], [5, 5, 9, 9], [1, 4, 6, 9], [17, 3, 5, 12], [2, 7, 31, 2]];
  for (let i = 0; i < 10; i++) geoms.push([1 + rnd(20), 1 + rnd(20), 1 + rnd(40), 1 + rnd(40)]);
  const be = () => tf.backend() as BackendSimd;
  let worstCpu = 0, cases = 0;
  for (const C of [1, 3, 12, 21, 64, 256]) {
    for (const [gi, [ih, iw, oh, ow]] of geoms.entries()) {
      if (C === 256 && gi % 3 !== 0) continue;  // keep the big-channel runs short
      const n = 2 + (gi % 2);
      const shape = [n, ih, iw, C];
      const xv = randomArray(n * ih * iw * C, gi * 97 + C);
      for (const [ac, hpc] of FLAGS) {
        const label = `N=${n} C=${C} ${ih}x${iw}->${oh}x${ow} ac=${ac} hpc=${hpc}`;
        const want = resizeRefF32(xv, shape, oh, ow, ac, hpc);
        await tf.setBackend('simd');
        const heap0 = be().memory().heapBytesInUse;
        const x = tf.tensor4d(xv, shape as [number, number, number, number]);
        for (const path of ['pixel', 'rows'] as const) {
          const out = resizeBilinearNative(be(), x, bilinearTaps(ih, oh, ac, hpc), bilinearTaps(iw, ow, ac, hpc), path);
          assert.equal(out.shape, [n, oh, ow, C]);
          const got = (be().view(out) as Float32Array).slice();
          be().disposeData(out.dataId);
          const d = firstBitDiff(got, want);
          assert.is(d, -1, `${label} path=${path}: [${d}] got ${got[d]} want ${want[d]}`);
        }
        const y = tf.image.resizeBilinear(x, [oh, ow], ac, hpc);
        const got = y.dataSync() as Float32Array;
        const d = firstBitDiff(got, want);
        assert.is(d, -1, `${label} auto: [${d}] got ${got[d]} want ${want[d]}`);
        tf.dispose([x, y]);
        assert.is(be().memory().heapBytesInUse, heap0, `${label}: heap blocks freed`);
        // tfjs cpu blends in f64 with f64 fractions and rounds once: a few f32 ulps from the f32 blend.
        await tf.setBackend('cpu');
        const yc = tf.image.resizeBilinear(tf.tensor4d(xv, shape as [number, number, number, number]), [oh, ow], ac, hpc);
        const wc = yc.dataSync();
        tf.dispose(yc);
        for (let i = 0; i < wc.length; i++) {
          const e = Math.abs(wc[i] - got[i]);
          assert.ok(e <= 4e-7, `${label}: [${i}] cpu ${wc[i]} simd ${got[i]}`);
          worstCpu = Math.max(worstCpu, e);
        }
        cases++;
      }
    }
  }
  assert.ok(cases > 150, `${cases} cases`);
  assert.ok(worstCpu > 0, 'the f32 and f64 blends differ somewhere (the cpu comparison can fail)');
});

test('resizeBilinearNative: taps outside the input throw and leak nothing', async () => {
  await tf.setBackend('simd');
  const be = tf.backend() as BackendSimd;
  const x = tf.zeros([1, 3, 3, 2]);
  const heap0 = be.memory().heapBytesInUse;
  const bad = { lo: Int32Array.of(0, 3), hi: Int32Array.of(1, 3), frac: Float64Array.of(0, 0) };
  assert.throws(() => resizeBilinearNative(be, x, bad, bilinearTaps(3, 2, false, false)), /row tap 1 \(3, 3\) outside \[0, 3\)/);
  assert.throws(() => resizeBilinearNative(be, x, bilinearTaps(3, 2, false, false), bad, 'rows'), /column tap 1/);
  assert.is(be.memory().heapBytesInUse, heap0);
  x.dispose();
});

test('bilinearTaps: clamps like tfjs and rejects bad sizes', () => {
  const t = bilinearTaps(4, 8, false, true);
  assert.is(t.lo[0], 0);
  assert.is(t.hi[0], 0);
  assert.is(t.lo[7], 3);
  assert.is(t.hi[7], 3);
  assert.throws(() => bilinearTaps(4, 1.5, false, false), /outSize must be an integer/);
});

test.run();
