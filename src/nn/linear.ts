/**
 * Fully connected layer with PyTorch's signature, computed with `tf.fused.matMul` (bias fused).
 *
 * Source: torch.nn.Linear (https://pytorch.org/docs/stable/generated/torch.nn.Linear.html).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module, Layouts, parameter, type Parameter } from './module.js';
import { defaultBias, getRng, kaimingUniform } from './init.js';

export interface LinearOptions {
  /** Default true. */
  bias?: boolean;
  /** Seed for this layer's initialisation (default: the global generator). */
  seed?: number;
}

/**
 * `Linear(inFeatures, outFeatures, {bias})`: y = x W^T + b over the last dim.
 *
 * - input: [..., inFeatures] float32 (usually [N, inFeatures])
 * - output: [..., outFeatures]
 * - `weight`: stored as the tfjs kernel [inFeatures, outFeatures]; state-dict key `weight` is
 *   PyTorch's [outFeatures, inFeatures]
 * - `bias`: [outFeatures] or null
 *
 * Initialisation as PyTorch: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)).
 *
 * @throws in forward if the last dim is not inFeatures.
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    if (!Number.isInteger(inFeatures) || inFeatures <= 0) throw new Error(`Linear: inFeatures must be a positive integer, got ${inFeatures}`);
    if (!Number.isInteger(outFeatures) || outFeatures <= 0) throw new Error(`Linear: outFeatures must be a positive integer, got ${outFeatures}`);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const rng = getRng(opts.seed);
    this.weight = tf.tidy(() =>
      parameter(kaimingUniform([inFeatures, outFeatures], inFeatures, Math.sqrt(5), rng), {
        layout: Layouts.linearWeight,
      }),
    );
    this.bias = opts.bias ?? true ? tf.tidy(() => parameter(defaultBias(outFeatures, inFeatures, rng))) : null;
  }

  /** [..., inFeatures] -> [..., outFeatures]. */
  forward(x: tf.Tensor): tf.Tensor {
    const last = x.shape[x.rank - 1];
    if (x.rank < 1 || last !== this.inFeatures) {
      throw new Error(
        `Linear: input shape [${x.shape.join(', ')}] cannot be multiplied with a ${this.inFeatures}x${this.outFeatures} ` +
          `weight (last dim must be ${this.inFeatures})`,
      );
    }
    const x2 = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, this.inFeatures]) as tf.Tensor2D;
    // One _FusedMatMul with the bias in its epilogue (native on `simd`). On `webgl` a fused matmul
    // also keeps tfjs from its single-row shortcut (BatchMatMul_impl: one row with more than 1000
    // shared elements becomes multiply + sum), which materialises the whole [in, out] product:
    // 411 MB for VGG's classifier.0 (25088×4096), over WebGL's 8192² texture size limit.
    const y: tf.Tensor = tf.fused.matMul({ a: x2, b: this.weight as tf.Tensor2D, bias: this.bias ?? undefined, activation: 'linear' });
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }
}
