/**
 * AdaptiveAvgPool2d (torch.nn.AdaptiveAvgPool2d) on NHWC tensors, computed by src/ops
 * `adaptiveAvgPool2d` (PyTorch's bins [floor(i·in/out), ceil((i+1)·in/out)) for any sizes,
 * including out > in and out not dividing in).
 *
 * Source: https://pytorch.org/docs/stable/generated/torch.nn.AdaptiveAvgPool2d.html
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';
import { expect4D } from './utils.js';
import { adaptiveAvgPool2d, type AdaptiveSize } from '../ops/index.js';
import { adaptiveMaxPool2d, adaptiveMaxPool2dWithIndices, spatialPyramidPool, sppLevels } from '../ops/adaptive_max_pool.js';

/**
 * `AdaptiveAvgPool2d(outputSize)`: NHWC [N, H, W, C] -> [N, outH, outW, C]. `outputSize` is a
 * number (square) or [h, w], where null keeps that input dimension (PyTorch's None).
 * No parameters. @throws in forward for a non-rank-4 input or invalid sizes.
 */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: AdaptiveSize;

  constructor(outputSize: AdaptiveSize) {
    super();
    const s = typeof outputSize === 'number' ? [outputSize] : outputSize;
    if (!Array.isArray(s) || !s.every((v) => v === null || (Number.isInteger(v) && (v as number) >= 1))) {
      throw new Error(`AdaptiveAvgPool2d: outputSize must be an integer >= 1 or [h, w] (null keeps the input size), got ${JSON.stringify(outputSize)}`);
    }
    this.outputSize = Array.isArray(outputSize) ? [outputSize[0], outputSize[1]] : outputSize;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return adaptiveAvgPool2d(expect4D(x, 'AdaptiveAvgPool2d'), this.outputSize);
  }

  override extraRepr(): string {
    const s = this.outputSize;
    return `output_size=${typeof s === 'number' ? s : `(${s.map((v) => (v === null ? 'None' : v)).join(', ')})`}`;
  }
}

/** Options of {@link AdaptiveMaxPool2d} (torch's constructor keyword). */
export interface AdaptiveMaxPool2dModuleOptions<R extends boolean = boolean> {
  /**
   * PyTorch's `return_indices`: forward returns [values, indices], indices [N, outH, outW, C]
   * int32 = h·W + w of each maximum in its (n, c) plane (src/ops `adaptiveMaxPool2dWithIndices`;
   * torch: int64 NCHW, the same numbers). Default false.
   */
  returnIndices?: R;
}

/**
 * `AdaptiveMaxPool2d(outputSize, { returnIndices })` (torch.nn.AdaptiveMaxPool2d(output_size,
 * return_indices=False)): NHWC [N, H, W, C] -> [N, outH, outW, C], computed by src/ops
 * `adaptiveMaxPool2d` (PyTorch's bins for any sizes); with `returnIndices: true` forward returns
 * [values, indices] (indices int32 [N, outH, outW, C], h·W + w in each (n, c) plane, the first
 * maximum on ties, NaN as torch). `outputSize` is a number (square) or [h, w], where null keeps
 * that input dimension. No parameters.
 * @throws for a bad outputSize or returnIndices (constructor), a non-rank-4 input (forward).
 */
export class AdaptiveMaxPool2d<R extends boolean = false> extends Module<tf.Tensor, R extends true ? [tf.Tensor4D, tf.Tensor4D] : tf.Tensor> {
  readonly outputSize: AdaptiveSize;
  readonly returnIndices: R;

  constructor(outputSize: AdaptiveSize, opts: AdaptiveMaxPool2dModuleOptions<R> = {}) {
    super();
    const s = typeof outputSize === 'number' ? [outputSize] : outputSize;
    if (!Array.isArray(s) || (Array.isArray(outputSize) && outputSize.length !== 2) ||
        !s.every((v) => v === null || (Number.isInteger(v) && (v as number) >= 1))) {
      throw new Error(`AdaptiveMaxPool2d: outputSize must be an integer >= 1 or [h, w] (null keeps the input size), got ${JSON.stringify(outputSize)}`);
    }
    const ri = opts?.returnIndices ?? false;
    if (typeof ri !== 'boolean') throw new Error(`AdaptiveMaxPool2d: returnIndices must be a boolean, got ${JSON.stringify(ri)}`);
    this.outputSize = Array.isArray(outputSize) ? [outputSize[0], outputSize[1]] : outputSize;
    this.returnIndices = ri as R;
  }

  forward(x: tf.Tensor): R extends true ? [tf.Tensor4D, tf.Tensor4D] : tf.Tensor {
    const x4 = expect4D(x, 'AdaptiveMaxPool2d');
    return (this.returnIndices ? adaptiveMaxPool2dWithIndices(x4, this.outputSize) : adaptiveMaxPool2d(x4, this.outputSize)) as
      R extends true ? [tf.Tensor4D, tf.Tensor4D] : tf.Tensor;
  }

  override extraRepr(): string {
    const s = this.outputSize;
    return `output_size=${typeof s === 'number' ? s : `(${s.map((v) => (v === null ? 'None' : v)).join(', ')})`}`;
  }
}

/**
 * `SpatialPyramidPooling(levels = [1, 2, 4], pool = 'max')`: the SPP layer of SPP-net (He et al.
 * 2014), NHWC [N, H, W, C] of any H, W -> [N, C·Σ l²], per level l an l×l adaptive max (or avg)
 * pooling flattened in PyTorch's NCHW order, levels concatenated (src/ops `spatialPyramidPool`).
 * PyTorch has no built-in SPP module; this equals the usual one,
 * `torch.cat([F.adaptive_max_pool2d(x, l).view(N, -1) for l in levels], 1)`. No parameters.
 * @throws for bad levels / pool (constructor), a non-rank-4 input (forward).
 */
export class SpatialPyramidPooling extends Module {
  readonly levels: number[];
  readonly pool: 'max' | 'avg';

  constructor(levels: number[] = [1, 2, 4], pool: 'max' | 'avg' = 'max') {
    super();
    this.levels = sppLevels(levels, 'SpatialPyramidPooling');
    if (pool !== 'max' && pool !== 'avg') throw new Error(`SpatialPyramidPooling: pool must be 'max' or 'avg', got ${JSON.stringify(pool)}`);
    this.pool = pool;
  }

  /** Length of the output vector for C input channels: C·Σ l². */
  outputFeatures(channels: number): number {
    return channels * this.levels.reduce((a, l) => a + l * l, 0);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return spatialPyramidPool(expect4D(x, 'SpatialPyramidPooling'), { levels: this.levels, pool: this.pool });
  }

  override extraRepr(): string {
    return `levels=(${this.levels.join(', ')}), pool=${this.pool}`;
  }
}
