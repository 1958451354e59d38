/**
 * `adaptiveAvgPool2d`: PyTorch's `F.adaptive_avg_pool2d` on NHWC, for any input/output sizes
 * (out need not divide in, and may exceed it).
 *
 * PyTorch's bins (aten AdaptiveAveragePooling): output row i averages input rows
 * [floor(i·H/outH), ceil((i+1)·H/outH)), columns likewise; bins may overlap or repeat rows.
 *
 * - `simd` (active backend, float32): one native pass, assembly/ops.ts `adaptiveAvgPool2d`
 *   (SIMD over channels); its custom gradient is the transposed pooling (below), run by the
 *   backend's native matmul.
 * - elsewhere: 1×1 output = `tf.mean` over H, W; out dividing in = `tf.avgPool` with
 *   kernel = stride = in/out; otherwise two matmuls with the [out × in] pooling matrices
 *   P[i, h] = 1/|bin i| for h in bin i (y = P_H · x · P_Wᵀ per channel). All differentiable.
 */
import * as tf from '@tensorflow/tfjs-core';
import { wasmFn } from '../backend/kernel_utils';
import { activeSimd, expectNHWC, fromNative } from './util.js';

/** Output size: a number (square), or [h, w] where null keeps that input dimension (PyTorch's None). */
export type AdaptiveSize = number | [number | null, number | null];

/** PyTorch's adaptive bin [start, end) of output index i for n inputs and `out` outputs. */
export function adaptiveBin(i: number, n: number, out: number): [number, number] {
  return [Math.floor((i * n) / out), Math.ceil(((i + 1) * n) / out)];
}

/** The [out, n] pooling matrix: row i is 1/|bin i| on bin i, 0 elsewhere. */
function poolMatrix(out: number, n: number): Float32Array {
  const m = new Float32Array(out * n);
  for (let i = 0; i < out; i++) {
    const [s, e] = adaptiveBin(i, n, out);
    for (let h = s; h < e; h++) m[i * n + h] = 1 / (e - s);
  }
  return m;
}

/**
 * Applies a = pooling matrix [A2, A] along H and b = [B2, B] along W to t [N, A, B, C]:
 * result [N, A2, B2, C] (rank-2 matmuls only, so every backend's MatMul serves it).
 */
function applyMatrices(t: tf.Tensor4D, a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor4D {
  const [n, ah, bw, c] = t.shape;
  const a2 = a.shape[0];
  const b2 = b.shape[0];
  let u: tf.Tensor = tf.reshape(tf.transpose(t, [1, 0, 2, 3]), [ah, n * bw * c]); // [A, N*B*C]
  u = tf.reshape(tf.matMul(a, u as tf.Tensor2D), [a2, n, bw, c]); // [A2, N, B, C]
  u = tf.reshape(tf.transpose(u, [2, 0, 1, 3]), [bw, a2 * n * c]); // [B, A2*N*C]
  u = tf.reshape(tf.matMul(b, u as tf.Tensor2D), [b2, a2, n, c]); // [B2, A2, N, C]
  return tf.transpose(u, [2, 1, 0, 3]) as tf.Tensor4D; // [N, A2, B2, C]
}

function normalizeSize(size: AdaptiveSize, h: number, w: number): [number, number] {
  const s: [number | null, number | null] = typeof size === 'number' ? [size, size] : size;
  if (!Array.isArray(s) || s.length !== 2) throw new Error(`adaptiveAvgPool2d: outputSize must be a number or [h, w], got ${JSON.stringify(size)}`);
  const out: [number, number] = [s[0] ?? h, s[1] ?? w];
  for (const v of out) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`adaptiveAvgPool2d: output sizes must be integers >= 1, got ${JSON.stringify(size)}`);
  }
  return out;
}

/** Composite of tfjs ops (any backend), differentiable. */
function adaptiveComposite(x: tf.Tensor4D, oh: number, ow: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (oh === 1 && ow === 1) return tf.mean(x, [1, 2], true) as tf.Tensor4D;
  if (h % oh === 0 && w % ow === 0) {
    const k: [number, number] = [h / oh, w / ow];
    return tf.avgPool(x, k, k, 'valid');
  }
  return tf.tidy(() => applyMatrices(x, tf.tensor2d(poolMatrix(oh, h), [oh, h]), tf.tensor2d(poolMatrix(ow, w), [ow, w])));
}

/**
 * PyTorch `F.adaptive_avg_pool2d(x, outputSize)` for an NHWC input [N, H, W, C] ->
 * [N, outH, outW, C]. `outputSize`: a number or [h, w] (null keeps the input size). An output
 * equal to the input size returns `x` itself. Differentiable on every backend.
 * @throws for a non-rank-4 input, an empty spatial input, or output sizes that are not
 *   integers >= 1.
 */
export function adaptiveAvgPool2d(x: tf.Tensor, outputSize: AdaptiveSize): tf.Tensor4D {
  const x4 = expectNHWC(x, 'adaptiveAvgPool2d');
  const [n, h, w, c] = x4.shape;
  if (h < 1 || w < 1) throw new Error(`adaptiveAvgPool2d: input [${x4.shape.join(', ')}] has an empty spatial dimension`);
  const [oh, ow] = normalizeSize(outputSize, h, w);
  if (oh === h && ow === w) return x4;
  const backend = activeSimd(x4);
  if (backend == null || n * c === 0) return adaptiveComposite(x4, oh, ow);
  const f = tf.customGrad(((xi: tf.Tensor) => {
    const out = backend.makeOutput([n, oh, ow, c], 'float32');
    wasmFn(backend, 'adaptiveAvgPool2d')(backend.ptr(xi), backend.ptr(out), n, h, w, c, oh, ow);
    const value = fromNative(out, backend);
    // dx = P_Hᵀ · dy · P_W (the adjoint of y = P_H · x · P_Wᵀ)
    const gradFunc = (dy: tf.Tensor) => tf.tidy(() => applyMatrices(dy as tf.Tensor4D,
        tf.transpose(tf.tensor2d(poolMatrix(oh, h), [oh, h])), tf.transpose(tf.tensor2d(poolMatrix(ow, w), [ow, w]))));
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x4) as tf.Tensor4D;
}
