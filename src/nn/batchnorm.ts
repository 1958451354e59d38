/**
 * BatchNorm2d (torch.nn.BatchNorm2d) on NHWC tensors, normalising per channel (axis 3) with
 * `tf.moments` + `tf.batchNorm`.
 *
 * Source: https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module, buffer, parameter, type Parameter } from './module.js';
import { expect4D } from './utils.js';

export interface BatchNorm2dOptions {
  /** Added to the variance, default 1e-5. */
  eps?: number;
  /**
   * Running-stat momentum, default 0.1: running = (1 - m) * running + m * batch.
   * `null` = cumulative moving average (m = 1 / num_batches_tracked), as in PyTorch.
   */
  momentum?: number | null;
  /** Learnable per-channel `weight` (gamma, init 1) and `bias` (beta, init 0). Default true. */
  affine?: boolean;
  /** Keep running_mean / running_var / num_batches_tracked buffers. Default true. */
  trackRunningStats?: boolean;
}

/**
 * `BatchNorm2d(numFeatures, {eps, momentum, affine, trackRunningStats})`:
 * NHWC [N, H, W, C=numFeatures] -> same shape.
 *
 * - training (or no running stats): normalise with the batch mean and the *biased* batch
 *   variance over N, H, W; in training, update `running_mean` with the batch mean and
 *   `running_var` with the *unbiased* variance (times n/(n-1), n = N*H*W), and increment
 *   `num_batches_tracked` - exactly PyTorch's rule.
 * - eval: normalise with `running_mean` / `running_var`.
 *
 * State-dict keys: `weight`, `bias` [C] (if affine), `running_mean`, `running_var` [C] (float32),
 * `num_batches_tracked` [] (int32 here; int64 in PyTorch, cast on load).
 * @throws in forward for a non-rank-4 input, a channel count != numFeatures, or a training batch
 *   with a single value per channel (PyTorch's "Expected more than 1 value per channel").
 */
export class BatchNorm2d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  running_mean: tf.Variable | null;
  running_var: tf.Variable | null;
  num_batches_tracked: tf.Variable | null;

  constructor(numFeatures: number, opts: BatchNorm2dOptions = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) throw new Error(`BatchNorm2d: numFeatures must be a positive integer, got ${numFeatures}`);
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    const c = numFeatures;
    this.weight = this.affine ? tf.tidy(() => parameter(tf.ones([c]))) : null;
    this.bias = this.affine ? tf.tidy(() => parameter(tf.zeros([c]))) : null;
    if (this.trackRunningStats) {
      this.running_mean = tf.tidy(() => buffer(tf.zeros([c])));
      this.running_var = tf.tidy(() => buffer(tf.ones([c])));
      this.num_batches_tracked = tf.tidy(() => buffer(tf.scalar(0, 'int32')));
    } else {
      this.running_mean = this.running_var = this.num_batches_tracked = null;
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    const x4 = expect4D(x, 'BatchNorm2d');
    if (x4.shape[3] !== this.numFeatures) {
      throw new Error(`BatchNorm2d: expected ${this.numFeatures} channels (NHWC axis 3), got input [${x4.shape.join(', ')}]`);
    }
    const scale = this.weight ?? undefined;
    const offset = this.bias ?? undefined;
    const haveRunning = this.running_mean != null && this.running_var != null;
    if (!this.training && haveRunning) {
      return tf.batchNorm(x4, this.running_mean as tf.Tensor1D, this.running_var as tf.Tensor1D, offset, scale, this.eps);
    }
    const n = x4.shape[0] * x4.shape[1] * x4.shape[2];
    if (this.training && n <= 1) {
      throw new Error(`BatchNorm2d: Expected more than 1 value per channel when training, got input size [${x4.shape.join(', ')}]`);
    }
    const { mean, variance } = tf.moments(x4, [0, 1, 2]);
    if (this.training && haveRunning) this.updateRunningStats(mean, variance, n);
    return tf.batchNorm(x4, mean as tf.Tensor1D, variance as tf.Tensor1D, offset, scale, this.eps);
  }

  /** running = (1 - f) * running + f * batch, var unbiased; f = momentum or 1/num_batches. */
  private updateRunningStats(mean: tf.Tensor, variance: tf.Tensor, n: number): void {
    tf.tidy(() => {
      const nbt = this.num_batches_tracked!;
      nbt.assign(tf.add(nbt, tf.scalar(1, 'int32')));
      const f: tf.Tensor = this.momentum == null ? tf.div(1, tf.cast(nbt, 'float32')) : tf.scalar(this.momentum);
      const keep = tf.sub(1, f);
      const unbiased = tf.mul(variance, n / (n - 1));
      this.running_mean!.assign(tf.add(tf.mul(this.running_mean!, keep), tf.mul(mean, f)));
      this.running_var!.assign(tf.add(tf.mul(this.running_var!, keep), tf.mul(unbiased, f)));
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine ? 'True' : 'False'}, track_running_stats=${this.trackRunningStats ? 'True' : 'False'}`;
  }
}
