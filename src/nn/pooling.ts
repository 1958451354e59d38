/**
 * Max and average pooling with PyTorch's signatures, on NHWC tensors via `tf.maxPool` /
 * `tf.avgPool`.
 *
 * Sources: torch.nn.MaxPool2d, torch.nn.AvgPool2d. Output size (floor mode):
 * Ho = floor((H + 2ph - kh) / sh) + 1, exactly what tfjs computes for explicit padding.
 * ceil_mode is not supported yet (PyTorch ceil-mode pooling is an op for src/ops).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';
import { type Pair, expect4D, explicitPadding, fmtPair, pair, tfjsPad } from './utils.js';

export interface MaxPool2dOptions {
  /** Default: kernelSize (PyTorch's stride=None). */
  stride?: Pair;
  /** Default 0; implicit -inf padding, at most half the kernel (PyTorch's rule). */
  padding?: Pair;
  /** Only 1 is supported yet. */
  dilation?: Pair;
  /** Only false is supported yet. */
  ceilMode?: boolean;
  /** Only false is supported yet. */
  returnIndices?: boolean;
}

function checkHalfKernel(layer: string, k: [number, number], p: [number, number]): void {
  if (p[0] > k[0] / 2 || p[1] > k[1] / 2) {
    throw new Error(`${layer}: pad should be at most half of effective kernel size, got padding=${fmtPair(p)} kernel_size=${fmtPair(k)}`);
  }
}

/**
 * `MaxPool2d(kernelSize, {stride, padding})`: NHWC [N, H, W, C] -> [N, Ho, Wo, C].
 * Padded cells never win (as PyTorch's -inf padding): tfjs explicit padding is used.
 * @throws for ceilMode, returnIndices, dilation != 1 ("not supported yet"), padding larger than
 *   half the kernel, and non-rank-4 input.
 */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(kernelSize: Pair, opts: MaxPool2dOptions = {}) {
    super();
    if (opts.ceilMode) throw new Error('MaxPool2d: ceilMode=true is not supported yet.');
    if (opts.returnIndices) throw new Error('MaxPool2d: returnIndices=true is not supported yet.');
    const d = pair(opts.dilation ?? 1, 'MaxPool2d dilation', 1);
    if (d[0] !== 1 || d[1] !== 1) throw new Error('MaxPool2d: dilation > 1 is not supported yet.');
    this.kernelSize = pair(kernelSize, 'MaxPool2d kernelSize', 1);
    this.stride = pair(opts.stride ?? this.kernelSize, 'MaxPool2d stride', 1);
    this.padding = pair(opts.padding ?? 0, 'MaxPool2d padding', 0);
    checkHalfKernel('MaxPool2d', this.kernelSize, this.padding);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const [ph, pw] = this.padding;
    return tf.maxPool(expect4D(x, 'MaxPool2d'), this.kernelSize, this.stride, tfjsPad(explicitPadding(ph, ph, pw, pw)));
  }

  override extraRepr(): string {
    return `kernel_size=${fmtPair(this.kernelSize)}, stride=${fmtPair(this.stride)}, padding=${fmtPair(this.padding)}`;
  }
}

export interface AvgPool2dOptions {
  /** Default: kernelSize. */
  stride?: Pair;
  /** Default 0; zero padding, at most half the kernel. */
  padding?: Pair;
  /** Only false is supported yet. */
  ceilMode?: boolean;
  /** Default true (PyTorch): padded zeros count in the divisor. */
  countIncludePad?: boolean;
  /** If set, every window sum is divided by this instead. */
  divisorOverride?: number;
}

/**
 * `AvgPool2d(kernelSize, {stride, padding, countIncludePad, divisorOverride})`:
 * NHWC [N, H, W, C] -> [N, Ho, Wo, C].
 *
 * With padding, this does not use tf.avgPool's own explicit padding: in tfjs 4.22 that excludes
 * padded cells from the divisor in the forward pass but not in the gradient. Instead, the input
 * is zero-padded with tf.pad and pooled 'valid' (countIncludePad=true, PyTorch's default), or
 * divided by the pooled count of real cells (countIncludePad=false). Forward and gradient then
 * agree with PyTorch.
 * @throws for ceilMode ("not supported yet"), padding larger than half the kernel,
 *   divisorOverride <= 0, non-rank-4 input.
 */
export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(kernelSize: Pair, opts: AvgPool2dOptions = {}) {
    super();
    if (opts.ceilMode) throw new Error('AvgPool2d: ceilMode=true is not supported yet.');
    this.kernelSize = pair(kernelSize, 'AvgPool2d kernelSize', 1);
    this.stride = pair(opts.stride ?? this.kernelSize, 'AvgPool2d stride', 1);
    this.padding = pair(opts.padding ?? 0, 'AvgPool2d padding', 0);
    checkHalfKernel('AvgPool2d', this.kernelSize, this.padding);
    this.countIncludePad = opts.countIncludePad ?? true;
    this.divisorOverride = opts.divisorOverride ?? null;
    if (this.divisorOverride != null && !(this.divisorOverride > 0)) {
      throw new Error(`AvgPool2d: divisorOverride must be positive, got ${this.divisorOverride}`);
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    const x4 = expect4D(x, 'AvgPool2d');
    const [ph, pw] = this.padding;
    const [kh, kw] = this.kernelSize;
    const padded = ph || pw ? tf.pad(x4, [[0, 0], [ph, ph], [pw, pw], [0, 0]]) : x4;
    const mean = tf.avgPool(padded, this.kernelSize, this.stride, 'valid');
    if (this.divisorOverride != null) return tf.mul(mean, (kh * kw) / this.divisorOverride);
    if (this.countIncludePad || !(ph || pw)) return mean;
    // fraction of real (non-padded) cells in each window, shape [1, Ho, Wo, 1]
    const ones = tf.pad(tf.ones([1, x4.shape[1], x4.shape[2], 1]), [[0, 0], [ph, ph], [pw, pw], [0, 0]]) as tf.Tensor4D;
    const frac = tf.avgPool(ones, this.kernelSize, this.stride, 'valid');
    return tf.div(mean, frac);
  }

  override extraRepr(): string {
    return `kernel_size=${fmtPair(this.kernelSize)}, stride=${fmtPair(this.stride)}, padding=${fmtPair(this.padding)}`;
  }
}
