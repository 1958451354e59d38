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
