/**
 * Transposed 2-D convolution with PyTorch's constructor signature and semantics, computed in
 * NHWC with `tf.conv2dTranspose` (Conv2DBackpropInput; native on `simd`).
 *
 * Source: torch.nn.ConvTranspose2d
 * (https://pytorch.org/docs/stable/generated/torch.nn.ConvTranspose2d.html).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module, Layouts, parameter, type Parameter } from './module.js';
import { defaultBias, getRng, kaimingUniform } from './init.js';
import { type Pair, expect4D, fmtPair, pair } from './utils.js';

export interface ConvTranspose2dOptions {
  /** Default 1. */
  stride?: Pair;
  /** Default 0: dilation*(k-1)-padding zero rows/columns of implicit padding, i.e. p cropped from each side. */
  padding?: Pair;
  /** Default 0; must be < stride (PyTorch's rule). Extra rows/columns at the bottom/right. */
  outputPadding?: Pair;
  /** Default 1; inChannels and outChannels must be divisible by it. */
  groups?: number;
  /** Default true. */
  bias?: boolean;
  /** Only 1 is supported. */
  dilation?: Pair;
  /** Seed for this layer's initialisation (default: the global generator, see manualSeed). */
  seed?: number;
}

/**
 * `ConvTranspose2d(inChannels, outChannels, kernelSize, {stride, padding, outputPadding, groups, bias})`.
 *
 * - input: NHWC [N, H, W, inChannels] float32
 * - output: NHWC [N, Ho, Wo, outChannels], Ho = (H-1)*sh - 2*ph + kh + oph (PyTorch's formula)
 * - `weight`: stored [kh, kw, outChannels/groups, inChannels] (tfjs conv2dTranspose filter, per
 *   group along the last axis); state-dict key `weight` is PyTorch [inChannels,
 *   outChannels/groups, kh, kw] (Layouts.convTranspose2dFilter: a transpose, no spatial flip —
 *   tfjs' Conv2DBackpropInput and PyTorch's conv_transpose2d both scatter x[i]*w[a] to i*s+a;
 *   checked against PyTorch in tests/seg_ops.test.ts)
 * - `bias`: [outChannels] or null
 *
 * Computed as conv2dTranspose with 'valid' padding onto the full (H-1)*s + k + op rows (the op
 * extra rows receive no taps: bias only, as in PyTorch), then p rows/columns cropped from each
 * side. Initialisation as PyTorch: kaiming_uniform(a=sqrt(5)) and bias U(±1/sqrt(fanIn)) with
 * fanIn = (outChannels/groups)*kh*kw (PyTorch takes weight.size(1) as fan-in here).
 *
 * @throws on construction for dilation != 1, outputPadding >= stride, a padding that makes the
 *   output empty is reported in forward, channels not divisible by groups, and non-integer or
 *   negative sizes; in forward for a non-rank-4 input, a wrong channel count or an empty output.
 */
export class ConvTranspose2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts: ConvTranspose2dOptions = {}) {
    super();
    if (!Number.isInteger(inChannels) || inChannels <= 0) throw new Error(`ConvTranspose2d: inChannels must be a positive integer, got ${inChannels}`);
    if (!Number.isInteger(outChannels) || outChannels <= 0) throw new Error(`ConvTranspose2d: outChannels must be a positive integer, got ${outChannels}`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, 'ConvTranspose2d kernelSize', 1);
    this.stride = pair(opts.stride ?? 1, 'ConvTranspose2d stride', 1);
    this.padding = pair(opts.padding ?? 0, 'ConvTranspose2d padding', 0);
    this.outputPadding = pair(opts.outputPadding ?? 0, 'ConvTranspose2d outputPadding', 0);
    this.dilation = pair(opts.dilation ?? 1, 'ConvTranspose2d dilation', 1);
    this.groups = opts.groups ?? 1;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) {
      throw new Error(`ConvTranspose2d: dilation=${fmtPair(this.dilation)} is not supported (only 1)`);
    }
    if (!Number.isInteger(this.groups) || this.groups < 1 || inChannels % this.groups || outChannels % this.groups) {
      throw new Error(`ConvTranspose2d: groups=${this.groups} must be a positive integer dividing inChannels ${inChannels} and outChannels ${outChannels}`);
    }
    for (let d = 0; d < 2; d++) {
      if (this.outputPadding[d] >= this.stride[d]) {
        throw new Error(`ConvTranspose2d: outputPadding ${fmtPair(this.outputPadding)} must be smaller than stride ${fmtPair(this.stride)} (as in PyTorch)`);
      }
    }
    const [kh, kw] = this.kernelSize;
    const rng = getRng(opts.seed);
    const fanIn = (outChannels / this.groups) * kh * kw;
    this.weight = tf.tidy(() =>
      parameter(kaimingUniform([kh, kw, outChannels / this.groups, inChannels], fanIn, Math.sqrt(5), rng), {
        layout: Layouts.convTranspose2dFilter,
      }),
    );
    this.bias = opts.bias ?? true ? tf.tidy(() => parameter(defaultBias(outChannels, fanIn, rng))) : null;
  }

  /** Output spatial size for an input of H×W: (in-1)*s - 2p + k + op per dim (PyTorch). */
  outputSize(h: number, w: number): [number, number] {
    const f = (n: number, d: number) => (n - 1) * this.stride[d] - 2 * this.padding[d] + this.kernelSize[d] + this.outputPadding[d];
    return [f(h, 0), f(w, 1)];
  }

  /** NHWC [N, H, W, inChannels] -> NHWC [N, Ho, Wo, outChannels]. */
  forward(x: tf.Tensor): tf.Tensor {
    const x4 = expect4D(x, 'ConvTranspose2d');
    const [n, h, w, c] = x4.shape;
    if (c !== this.inChannels) {
      throw new Error(`ConvTranspose2d: expected input [${x4.shape.join(', ')}] (NHWC) to have ${this.inChannels} channels, but got ${c} channels instead`);
    }
    const [oh, ow] = this.outputSize(h, w);
    if (oh < 1 || ow < 1) {
      throw new Error(`ConvTranspose2d: output size ${oh}x${ow} for input ${h}x${w} is too small (padding ${fmtPair(this.padding)})`);
    }
    const [ph, pw] = this.padding;
    const fullH = oh + 2 * ph, fullW = ow + 2 * pw;
    const g = this.groups;
    const cout = this.outChannels / g;
    return tf.tidy(() => {
      const one = (xi: tf.Tensor4D, fi: tf.Tensor4D) =>
        tf.conv2dTranspose(xi, fi, [n, fullH, fullW, cout], this.stride, 'valid');
      let y: tf.Tensor4D;
      if (g === 1) y = one(x4, this.weight as tf.Tensor4D);
      else {
        const xs = tf.split(x4, g, 3);
        const fs = tf.split(this.weight as tf.Tensor4D, g, 3);
        y = tf.concat(xs.map((xi, i) => one(xi as tf.Tensor4D, fs[i] as tf.Tensor4D)), 3);
      }
      if (ph || pw) y = tf.slice(y, [0, ph, pw, 0], [n, oh, ow, this.outChannels]);
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${fmtPair(this.kernelSize)}, stride=${fmtPair(this.stride)}`;
    if (this.padding[0] || this.padding[1]) s += `, padding=${fmtPair(this.padding)}`;
    if (this.outputPadding[0] || this.outputPadding[1]) s += `, output_padding=${fmtPair(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    return s;
  }
}
