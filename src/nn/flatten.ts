/**
 * Flatten (torch.nn.Flatten) that reproduces PyTorch's element order.
 *
 * Why the transpose: PyTorch flattens an NCHW tensor, so feature index = c*H*W + h*W + w. Our
 * activations are NHWC; flattening them directly would give h*W*C + w*C + c, and a Linear layer
 * loaded from a PyTorch state_dict (e.g. LeNet's fc1 after the conv stack) would see its inputs
 * permuted. So a rank-4 input is first transposed to NCHW ([0, 3, 1, 2]) and then reshaped;
 * the result has exactly PyTorch's order and the PyTorch weights load unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';

/** torch.nn.Flatten(startDim=1, endDim=-1) with PyTorch (NCHW) element order for rank-4 NHWC inputs (see above). */
export class Flatten extends Module {
  /**
   * @param startDim first dim to flatten (default 1), PyTorch numbering (NCHW for rank 4)
   * @param endDim last dim to flatten (default -1)
   */
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  /**
   * Rank-4 NHWC [N, H, W, C] with the defaults -> [N, C*H*W] in PyTorch (NCHW) order.
   * Other ranks are flattened as they are (no layout change).
   * @throws if startDim > endDim after normalisation, or a dim is out of range.
   */
  forward(x: tf.Tensor): tf.Tensor {
    // NHWC and NCHW orders coincide when H*W == 1 or C == 1: skip the transpose then.
    let t = x;
    if (x.rank === 4) {
      const [n, h, w, c] = x.shape as [number, number, number, number];
      t = h * w > 1 && c > 1 ? tf.transpose(x, [0, 3, 1, 2]) : tf.reshape(x, [n, c, h, w]);
    }
    const r = t.rank;
    const norm = (d: number) => {
      const n = d < 0 ? d + r : d;
      if (n < 0 || n >= r) throw new Error(`Flatten: dim ${d} out of range for rank ${r}`);
      return n;
    };
    const s = norm(this.startDim);
    const e = norm(this.endDim);
    if (s > e) throw new Error('Flatten: startDim cannot come after endDim');
    const shape = t.shape;
    const mid = shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
    return tf.reshape(t, [...shape.slice(0, s), mid, ...shape.slice(e + 1)]);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
