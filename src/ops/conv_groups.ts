/**
 * `conv2dGroups`: PyTorch's grouped convolution (`F.conv2d(..., groups=g)`) on NHWC. tfjs'
 * `conv2d` has no `groups` (it asserts inDepth == filter in-depth, tensorflow/tfjs#3900).
 *
 * Filter layout: tfjs [kh, kw, Cin/groups, Cout], i.e. PyTorch's weight [Cout, Cin/groups, kh,
 * kw] permuted (2, 3, 1, 0); output channels [g·Cout/groups, (g+1)·Cout/groups) read input
 * channels [g·Cin/groups, (g+1)·Cin/groups), as in PyTorch.
 *
 * - groups = 1: `tf.conv2d`.
 * - depthwise (Cin/groups = 1): `tf.depthwiseConv2d` with the filter reshaped to
 *   [kh, kw, Cin, Cout/Cin] (PyTorch's output channel c·m + j is tfjs' depthwise channel
 *   c·m + j, so a reshape is the whole conversion).
 * - otherwise: split input and filter into `groups` along channels, one `tf.conv2d` each,
 *   concat. Every path is tfjs ops only (native where the backend has the kernels: Conv2D on
 *   `simd`); bias is added once after the concat.
 * - dilation > 1 with stride > 1 (tfjs convs refuse the combination): stride-1 conv, then every
 *   stride-th row/column.
 *
 * Gradients: tfjs' own (split/concat/conv2d/depthwise). tfjs' Conv2D and DepthwiseConv2dNative
 * gradients assert dilation 1, so grouped convs with dilation > 1 are forward-only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Pair, expectNHWC, pair, subsample } from './util.js';

export interface Conv2dGroupsOptions {
  /** Default 1. */
  stride?: Pair;
  /**
   * Default 0: a number / [ph, pw] pads symmetrically (PyTorch), or tfjs 'valid' / 'same' /
   * explicit [[0,0],[t,b],[l,r],[0,0]].
   */
  padding?: Pair | 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];
  /** Default 1. As tf.conv2d: dilation > 1 only with stride 1. */
  dilation?: Pair;
  /** Optional bias [Cout]. */
  bias?: tf.Tensor | null;
}

type TfPad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];

function tfPad(p: Conv2dGroupsOptions['padding']): TfPad {
  if (p == null) return 'valid';
  if (p === 'valid' || p === 'same') return p;
  if (Array.isArray(p) && Array.isArray(p[0])) return p as TfPad;
  const [ph, pw] = pair(p as Pair, 'conv2dGroups padding', 0);
  return ph === 0 && pw === 0 ? 'valid' : [[0, 0], [ph, ph], [pw, pw], [0, 0]];
}

/**
 * Grouped 2-D convolution: x NHWC [N, H, W, Cin], filter [kh, kw, Cin/groups, Cout] ->
 * [N, Ho, Wo, Cout] (+ bias). Output size as tf.conv2d with the given padding (PyTorch's for
 * numeric padding).
 * @throws if groups does not divide Cin and Cout, or the filter's in-depth is not Cin/groups.
 */
export function conv2dGroups(x: tf.Tensor, filter: tf.Tensor, groups: number, opts: Conv2dGroupsOptions = {}): tf.Tensor4D {
  const x4 = expectNHWC(x, 'conv2dGroups');
  if (filter.rank !== 4) throw new Error(`conv2dGroups: filter must be rank 4 [kh, kw, Cin/groups, Cout], got [${filter.shape.join(', ')}]`);
  const f4 = filter as tf.Tensor4D;
  const cin = x4.shape[3];
  const [kh, kw, cpg, cout] = f4.shape;
  if (!Number.isInteger(groups) || groups < 1) {
    const shown = typeof groups === 'object' ? JSON.stringify(groups) : String(groups);
    throw new Error(`conv2dGroups: groups (the third argument, conv2dGroups(x, filter, groups, opts)) must be an ` +
      `integer >= 1, got ${shown}`);
  }
  if (cin % groups !== 0) throw new Error(`conv2dGroups: in_channels (${cin}) must be divisible by groups (${groups})`);
  if (cout % groups !== 0) throw new Error(`conv2dGroups: out_channels (${cout}) must be divisible by groups (${groups})`);
  if (cpg !== cin / groups) {
    throw new Error(`conv2dGroups: expected filter [${kh}, ${kw}, ${cin / groups}, ${cout}] for input with ${cin} channels and groups=${groups}, got [${f4.shape.join(', ')}]`);
  }
  const stride = pair(opts.stride ?? 1, 'conv2dGroups stride', 1);
  const dilation = pair(opts.dilation ?? 1, 'conv2dGroups dilation', 1);
  const pad = tfPad(opts.padding);
  // tfjs convs take dilation > 1 only with stride 1: run those at stride 1 and keep every
  // stride-th output (PyTorch's windows start at multiples of the stride either way).
  const dilated = dilation[0] > 1 || dilation[1] > 1;
  const convStride: [number, number] = dilated ? [1, 1] : stride;
  if (dilated && pad === 'same' && (stride[0] > 1 || stride[1] > 1)) {
    throw new Error("conv2dGroups: padding 'same' with dilation > 1 and stride > 1 is not supported");
  }
  return tf.tidy(() => {
    let y: tf.Tensor4D;
    if (groups === 1) {
      y = tf.conv2d(x4, f4, convStride, pad, 'NHWC', dilation);
    } else if (cpg === 1) {
      y = tf.depthwiseConv2d(x4, tf.reshape(f4, [kh, kw, cin, cout / cin]) as tf.Tensor4D, convStride, pad, 'NHWC', dilation);
    } else {
      const xs = tf.split(x4, groups, 3);
      const fs = tf.split(f4, groups, 3);
      y = tf.concat(xs.map((xg, g) => tf.conv2d(xg as tf.Tensor4D, fs[g] as tf.Tensor4D, convStride, pad, 'NHWC', dilation)), 3);
    }
    if (dilated) y = subsample(y, stride[0], stride[1]);
    return opts.bias ? tf.add(y, opts.bias) : y;
  });
}
