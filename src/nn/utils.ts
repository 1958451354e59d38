/**
 * Small shape/argument helpers shared by the layers, plus the NCHW <-> NHWC boundary helpers.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A PyTorch `_pair` argument: a number for both spatial dims, or [h, w]. */
export type Pair = number | [number, number];

/** PyTorch's `_pair`: 3 -> [3, 3]; [3, 5] -> [3, 5]. Validates integer >= `min`. */
export function pair(v: Pair, what: string, min = 0): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!Array.isArray(v) && typeof v !== 'number') throw new Error(`${what} must be a number or [h, w], got ${String(v)}`);
  for (const x of p) {
    if (!Number.isInteger(x) || x < min) {
      throw new Error(`${what} must be integer(s) >= ${min}, got ${JSON.stringify(v)}`);
    }
  }
  return p;
}

/** tfjs explicit padding for NHWC: [[0,0],[top,bottom],[left,right],[0,0]]. */
export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** Builds the tfjs explicit NHWC padding [[0,0],[top,bottom],[left,right],[0,0]] (pixels). */
export function explicitPadding(top: number, bottom: number, left: number, right: number): ExplicitPadding {
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

/** 'valid' when all paddings are zero (lets backends take their unpadded path), else explicit. */
export function tfjsPad(p: ExplicitPadding): 'valid' | ExplicitPadding {
  return p[1][0] === 0 && p[1][1] === 0 && p[2][0] === 0 && p[2][1] === 0 ? 'valid' : p;
}

/**
 * NCHW (PyTorch) -> NHWC (tfjs): `tf.transpose(t, [0, 2, 3, 1])`. Returns a new tensor.
 * @throws if `t` is not rank 4.
 */
export function fromNCHW(t: tf.Tensor): tf.Tensor4D {
  if (t.rank !== 4) throw new Error(`fromNCHW expects a rank-4 NCHW tensor, got shape [${t.shape.join(', ')}]`);
  return tf.transpose(t as tf.Tensor4D, [0, 2, 3, 1]);
}

/**
 * NHWC (tfjs) -> NCHW (PyTorch): `tf.transpose(t, [0, 3, 1, 2])`. Returns a new tensor.
 * @throws if `t` is not rank 4.
 */
export function toNCHW(t: tf.Tensor): tf.Tensor4D {
  if (t.rank !== 4) throw new Error(`toNCHW expects a rank-4 NHWC tensor, got shape [${t.shape.join(', ')}]`);
  return tf.transpose(t as tf.Tensor4D, [0, 3, 1, 2]);
}

/**
 * Maps a PyTorch dim (which counts NCHW axes for rank-4 tensors) to the axis of the NHWC tensor
 * that holds it: for rank 4, N->0, C->3, H->1, W->2; other ranks are unchanged. Negative dims
 * count from the end, as in PyTorch.
 */
export function torchDimToAxis(dim: number, rank: number): number {
  const d = dim < 0 ? dim + rank : dim;
  if (!Number.isInteger(d) || d < 0 || d >= rank) {
    throw new Error(`Dimension out of range (expected to be in range of [${-rank}, ${rank - 1}], but got ${dim})`);
  }
  return rank === 4 ? [0, 3, 1, 2][d] : d;
}

/** Asserts a rank-4 NHWC input and returns it typed. */
export function expect4D(x: tf.Tensor, layer: string): tf.Tensor4D {
  if (x.rank !== 4) {
    throw new Error(`${layer}: expected a rank-4 NHWC input [N, H, W, C], got shape [${x.shape.join(', ')}]`);
  }
  return x as tf.Tensor4D;
}

/** Formats a (h, w) pair like PyTorch's module repr, e.g. "(3, 3)". */
export function fmtPair(p: [number, number]): string {
  return `(${p[0]}, ${p[1]})`;
}
