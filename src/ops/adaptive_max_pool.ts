/**
 * `adaptiveMaxPool2d`: PyTorch's `F.adaptive_max_pool2d` on NHWC, for any input/output sizes
 * (out need not divide in, and may exceed it), and `spatialPyramidPool`, the spatial pyramid
 * pooling layer of SPP-net (He et al., "Spatial Pyramid Pooling in Deep Convolutional Networks
 * for Visual Recognition", ECCV 2014 / TPAMI 2015).
 *
 * PyTorch's bins (aten AdaptiveMaxPooling2d): output row i takes the max over input rows
 * [floor(i·H/outH), ceil((i+1)·H/outH)), columns likewise; bins may overlap or repeat rows.
 *
 * - `simd` (active backend, float32): one native pass, assembly/ops.ts `adaptiveMaxPool2d`
 *   (f32x4 lanes over channels); the custom gradient is the native `adaptiveMaxPool2dGrad`
 *   (dy scatter-added at the first maximum of each bin in row-major order, as ATen).
 * - indices (`returnIndices`, PyTorch's `return_indices=True`, {@link adaptiveMaxPool2dWithIndices}):
 *   on `simd` the native `adaptiveMaxPool2dWithIndices` (values and h·W + w per output, ATen's
 *   first-maximum / NaN rule), elsewhere a composite (separable arg-max; values gathered).
 * - elsewhere: out dividing in = `tf.maxPool` with kernel = stride = in/out; otherwise max is
 *   separable, so one `tf.slice` + `tf.max` per output row, concatenated, then the same per
 *   output column (outH + outW small ops). Values are exact (a max of stored floats);
 *   differentiable through tfjs's own gradients (note: tfjs's Max gradient gives dy to every
 *   input equal to the maximum, PyTorch only to the first: they differ only on exact ties).
 */
import * as tf from '@tensorflow/tfjs-core';
import { wasmFn } from '../backend/kernel_utils';
import { activeSimd, expectNHWC, fromNative } from './util.js';

/** A user value for an error message: arrays as [a, b], NaN and ±Infinity as such, strings quoted. */
function describe(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(describe).join(', ')}]`;
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
import { adaptiveAvgPool2d, adaptiveBin, type AdaptiveSize } from './adaptive_avg_pool.js';

function normalizeSize(op: string, size: AdaptiveSize, h: number, w: number): [number, number] {
  const s: [number | null, number | null] = typeof size === 'number' ? [size, size] : size;
  if (!Array.isArray(s) || s.length !== 2) throw new Error(`${op}: outputSize must be a number or [h, w], got ${describe(size)}`);
  const out: [number, number] = [s[0] ?? h, s[1] ?? w];
  for (const v of out) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${op}: output sizes must be integers >= 1, got ${describe(size)}`);
  }
  return out;
}

/** Max over the adaptive bins along one axis (1 = H, 2 = W) of t: [.., n, ..] -> [.., out, ..]. */
function maxAlong(t: tf.Tensor4D, axis: 1 | 2, out: number): tf.Tensor4D {
  const n = t.shape[axis];
  if (out === n) return t;
  const parts: tf.Tensor4D[] = [];
  for (let i = 0; i < out; i++) {
    const [s, e] = adaptiveBin(i, n, out);
    const begin = [0, 0, 0, 0];
    const size = [-1, -1, -1, -1];
    begin[axis] = s;
    size[axis] = e - s;
    const sl = tf.slice(t, begin, size);
    parts.push(e - s === 1 ? sl : tf.max(sl, axis, true) as tf.Tensor4D);
  }
  return tf.concat(parts, axis);
}

/** Composite of tfjs ops (any backend), differentiable. */
function adaptiveMaxComposite(x: tf.Tensor4D, oh: number, ow: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (h % oh === 0 && w % ow === 0) {
    const k: [number, number] = [h / oh, w / ow];
    return tf.maxPool(x, k, k, 'valid');
  }
  return tf.tidy(() => maxAlong(maxAlong(x, 1, oh), 2, ow));
}

/** Options of {@link adaptiveMaxPool2d}. */
export interface AdaptiveMaxPool2dOptions {
  /**
   * PyTorch's `return_indices`: also return, per output, the index h·W + w of its maximum in the
   * input's (n, c) plane (see {@link adaptiveMaxPool2dWithIndices}). Default false.
   */
  returnIndices?: boolean;
}

/** Input checks shared by the values and indices paths; returns the NHWC input and [outH, outW]. */
function checkInput(op: string, x: tf.Tensor, outputSize: AdaptiveSize): { x4: tf.Tensor4D; oh: number; ow: number } {
  const x4 = expectNHWC(x, op);
  const [, h, w] = x4.shape;
  if (h < 1 || w < 1) throw new Error(`${op}: input [${x4.shape.join(', ')}] has an empty spatial dimension`);
  const [oh, ow] = normalizeSize(op, outputSize, h, w);
  return { x4, oh, ow };
}

/** The native gradient of the simd path (dy to the first maximum of each bin, accumulated). */
function nativeGrad(backend: NonNullable<ReturnType<typeof activeSimd>>, xi: tf.Tensor, dy: tf.Tensor, oh: number, ow: number): tf.Tensor {
  const [n, h, w, c] = xi.shape as [number, number, number, number];
  if (activeSimd(dy) !== backend) {  // backend switched since the forward pass: the composite's gradient
    return tf.grad((t: tf.Tensor) => adaptiveMaxComposite(t as tf.Tensor4D, oh, ow))(xi, dy);
  }
  const dx = backend.makeOutput([n, h, w, c], 'float32');
  wasmFn(backend, 'adaptiveMaxPool2dGrad')(backend.ptr(xi), backend.ptr(dy), backend.ptr(dx), n, h, w, c, oh, ow);
  return fromNative(dx, backend);
}

/**
 * PyTorch `F.adaptive_max_pool2d(x, outputSize)` for an NHWC input [N, H, W, C] ->
 * [N, outH, outW, C] float32. `outputSize`: a number or [h, w] (null keeps that input
 * dimension). An output equal to the input size returns `x` itself. With
 * `{ returnIndices: true }` (PyTorch's `return_indices=True`) returns [values, indices] as
 * {@link adaptiveMaxPool2dWithIndices}. Differentiable on every backend (see the module doc for
 * tie handling).
 * @throws for a non-rank-4 input, an empty spatial input, or output sizes that are not
 *   integers >= 1.
 */
export function adaptiveMaxPool2d(x: tf.Tensor, outputSize: AdaptiveSize): tf.Tensor4D;
export function adaptiveMaxPool2d(x: tf.Tensor, outputSize: AdaptiveSize, options: { returnIndices: true }): [tf.Tensor4D, tf.Tensor4D];
export function adaptiveMaxPool2d(x: tf.Tensor, outputSize: AdaptiveSize, options?: AdaptiveMaxPool2dOptions): tf.Tensor4D | [tf.Tensor4D, tf.Tensor4D];
export function adaptiveMaxPool2d(x: tf.Tensor, outputSize: AdaptiveSize, options: AdaptiveMaxPool2dOptions = {}): tf.Tensor4D | [tf.Tensor4D, tf.Tensor4D] {
  if (options?.returnIndices) return adaptiveMaxPool2dWithIndices(x, outputSize);
  const { x4, oh, ow } = checkInput('adaptiveMaxPool2d', x, outputSize);
  const [n, h, w, c] = x4.shape;
  if (oh === h && ow === w) return x4;
  const backend = activeSimd(x4);
  if (backend == null || n * c === 0) return adaptiveMaxComposite(x4, oh, ow);
  const f = tf.customGrad(((xi: tf.Tensor) => {
    const out = backend.makeOutput([n, oh, ow, c], 'float32');
    wasmFn(backend, 'adaptiveMaxPool2d')(backend.ptr(xi), backend.ptr(out), n, h, w, c, oh, ow);
    return { value: fromNative(out, backend), gradFunc: (dy: tf.Tensor) => nativeGrad(backend, xi, dy, oh, ow) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x4) as tf.Tensor4D;
}

/**
 * Per output column (axis 2) or row (axis 1) bin of the index composite: over the bin's taps, the
 * max of the non-NaN values, the smallest flat index holding it (the first maximum in row-major
 * order) and the largest flat index holding a NaN (−1 if none).
 */
function binArgMax(m: tf.Tensor4D, first: tf.Tensor4D, lastNaN: tf.Tensor4D, axis: 1 | 2, out: number, big: number) {
  const n = m.shape[axis];
  const ms: tf.Tensor[] = [], fs: tf.Tensor[] = [], ls: tf.Tensor[] = [];
  for (let i = 0; i < out; i++) {
    const [s, e] = adaptiveBin(i, n, out);
    const begin = [0, 0, 0, 0], size = [-1, -1, -1, -1];
    begin[axis] = s;
    size[axis] = e - s;
    const mv = tf.slice(m, begin, size), fv = tf.slice(first, begin, size), lv = tf.slice(lastNaN, begin, size);
    const mx = tf.max(mv, axis, true);
    ms.push(mx);
    fs.push(tf.min(tf.where(tf.equal(mv, mx), fv, tf.fill(fv.shape, big, 'int32')), axis, true));
    ls.push(tf.max(lv, axis, true));
  }
  return { m: tf.concat(ms, axis) as tf.Tensor4D, first: tf.concat(fs, axis) as tf.Tensor4D, lastNaN: tf.concat(ls, axis) as tf.Tensor4D };
}

/**
 * Indices composite (any backend): max is separable, and so is its first position in row-major
 * order, so one pass over the output columns (per input row: bin max, its first column, the last
 * NaN column) and one over the output rows (the first row reaching the bin max; the last NaN)
 * gives ATen's index. NaN: ATen's `val > max || isnan(val)` makes the last NaN of a bin win;
 * NaNs are masked to −inf for the max and tracked apart. Values are gathered from x at the
 * indices (exact, NaN included; the gradient of the gather sends dy to that index, accumulating
 * over overlapping bins, as ATen).
 */
function adaptiveMaxIndicesComposite(x: tf.Tensor4D, oh: number, ow: number): [tf.Tensor4D, tf.Tensor4D] {
  const [n, h, w, c] = x.shape;
  // No (image, channel) plane: empty values and indices of the output shape (tf.broadcastTo
  // below cannot make a 0-sized shape from [1, h, w, 1]).
  if (n * c === 0) return [tf.zeros([n, oh, ow, c], x.dtype) as tf.Tensor4D, tf.zeros([n, oh, ow, c], 'int32') as tf.Tensor4D];
  const indices = tf.tidy(() => {
    const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
    const nan = tf.isNaN(xf);
    const clean = tf.where(nan, tf.fill(x.shape, -Infinity), xf) as tf.Tensor4D;
    // flat index h·W + w of every input position, and −1 / that index for the NaN track
    const flat = tf.tensor4d(Int32Array.from({ length: h * w }, (_, i) => i), [1, h, w, 1], 'int32');
    const flatB = tf.broadcastTo(flat, x.shape) as tf.Tensor4D;
    const nanIdx = tf.where(nan, flatB, tf.fill(x.shape, -1, 'int32')) as tf.Tensor4D;
    const cols = binArgMax(clean, flatB, nanIdx, 2, ow, h * w);
    const rows = binArgMax(cols.m, cols.first, cols.lastNaN, 1, oh, h * w);
    return tf.where(tf.greaterEqual(rows.lastNaN, 0), rows.lastNaN, rows.first) as tf.Tensor4D;
  });
  // NHWC flat position of (b, idx = h·W + w, ch): (b·H·W + idx)·C + ch
  const pos = tf.tidy(() => {
    const offsets = new Int32Array(n * c);
    for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) offsets[b * c + ch] = b * h * w * c + ch;
    return tf.reshape(tf.add(tf.mul(indices, tf.scalar(c, 'int32')), tf.tensor4d(offsets, [n, 1, 1, c], 'int32')), [-1]) as tf.Tensor1D;
  });
  try {
    // A custom gradient keeps the index computation (isNaN, equal, where, min: no float
    // gradients) off the gradient path: values depend on x only through the gather, whose
    // gradient scatter-adds dy at the positions (saved with the tape node while one records).
    const f = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
      save([pos]);
      const value = tf.reshape(tf.gather(tf.reshape(xi, [-1]), pos), [n, oh, ow, c]);
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.reshape(tf.unsortedSegmentSum(tf.reshape(dy, [-1]), saved[0] as tf.Tensor1D, n * h * w * c), [n, h, w, c]);
      return { value, gradFunc };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return [f(x) as tf.Tensor4D, indices];
  } catch (e) {
    indices.dispose();
    throw e;
  } finally {
    pos.dispose();
  }
}

/**
 * PyTorch `F.adaptive_max_pool2d(x, outputSize, return_indices=True)` (=
 * `F.adaptive_max_pool2d_with_indices`) on NHWC: x [N, H, W, C] -> [values [N, outH, outW, C]
 * (x's dtype), indices [N, outH, outW, C] int32]. indices[n, i, j, c] = h·W + w, the position of
 * the bin's maximum in the flattened H·W plane of (n, c) — what torch returns (int64, NCHW
 * [N, C, outH, outW]) for the same plane. Bins as {@link adaptiveMaxPool2d}; the FIRST maximum in
 * row-major order on ties; NaN as ATen (`val > max || isnan(val)`: a NaN wins over every number,
 * the last NaN of a bin gives the index, the value is NaN); a bin of only −inf gives its first
 * position. The values are exactly torch's (also the sign of a zero). Always new tensors (also
 * when the output size equals the input's). Values are differentiable (dy goes to the index,
 * accumulated over overlapping bins, as ATen); indices are not.
 * - `simd` (float32): one native pass, assembly/ops.ts `adaptiveMaxPool2dWithIndices`.
 * - elsewhere: a composite of tfjs ops (separable arg-max over columns, then rows; values
 *   gathered at the indices), O(outH + outW) small ops.
 * @throws for a non-rank-4 input, an empty spatial input, or output sizes that are not
 *   integers >= 1.
 */
export function adaptiveMaxPool2dWithIndices(x: tf.Tensor, outputSize: AdaptiveSize): [tf.Tensor4D, tf.Tensor4D] {
  const { x4, oh, ow } = checkInput('adaptiveMaxPool2d', x, outputSize);
  const [n, h, w, c] = x4.shape;
  const backend = activeSimd(x4);
  if (backend == null || n * c === 0) return adaptiveMaxIndicesComposite(x4, oh, ow);
  // The indices buffer is allocated before the custom-gradient op runs (its forward may create
  // only its output: tfjs's leak check under IS_TEST counts data ids) and wrapped afterwards.
  const idx = backend.makeOutput([n, oh, ow, c], 'int32');
  let values: tf.Tensor4D;
  try {
    const f = tf.customGrad(((xi: tf.Tensor) => {
      const out = backend.makeOutput([n, oh, ow, c], 'float32');
      wasmFn(backend, 'adaptiveMaxPool2dWithIndices')(backend.ptr(xi), backend.ptr(out), backend.ptr(idx), n, h, w, c, oh, ow);
      return { value: fromNative(out, backend), gradFunc: (dy: tf.Tensor) => nativeGrad(backend, xi, dy, oh, ow) };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    values = f(x4) as tf.Tensor4D;
  } catch (e) {
    backend.disposeData(idx.dataId);
    throw e;
  }
  return [values, fromNative(idx, backend) as tf.Tensor4D];
}

/** Options of `spatialPyramidPool`. */
export interface SpatialPyramidPoolOptions {
  /** Pyramid levels: level l pools into l×l bins. Default [1, 2, 4]; integers >= 1. */
  levels?: number[];
  /** 'max' (SPP-net, default) or 'avg' (adaptiveAvgPool2d bins). */
  pool?: 'max' | 'avg';
}

/** Validates SPP levels; returns a copy. */
export function sppLevels(levels: unknown, op = 'spatialPyramidPool'): number[] {
  if (!Array.isArray(levels) || levels.length === 0 || !levels.every((l) => Number.isInteger(l) && l >= 1)) {
    throw new Error(`${op}: levels must be a non-empty array of integers >= 1, got ${JSON.stringify(levels)}`);
  }
  return levels.slice();
}

/**
 * Flattens pooled levels [N, l, l, C] (NHWC) in PyTorch's NCHW order and concatenates them:
 * level by level, each as `y.permute(0,3,1,2).reshape(N, -1)` (channel-major, then row, column).
 */
export function flattenPyramid(pooled: tf.Tensor4D[]): tf.Tensor2D {
  return tf.tidy(() => {
    const flat = pooled.map((y) => tf.reshape(tf.transpose(y, [0, 3, 1, 2]), [y.shape[0], -1]) as tf.Tensor2D);
    return flat.length === 1 ? flat[0] : tf.concat(flat, 1);
  });
}

/**
 * Spatial pyramid pooling (SPP-net): for each level l, `adaptiveMaxPool2d(x, [l, l])` (or the avg
 * variant), flattened in PyTorch's NCHW order and concatenated: x [N, H, W, C] (NHWC, any H, W)
 * -> [N, C·Σ l²] float32, the fixed-length vector a fully connected layer can take whatever the
 * input size. Same as the usual PyTorch SPP layer `torch.cat([F.adaptive_max_pool2d(x, l)
 * .view(N, -1) for l in levels], 1)` on the NCHW tensor. Differentiable.
 * @throws for a non-rank-4 input, an empty spatial input, or bad levels.
 */
export function spatialPyramidPool(x: tf.Tensor, options: SpatialPyramidPoolOptions | number[] = {}): tf.Tensor2D {
  const o: SpatialPyramidPoolOptions = Array.isArray(options) ? { levels: options } : options ?? {};
  const levels = sppLevels(o.levels ?? [1, 2, 4]);
  const pool = o.pool ?? 'max';
  if (pool !== 'max' && pool !== 'avg') throw new Error(`spatialPyramidPool: pool must be 'max' or 'avg', got ${JSON.stringify(pool)}`);
  const x4 = expectNHWC(x, 'spatialPyramidPool');
  return tf.tidy(() => flattenPyramid(levels.map((l) => pool === 'max'
    ? adaptiveMaxPool2d(x4, l)
    : adaptiveAvgPool2d(x4, l))));
}
