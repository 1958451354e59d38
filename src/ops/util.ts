/**
 * Shared helpers of src/ops: argument normalisation, PyTorch's pooling output-size rule, and
 * the bridge between a native `simd` kernel result (a backend `TensorInfo`) and a `tf.Tensor`.
 *
 * The backend check lives here and in the op files only: models and layers never ask which
 * backend runs them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend/backend_simd';

/** A PyTorch `_pair` argument: one number for both spatial dims, or [h, w]. */
export type Pair = number | [number, number];

/** PyTorch's `_pair` with validation: integers >= `min`. */
export function pair(v: Pair, what: string, min = 0): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? [v[0], v[1]] : [NaN, NaN];
  for (const x of p) {
    if (!Number.isInteger(x) || x < min) throw new Error(`${what} must be integer(s) >= ${min}, got ${JSON.stringify(v)}`);
  }
  return p;
}

/** Throws unless `x` is a rank-4 NHWC tensor; returns it typed. */
export function expectNHWC(x: tf.Tensor, op: string): tf.Tensor4D {
  if (!(x instanceof tf.Tensor)) throw new Error(`${op}: expected a tf.Tensor input`);
  if (x.rank !== 4) throw new Error(`${op}: expected a rank-4 NHWC input [N, H, W, C], got shape [${x.shape.join(', ')}]`);
  return x as tf.Tensor4D;
}

/**
 * PyTorch's pooling output size (aten `pooling_output_shape`): with the effective kernel
 * `e = dilation*(k-1)+1`, `out = floor_or_ceil((n + 2p - e) / s) + 1`, and in ceil mode the last
 * window is dropped when it would start at or beyond `n + p` (inside the right/bottom padding).
 */
export function torchPoolOutSize(n: number, k: number, s: number, p: number, d: number, ceilMode: boolean): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  let out = Math.floor((span + (ceilMode ? s - 1 : 0)) / s) + 1;
  if (ceilMode && (out - 1) * s >= n + p) out--;
  return out;
}

/** Geometry of a PyTorch 2-D pooling call on an NHWC input. */
export interface TorchPoolGeometry {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  ceilMode: boolean;
  /** [outH, outW] by PyTorch's rule. */
  out: [number, number];
  /**
   * Extra bottom/right padding so that a floor-mode ('valid'/explicit) tfjs pool of the input
   * padded [p, p + extra] yields exactly `out` windows (> 0 only for ceil-mode partial windows).
   */
  extra: [number, number];
}

export interface TorchPoolArgs {
  kernelSize: Pair;
  /** Default: kernelSize (PyTorch's stride=None). */
  stride?: Pair | null;
  /** Default 0. */
  padding?: Pair;
  /** Default 1. */
  dilation?: Pair;
  /** Default false. */
  ceilMode?: boolean;
}

/**
 * Validates PyTorch pooling arguments against an input of spatial size [h, w] and computes the
 * output size (PyTorch's checks: padding at most half the kernel, output at least 1).
 */
export function torchPoolGeometry(op: string, h: number, w: number, args: TorchPoolArgs): TorchPoolGeometry {
  const kernel = pair(args.kernelSize, `${op} kernelSize`, 1);
  const stride = args.stride == null ? kernel : pair(args.stride, `${op} stride`, 1);
  const padding = pair(args.padding ?? 0, `${op} padding`, 0);
  const dilation = pair(args.dilation ?? 1, `${op} dilation`, 1);
  const ceilMode = !!args.ceilMode;
  for (let i = 0; i < 2; i++) {
    if (padding[i] > kernel[i] / 2) {
      throw new Error(`${op}: pad should be at most half of effective kernel size, but got pad=${padding[i]}, kernel_size=${kernel[i]}`);
    }
  }
  const out: [number, number] = [
    torchPoolOutSize(h, kernel[0], stride[0], padding[0], dilation[0], ceilMode),
    torchPoolOutSize(w, kernel[1], stride[1], padding[1], dilation[1], ceilMode),
  ];
  if (out[0] < 1 || out[1] < 1) {
    throw new Error(`${op}: Given input size: ${h}x${w} (H x W). Calculated output size: ${out[0]}x${out[1]}. Output size is too small`);
  }
  const extra: [number, number] = [0, 1].map((i) => {
    const eff = dilation[i] * (kernel[i] - 1) + 1;
    const n = i === 0 ? h : w;
    return Math.max(0, (out[i] - 1) * stride[i] + eff - (n + 2 * padding[i]));
  }) as [number, number];
  return { kernel, stride, padding, dilation, ceilMode, out, extra };
}

/** tfjs explicit NHWC padding for a geometry: [[0,0],[p, p+extra],[p, p+extra],[0,0]], or 'valid'. */
export function explicitPad(g: TorchPoolGeometry): 'valid' | [[number, number], [number, number], [number, number], [number, number]] {
  const [ph, pw] = g.padding;
  const [eh, ew] = g.extra;
  if (ph === 0 && pw === 0 && eh === 0 && ew === 0) return 'valid';
  return [[0, 0], [ph, ph + eh], [pw, pw + ew], [0, 0]];
}

/**
 * Rows 0, sh, 2·sh, … and columns 0, sw, … of an NHWC tensor: [N, ceil(H/sh), ceil(W/sw), C].
 * Pad + reshape + slice, all differentiable in tfjs (StridedSlice has no gradient there).
 */
export function subsample(t: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return t;
  return tf.tidy(() => {
    const [n, h, w, c] = t.shape;
    const oh = Math.ceil(h / sh);
    const ow = Math.ceil(w / sw);
    const padded = oh * sh > h || ow * sw > w ? tf.pad(t, [[0, 0], [0, oh * sh - h], [0, ow * sw - w], [0, 0]]) : t;
    const picked = tf.slice(tf.reshape(padded, [n, oh, sh, ow, sw, c]), [0, 0, 0, 0, 0, 0], [n, oh, 1, ow, 1, c]);
    return tf.reshape(picked, [n, oh, ow, c]) as tf.Tensor4D;
  });
}

/** The `simd` backend instance when it is the active backend and `x` is float32, else null. */
export function activeSimd(x: tf.Tensor): BackendSimd | null {
  if (x.dtype !== 'float32' || tf.getBackend() !== 'simd') return null;
  return tf.backend() as unknown as BackendSimd;
}

/**
 * Wraps the output of a native kernel (a TensorInfo allocated by `backend.makeOutput`) as a
 * tracked tf.Tensor (tidy scopes and memory accounting see it like any kernel output).
 */
export function fromNative(info: tf.TensorInfo, backend: BackendSimd): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(info, backend as unknown as tf.KernelBackend);
}
