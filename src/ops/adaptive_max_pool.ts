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
 * - elsewhere: out dividing in = `tf.maxPool` with kernel = stride = in/out; otherwise max is
 *   separable, so one `tf.slice` + `tf.max` per output row, concatenated, then the same per
 *   output column (outH + outW small ops). Values are exact (a max of stored floats);
 *   differentiable through tfjs's own gradients (note: tfjs's Max gradient gives dy to every
 *   input equal to the maximum, PyTorch only to the first: they differ only on exact ties).
 */
import * as tf from '@tensorflow/tfjs-core';
import { wasmFn } from '../backend/kernel_utils';
import { activeSimd, expectNHWC, fromNative } from './util.js';
import { adaptiveAvgPool2d, adaptiveBin, type AdaptiveSize } from './adaptive_avg_pool.js';

function normalizeSize(op: string, size: AdaptiveSize, h: number, w: number): [number, number] {
  const s: [number | null, number | null] = typeof size === 'number' ? [size, size] : size;
  if (!Array.isArray(s) || s.length !== 2) throw new Error(`${op}: outputSize must be a number or [h, w], got ${JSON.stringify(size)}`);
  const out: [number, number] = [s[0] ?? h, s[1] ?? w];
  for (const v of out) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${op}: output sizes must be integers >= 1, got ${JSON.stringify(size)}`);
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

/**
 * PyTorch `F.adaptive_max_pool2d(x, outputSize)` (values; `return_indices` is not offered) for an
 * NHWC input [N, H, W, C] -> [N, outH, outW, C] float32. `outputSize`: a number or [h, w] (null
 * keeps that input dimension). An output equal to the input size returns `x` itself.
 * Differentiable on every backend (see the module doc for tie handling).
 * @throws for a non-rank-4 input, an empty spatial input, or output sizes that are not
 *   integers >= 1.
 */
export function adaptiveMaxPool2d(x: tf.Tensor, outputSize: AdaptiveSize): tf.Tensor4D {
  const x4 = expectNHWC(x, 'adaptiveMaxPool2d');
  const [n, h, w, c] = x4.shape;
  if (h < 1 || w < 1) throw new Error(`adaptiveMaxPool2d: input [${x4.shape.join(', ')}] has an empty spatial dimension`);
  const [oh, ow] = normalizeSize('adaptiveMaxPool2d', outputSize, h, w);
  if (oh === h && ow === w) return x4;
  const backend = activeSimd(x4);
  if (backend == null || n * c === 0) return adaptiveMaxComposite(x4, oh, ow);
  const f = tf.customGrad(((xi: tf.Tensor) => {
    const out = backend.makeOutput([n, oh, ow, c], 'float32');
    wasmFn(backend, 'adaptiveMaxPool2d')(backend.ptr(xi), backend.ptr(out), n, h, w, c, oh, ow);
    const value = fromNative(out, backend);
    const gradFunc = (dy: tf.Tensor) => {
      const b = activeSimd(dy);
      if (b !== backend) {  // backend switched since the forward pass: the composite's gradient
        return tf.grad((t: tf.Tensor) => adaptiveMaxComposite(t as tf.Tensor4D, oh, ow))(xi, dy);
      }
      const dx = backend.makeOutput([n, h, w, c], 'float32');
      wasmFn(backend, 'adaptiveMaxPool2dGrad')(backend.ptr(xi), backend.ptr(dy), backend.ptr(dx), n, h, w, c, oh, ow);
      return fromNative(dx, backend);
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x4) as tf.Tensor4D;
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
