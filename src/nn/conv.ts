/**
 * 2-D convolution with PyTorch's constructor signature and semantics, computed in NHWC with
 * `tf.conv2d` (the active backend decides how fast).
 *
 * Source: torch.nn.Conv2d (https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module, Layouts, parameter, type Parameter } from './module.js';
import { defaultBias, getRng, kaimingUniform } from './init.js';
import {
  type ExplicitPadding,
  type Pair,
  expect4D,
  explicitPadding,
  fmtPair,
  pair,
  tfjsPad,
} from './utils.js';

export interface Conv2dOptions {
  /** Default 1. */
  stride?: Pair;
  /**
   * Default 0. A number or [ph, pw] pads symmetrically with zeros (ph rows top and bottom, pw
   * columns left and right), i.e. tfjs explicit padding [[0,0],[ph,ph],[pw,pw],[0,0]] - not
   * tfjs 'same'. 'valid' = 0. 'same' (stride 1 only, as in PyTorch) pads dilation*(k-1) in
   * total per dim, the odd extra row/column at the bottom/right (PyTorch's rule).
   */
  padding?: Pair | 'same' | 'valid';
  /** Default 1. tf.conv2d cannot combine dilation > 1 with stride > 1. */
  dilation?: Pair;
  /** Only 1 is supported yet (grouped conv belongs to src/ops). */
  groups?: number;
  /** Default true. */
  bias?: boolean;
  /** Only 'zeros' is supported yet. */
  paddingMode?: 'zeros' | 'reflect' | 'replicate' | 'circular';
  /** Seed for this layer's initialisation (default: the global generator, see manualSeed). */
  seed?: number;
}

/**
 * `Conv2d(inChannels, outChannels, kernelSize, {stride, padding, dilation, bias})`.
 *
 * - input: NHWC [N, H, W, inChannels] float32
 * - output: NHWC [N, Ho, Wo, outChannels] with Ho = floor((H + 2ph - dh(kh-1) - 1) / sh) + 1
 *   (PyTorch's formula; tfjs' explicit padding truncates the same way)
 * - `weight`: stored [kh, kw, inChannels, outChannels] (tfjs filter layout); state-dict key
 *   `weight` is PyTorch OIHW [outChannels, inChannels, kh, kw]
 * - `bias`: [outChannels] or null
 *
 * Initialisation as PyTorch's reset_parameters: weight kaiming_uniform(a=sqrt(5)), i.e.
 * U(-1/sqrt(fanIn), 1/sqrt(fanIn)), bias U(-1/sqrt(fanIn), 1/sqrt(fanIn)), fanIn = Cin*kh*kw.
 *
 * @throws on construction for groups != 1, paddingMode != 'zeros', 'same' with stride > 1,
 *   dilation > 1 together with stride > 1, and non-integer/negative sizes; in forward for a
 *   non-rank-4 input or a channel count different from inChannels.
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  /** [ph, pw] for symmetric padding, or the PyTorch string. */
  readonly padding: [number, number] | 'same' | 'valid';
  readonly dilation: [number, number];
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null;
  private readonly _pad: 'valid' | ExplicitPadding;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts: Conv2dOptions = {}) {
    super();
    if (!Number.isInteger(inChannels) || inChannels <= 0) throw new Error(`Conv2d: inChannels must be a positive integer, got ${inChannels}`);
    if (!Number.isInteger(outChannels) || outChannels <= 0) throw new Error(`Conv2d: outChannels must be a positive integer, got ${outChannels}`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, 'Conv2d kernelSize', 1);
    this.stride = pair(opts.stride ?? 1, 'Conv2d stride', 1);
    this.dilation = pair(opts.dilation ?? 1, 'Conv2d dilation', 1);
    this.groups = opts.groups ?? 1;
    if (this.groups !== 1) {
      throw new Error(`Conv2d: groups=${this.groups} is not supported yet (only groups=1).`);
    }
    if ((opts.paddingMode ?? 'zeros') !== 'zeros') {
      throw new Error(`Conv2d: paddingMode='${opts.paddingMode}' is not supported yet (only 'zeros').`);
    }
    if ((this.dilation[0] > 1 || this.dilation[1] > 1) && (this.stride[0] > 1 || this.stride[1] > 1)) {
      throw new Error('Conv2d: dilation > 1 together with stride > 1 is not supported (tf.conv2d limitation).');
    }
    const pad = opts.padding ?? 0;
    const [kh, kw] = this.kernelSize;
    if (pad === 'same') {
      if (this.stride[0] !== 1 || this.stride[1] !== 1) {
        throw new Error("Conv2d: padding='same' is not supported for strided convolutions (as in PyTorch).");
      }
      const th = this.dilation[0] * (kh - 1);
      const tw = this.dilation[1] * (kw - 1);
      const top = Math.floor(th / 2);
      const left = Math.floor(tw / 2);
      this._pad = tfjsPad(explicitPadding(top, th - top, left, tw - left));
      this.padding = 'same';
    } else if (pad === 'valid') {
      this._pad = 'valid';
      this.padding = 'valid';
    } else {
      const [ph, pw] = pair(pad, 'Conv2d padding', 0);
      this._pad = tfjsPad(explicitPadding(ph, ph, pw, pw));
      this.padding = [ph, pw];
    }
    const rng = getRng(opts.seed);
    const fanIn = (inChannels / this.groups) * kh * kw;
    this.weight = tf.tidy(() =>
      parameter(kaimingUniform([kh, kw, inChannels, outChannels], fanIn, Math.sqrt(5), rng), {
        layout: Layouts.conv2dFilter,
      }),
    );
    this.bias = opts.bias ?? true ? tf.tidy(() => parameter(defaultBias(outChannels, fanIn, rng))) : null;
  }

  /** NHWC [N, H, W, inChannels] -> NHWC [N, Ho, Wo, outChannels]. */
  forward(x: tf.Tensor): tf.Tensor {
    const x4 = expect4D(x, 'Conv2d');
    if (x4.shape[3] !== this.inChannels) {
      throw new Error(
        `Conv2d: expected input [${x4.shape.join(', ')}] (NHWC) to have ${this.inChannels} channels, ` +
          `but got ${x4.shape[3]} channels instead`,
      );
    }
    const y = tf.conv2d(x4, this.weight as tf.Tensor4D, this.stride, this._pad, 'NHWC', this.dilation);
    return this.bias ? tf.add(y, this.bias) : y;
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${fmtPair(this.kernelSize)}, stride=${fmtPair(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding[0] || this.padding[1]) s += `, padding=${fmtPair(this.padding)}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) s += `, dilation=${fmtPair(this.dilation)}`;
    if (!this.bias) s += ', bias=False';
    return s;
  }
}
