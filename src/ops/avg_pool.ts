/**
 * `avgPool2dTorch`: PyTorch's `F.avg_pool2d` (padding, ceil_mode, count_include_pad,
 * divisor_override) on NHWC.
 *
 * PyTorch's divisor (aten AvgPool2d): a window [hs, hs + k) is first clipped to the padded
 * input [-p, n + p) - that size is the count_include_pad=True divisor - then to [0, n) for the
 * sum and for the count_include_pad=False divisor. tfjs `avgPool` always divides by the in-bounds
 * count (and its gradient by k·k), so neither mode is a plain tfjs call.
 *
 * - `simd` (active backend, float32): one native pass, src/backend/pool_impl.ts `avgPoolImpl`
 *   with the PyTorch output size and symmetric pads (divisor 'padded' or 'valid'), and a custom
 *   gradient running the native `avgPoolGradImpl` with the same divisor.
 * - elsewhere: composite - zero-pad [p, p + extra] (extra = ceil-mode partial windows), tfjs
 *   'valid' average (sum / k·k), times a constant per-window map k·k / divisor. Differentiable.
 */
import * as tf from '@tensorflow/tfjs-core';
import { avgPoolImpl, avgPoolGradImpl, type PoolInfo } from '../backend/pool_impl';
import { type Pair, type TorchPoolGeometry, activeSimd, expectNHWC, fromNative, torchPoolGeometry } from './util.js';

export interface AvgPool2dTorchOptions {
  /** Default: kernelSize. */
  stride?: Pair | null;
  /** Zero padding, default 0; at most half the kernel. */
  padding?: Pair;
  /** PyTorch ceil_mode, default false. */
  ceilMode?: boolean;
  /** PyTorch count_include_pad, default true (PyTorch's default; tfjs behaves like false). */
  countIncludePad?: boolean;
  /** If set (> 0), every window sum is divided by this instead. */
  divisorOverride?: number | null;
}

/** Number of window taps of window `i` inside [lo, hi) (PyTorch's clipping). */
function clipped(i: number, k: number, s: number, p: number, lo: number, hi: number): number {
  const start = i * s - p;
  return Math.max(0, Math.min(start + k, hi) - Math.max(start, lo));
}

/** Per-window divisors [oh*ow] by PyTorch's rule. */
function divisors(g: TorchPoolGeometry, h: number, w: number, countIncludePad: boolean): Float32Array {
  const [oh, ow] = g.out;
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.stride;
  const [ph, pw] = g.padding;
  const d = new Float32Array(oh * ow);
  for (let i = 0; i < oh; i++) {
    const rows = countIncludePad ? clipped(i, kh, sh, ph, -ph, h + ph) : clipped(i, kh, sh, ph, 0, h);
    for (let j = 0; j < ow; j++) {
      const cols = countIncludePad ? clipped(j, kw, sw, pw, -pw, w + pw) : clipped(j, kw, sw, pw, 0, w);
      d[i * ow + j] = rows * cols;
    }
  }
  return d;
}

/** Composite of tfjs ops (any backend), differentiable. */
function avgPoolComposite(x: tf.Tensor4D, g: TorchPoolGeometry, countIncludePad: boolean, divisorOverride: number | null): tf.Tensor4D {
  return tf.tidy(() => {
    const [ph, pw] = g.padding;
    const [eh, ew] = g.extra;
    const [kh, kw] = g.kernel;
    const xp = ph || pw || eh || ew ? tf.pad(x, [[0, 0], [ph, ph + eh], [pw, pw + ew], [0, 0]]) : x;
    const mean = tf.avgPool(xp, g.kernel, g.stride, 'valid'); // sum / (kh*kw): no window reaches past xp
    const [oh, ow] = g.out;
    if (divisorOverride != null) return divisorOverride === kh * kw ? mean : tf.mul(mean, (kh * kw) / divisorOverride);
    const d = divisors(g, x.shape[1], x.shape[2], countIncludePad);
    if (d.every((v) => v === kh * kw)) return mean;
    const factor = new Float32Array(d.length);
    for (let i = 0; i < d.length; i++) factor[i] = (kh * kw) / d[i];
    return tf.mul(mean, tf.tensor4d(factor, [1, oh, ow, 1]));
  });
}

/**
 * PyTorch `F.avg_pool2d(x, kernelSize, stride, padding, ceil_mode, count_include_pad,
 * divisor_override)` for an NHWC float32 input [N, H, W, C] -> [N, Ho, Wo, C] (output size as
 * {@link maxPool2dTorch}). Differentiable on every backend.
 * @throws for a non-rank-4 input, padding larger than half the kernel, an output smaller than
 *   1x1, or divisorOverride <= 0.
 */
export function avgPool2dTorch(x: tf.Tensor, kernelSize: Pair, opts: AvgPool2dTorchOptions = {}): tf.Tensor4D {
  const x4 = expectNHWC(x, 'avgPool2dTorch');
  const g = torchPoolGeometry('avgPool2dTorch', x4.shape[1], x4.shape[2], {
    kernelSize, stride: opts.stride, padding: opts.padding, ceilMode: opts.ceilMode,
  });
  const countIncludePad = opts.countIncludePad ?? true;
  const divisorOverride = opts.divisorOverride ?? null;
  if (divisorOverride != null && !(divisorOverride > 0)) {
    throw new Error(`avgPool2dTorch: divisorOverride must be positive, got ${divisorOverride}`);
  }
  const backend = activeSimd(x4);
  if (backend == null || divisorOverride != null) return avgPoolComposite(x4, g, countIncludePad, divisorOverride);

  // Native: tfjs' pool geometry for symmetric pads, with PyTorch's output size.
  const base = tf.backend_util.computePool2DInfo(x4.shape, g.kernel, g.stride, 1,
      [[0, 0], [g.padding[0], g.padding[0]], [g.padding[1], g.padding[1]], [0, 0]]);
  const [oh, ow] = g.out;
  const info: PoolInfo = { ...base, outHeight: oh, outWidth: ow, outShape: [x4.shape[0], oh, ow, x4.shape[3]] };
  const divisor = countIncludePad ? 'padded' : 'valid';
  const f = tf.customGrad(((xi: tf.Tensor) => {
    const value = fromNative(avgPoolImpl(backend, xi, info, { countIncludePad }), backend);
    const gradFunc = (dy: tf.Tensor) => fromNative(avgPoolGradImpl(backend, dy, info, { divisor }), backend);
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x4) as tf.Tensor4D;
}
