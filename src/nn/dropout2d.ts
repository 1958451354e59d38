/**
 * Dropout2d (torch.nn.Dropout2d, channel dropout): in training, zeroes whole channels of each
 * sample with probability p and scales the kept ones by 1/(1-p); identity in eval mode.
 *
 * Source: torch.nn.Dropout2d (https://pytorch.org/docs/stable/generated/torch.nn.Dropout2d.html).
 * The mask ([N, 1, 1, C] for NHWC) is drawn from the layer's seedable generator (nn/init), as
 * nn/dropout.ts does, so it is identical on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';
import { type Rng, getRng } from './init.js';

/**
 * torch.nn.Dropout2d(p): in training zeroes whole channels of an NHWC [N,H,W,C] input with
 * probability p (one draw per (n, c)) and scales the rest by 1/(1−p); the identity in eval.
 */
export class Dropout2d extends Module {
  private readonly _rng: Rng;

  /**
   * @param p probability of zeroing a channel, in [0, 1] (default 0.5).
   * @param opts.seed seed for this layer's masks (default: the global generator at construction).
   * @throws if p is outside [0, 1].
   */
  constructor(readonly p = 0.5, opts: { seed?: number; inplace?: boolean } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout2d: probability has to be between 0 and 1, but got ${p}`);
    this._rng = getRng(opts.seed);
  }

  /**
   * NHWC [N, H, W, C] (or unbatched [H, W, C]) -> same shape. Returns the input itself in eval
   * mode or when p = 0.
   * @throws in training for a rank other than 3 or 4.
   */
  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) return x;
    if (x.rank !== 4 && x.rank !== 3) throw new Error(`Dropout2d: expected NHWC rank 4 (or HWC rank 3), got shape [${x.shape}]`);
    if (this.p === 1) return tf.zerosLike(x);
    const n = x.rank === 4 ? x.shape[0] : 1;
    const c = x.shape[x.rank - 1];
    const scale = 1 / (1 - this.p);
    const mask = new Float32Array(n * c);
    for (let i = 0; i < mask.length; i++) mask[i] = this._rng.next() >= this.p ? scale : 0;
    const shape = x.rank === 4 ? [n, 1, 1, c] : [1, 1, c];
    return tf.tidy(() => tf.mul(x, tf.tensor(mask, shape, 'float32')));
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
