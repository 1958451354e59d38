/**
 * `maxPool2dTorch`: PyTorch's `F.max_pool2d` (floor and ceil mode, padding, dilation) on NHWC.
 *
 * tfjs' `maxPool` with `dimRoundingMode: 'ceil'` keeps a last window that starts inside the
 * right/bottom padding, where PyTorch drops it (design.md §2.4), so ceil mode is expressed
 * without `dimRoundingMode`: the output size is computed by PyTorch's rule and the input gets
 * `extra` rows/columns of explicit bottom/right padding so that a floor-mode tfjs pool yields
 * exactly that many windows. tfjs' max pool never lets a padded cell win (it skips out-of-range
 * taps), which is PyTorch's -inf padding, so the extra padding is harmless.
 *
 * One implementation for every backend: `tf.maxPool` is the `MaxPool` kernel, native on `simd`
 * (src/backend/pool_impl.ts maxPoolImpl, explicit asymmetric pads supported) and on webgl/cpu;
 * its gradient is tfjs' `MaxPoolGrad` with the same explicit pads. Dilation > 1 (no tfjs kernel
 * takes it with explicit padding) is the composite max of k·k strided views of the input padded
 * with -Infinity (slice/reshape, differentiable), combined with `tf.maximum`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Pair, type TorchPoolArgs, expectNHWC, explicitPad, subsample, torchPoolGeometry } from './util.js';

export interface MaxPool2dTorchOptions {
  /** Default: kernelSize. */
  stride?: Pair | null;
  /** Implicit -inf padding, default 0; at most half the kernel (PyTorch's rule). */
  padding?: Pair;
  /** Default 1. */
  dilation?: Pair;
  /** PyTorch ceil_mode, default false. */
  ceilMode?: boolean;
}

/**
 * PyTorch `F.max_pool2d(x, kernelSize, stride, padding, dilation, ceil_mode)` for an NHWC
 * float32 input [N, H, W, C] -> [N, Ho, Wo, C], Ho by PyTorch's rule
 * (`floor_or_ceil((H + 2p - d(k-1) - 1)/s) + 1`, ceil mode dropping a window that would start in
 * the bottom padding). Differentiable.
 * @throws for a non-rank-4 input, padding larger than half the kernel, or an output smaller
 *   than 1x1 (PyTorch's messages).
 */
export function maxPool2dTorch(x: tf.Tensor, kernelSize: Pair, opts: MaxPool2dTorchOptions = {}): tf.Tensor4D {
  const x4 = expectNHWC(x, 'maxPool2dTorch');
  const args: TorchPoolArgs = { kernelSize, ...opts };
  const g = torchPoolGeometry('maxPool2dTorch', x4.shape[1], x4.shape[2], args);
  if (g.dilation[0] === 1 && g.dilation[1] === 1) {
    return tf.maxPool(x4, g.kernel, g.stride, explicitPad(g));
  }
  return tf.tidy(() => {
    const [sh, sw] = g.stride;
    const [oh, ow] = g.out;
    const [ph, pw] = g.padding;
    // -inf padding: PyTorch's plus the ceil-mode extra; tap (i, j) of every window is the
    // strided view starting at (i·dh, j·dw).
    const xp = tf.pad(x4, [[0, 0], [ph, ph + g.extra[0]], [pw, pw + g.extra[1]], [0, 0]], -Infinity);
    const [n, , , c] = x4.shape;
    let acc: tf.Tensor4D | null = null;
    for (let i = 0; i < g.kernel[0]; i++) {
      for (let j = 0; j < g.kernel[1]; j++) {
        const block: tf.Tensor4D = tf.slice(xp, [0, i * g.dilation[0], j * g.dilation[1], 0], [n, (oh - 1) * sh + 1, (ow - 1) * sw + 1, c]);
        const tap = subsample(block, sh, sw);
        acc = acc == null ? tap : tf.maximum<tf.Tensor4D>(acc, tap);
      }
    }
    return acc!;
  });
}
