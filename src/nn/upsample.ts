/**
 * `Upsample` (torch.nn.Upsample, modes 'nearest' | 'bilinear'): a module around
 * {@link interpolate} (src/ops/interpolate.ts), NHWC in and out, no parameters.
 *
 * Source: torch.nn.Upsample (https://pytorch.org/docs/stable/generated/torch.nn.Upsample.html).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';
import { interpolate } from '../ops/interpolate.js';

export interface UpsampleOptions {
  /** Output size [outH, outW] (or one number for both). Exactly one of size / scaleFactor. */
  size?: number | [number, number];
  /** Multiplier of H and W; output floor(in * scale), PyTorch's 1/scale source ratio. */
  scaleFactor?: number | [number, number];
  /** Default 'nearest' (as PyTorch). */
  mode?: 'nearest' | 'bilinear';
  /** Bilinear only; default false. */
  alignCorners?: boolean;
}

/**
 * torch.nn.Upsample({size | scaleFactor, mode, alignCorners}) over NHWC [N,H,W,C] via
 * `ops.interpolate` (PyTorch F.interpolate semantics). @throws Error for a missing or
 * conflicting size/scaleFactor.
 */
export class Upsample extends Module {
  readonly opts: UpsampleOptions;

  /**
   * @throws if both or neither of size / scaleFactor are given, or alignCorners is set with
   *   'nearest' (PyTorch raises the same); size/scale values are checked in forward.
   */
  constructor(opts: UpsampleOptions) {
    super();
    if ((opts.size == null) === (opts.scaleFactor == null)) throw new Error('Upsample: give exactly one of size and scaleFactor');
    if ((opts.mode ?? 'nearest') === 'nearest' && opts.alignCorners) throw new Error('Upsample: alignCorners is only valid for bilinear');
    this.opts = { ...opts, mode: opts.mode ?? 'nearest' };
  }

  /** NHWC [N, H, W, C] -> NHWC [N, outH, outW, C] (see interpolate). */
  forward(x: tf.Tensor): tf.Tensor {
    return interpolate(x, this.opts);
  }

  override extraRepr(): string {
    const o = this.opts;
    const v = (p: number | [number, number]) => (typeof p === 'number' ? `${p}` : `(${p[0]}, ${p[1]})`);
    let s = o.size != null ? `size=${v(o.size)}` : `scale_factor=${v(o.scaleFactor!)}`;
    s += `, mode='${o.mode}'`;
    if (o.mode === 'bilinear') s += `, align_corners=${o.alignCorners ? 'True' : 'False'}`;
    return s;
  }
}
