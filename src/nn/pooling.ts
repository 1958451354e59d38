/**
 * Max and average pooling with PyTorch's signatures and semantics on NHWC tensors, computed by
 * src/ops (`maxPool2dTorch`, `avgPool2dTorch`): floor and ceil mode with PyTorch's output size
 * (ceil mode drops a last window that would start in the bottom/right padding), -inf padding
 * for max, count_include_pad / divisor_override for average, dilation for max.
 *
 * Sources: torch.nn.MaxPool2d, torch.nn.AvgPool2d. Output size:
 * Ho = floor_or_ceil((H + 2ph - dh(kh-1) - 1) / sh) + 1 (minus the dropped ceil window).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';
import { type Pair, expect4D, fmtPair, pair } from './utils.js';
import { avgPool2dTorch, maxPool2dTorch } from '../ops/index.js';

export interface MaxPool2dOptions {
  /** Default: kernelSize (PyTorch's stride=None). */
  stride?: Pair;
  /** Default 0; implicit -inf padding, at most half the kernel (PyTorch's rule). */
  padding?: Pair;
  /** Default 1. */
  dilation?: Pair;
  /** Default false. true: PyTorch ceil_mode (output size rounded up, see module doc). */
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
 * `MaxPool2d(kernelSize, {stride, padding, dilation, ceilMode})`: NHWC [N, H, W, C] ->
 * [N, Ho, Wo, C]. Padded cells never win (PyTorch's -inf padding).
 * @throws for returnIndices ("not supported yet"), padding larger than half the kernel,
 *   non-rank-4 input, and (in forward) an output smaller than 1x1.
 */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly ceilMode: boolean;

  constructor(kernelSize: Pair, opts: MaxPool2dOptions = {}) {
    super();
    if (opts.returnIndices) throw new Error('MaxPool2d: returnIndices=true is not supported yet.');
    this.kernelSize = pair(kernelSize, 'MaxPool2d kernelSize', 1);
    this.stride = pair(opts.stride ?? this.kernelSize, 'MaxPool2d stride', 1);
    this.padding = pair(opts.padding ?? 0, 'MaxPool2d padding', 0);
    this.dilation = pair(opts.dilation ?? 1, 'MaxPool2d dilation', 1);
    this.ceilMode = !!opts.ceilMode;
    checkHalfKernel('MaxPool2d', this.kernelSize, this.padding);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return maxPool2dTorch(expect4D(x, 'MaxPool2d'), this.kernelSize, {
      stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode,
    });
  }

  override extraRepr(): string {
    const d = this.dilation[0] === this.dilation[1] ? String(this.dilation[0]) : fmtPair(this.dilation);
    return `kernel_size=${fmtPair(this.kernelSize)}, stride=${fmtPair(this.stride)}, padding=${fmtPair(this.padding)}, ` +
      `dilation=${d}, ceil_mode=${this.ceilMode ? 'True' : 'False'}`;
  }
}

export interface AvgPool2dOptions {
  /** Default: kernelSize. */
  stride?: Pair;
  /** Default 0; zero padding, at most half the kernel. */
  padding?: Pair;
  /** Default false. true: PyTorch ceil_mode. */
  ceilMode?: boolean;
  /** Default true (PyTorch): padded zeros count in the divisor. */
  countIncludePad?: boolean;
  /** If set, every window sum is divided by this instead. */
  divisorOverride?: number;
}

/**
 * `AvgPool2d(kernelSize, {stride, padding, ceilMode, countIncludePad, divisorOverride})`:
 * NHWC [N, H, W, C] -> [N, Ho, Wo, C], PyTorch's divisors (a window clipped to the padded input
 * for countIncludePad=true, to the input for false) in the forward pass and the gradient.
 * @throws for padding larger than half the kernel, divisorOverride <= 0, non-rank-4 input, and
 *   (in forward) an output smaller than 1x1.
 */
export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(kernelSize: Pair, opts: AvgPool2dOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize, 'AvgPool2d kernelSize', 1);
    this.stride = pair(opts.stride ?? this.kernelSize, 'AvgPool2d stride', 1);
    this.padding = pair(opts.padding ?? 0, 'AvgPool2d padding', 0);
    checkHalfKernel('AvgPool2d', this.kernelSize, this.padding);
    this.ceilMode = !!opts.ceilMode;
    this.countIncludePad = opts.countIncludePad ?? true;
    this.divisorOverride = opts.divisorOverride ?? null;
    if (this.divisorOverride != null && !(this.divisorOverride > 0)) {
      throw new Error(`AvgPool2d: divisorOverride must be positive, got ${this.divisorOverride}`);
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    return avgPool2dTorch(expect4D(x, 'AvgPool2d'), this.kernelSize, {
      stride: this.stride, padding: this.padding, ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${fmtPair(this.kernelSize)}, stride=${fmtPair(this.stride)}, padding=${fmtPair(this.padding)}`;
  }
}
