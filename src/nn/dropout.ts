/**
 * Dropout (torch.nn.Dropout): in training, zeroes each element with probability p and scales
 * the rest by 1/(1-p); in eval mode, identity.
 *
 * The keep-mask is drawn in JS from the layer's generator (see nn/init: seedable, identical on
 * every backend) and applied with `tf.mul`, which is what `tf.dropout` does internally with
 * tfjs' own generator - tfjs also fills random tensors on the JS side. This keeps Dropout
 * independent of tfjs' seedrandom dependency and reproducible under `seed` / `manualSeed`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';
import { type Rng, getRng } from './init.js';

/**
 * torch.nn.Dropout(p): in training zeroes each element with probability p and scales the rest by
 * 1/(1−p); the identity in eval. Any shape/layout. @throws Error if p is outside [0, 1].
 */
export class Dropout extends Module {
  private readonly _rng: Rng;

  /**
   * @param p drop probability in [0, 1] (default 0.5).
   * @param opts.seed seed for this layer's masks (default: the global generator at construction).
   * @throws if p is outside [0, 1].
   */
  constructor(readonly p = 0.5, opts: { seed?: number; inplace?: boolean } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: probability has to be between 0 and 1, but got ${p}`);
    this._rng = getRng(opts.seed);
  }

  /** Any shape -> same shape. Returns the input tensor itself in eval mode or when p = 0. */
  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) return x;
    if (this.p === 1) return tf.zerosLike(x);
    const scale = 1 / (1 - this.p);
    const mask = new Float32Array(x.size);
    for (let i = 0; i < mask.length; i++) mask[i] = this._rng.next() >= this.p ? scale : 0;
    return tf.mul(x, tf.tensor(mask, x.shape, 'float32'));
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
