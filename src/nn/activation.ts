/**
 * Stateless activation modules (PyTorch names): ReLU, Tanh, Sigmoid, Softmax, LogSoftmax,
 * Identity. Each is the matching tfjs op; they work on tensors of any rank.
 *
 * Sources: torch.nn.ReLU, Tanh, Sigmoid, Softmax, LogSoftmax, Identity.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';
import { torchDimToAxis } from './utils.js';

/** max(0, x) (`tf.relu`). `inplace` is accepted for signature compatibility and ignored. */
export class ReLU extends Module {
  constructor(_opts: { inplace?: boolean } = {}) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }
}

/** tanh(x) (`tf.tanh`). */
export class Tanh extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tanh(x);
  }
}

/** 1 / (1 + exp(-x)) (`tf.sigmoid`). */
export class Sigmoid extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.sigmoid(x);
  }
}

/** Returns its input unchanged (the same tensor object). */
export class Identity extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return x;
  }
}

/**
 * `Softmax(dim)`: exp(x) / sum(exp(x)) along `dim`.
 *
 * `dim` is PyTorch's: for a rank-4 tensor it counts NCHW dims (dim=1 is channels), and is mapped
 * to the NHWC axis holding that dim (channels -> axis 3). For other ranks it is the axis itself;
 * negative values count from the end. On the last axis this is `tf.softmax`; elsewhere the
 * stable `exp(x - logSumExp(x))`.
 * @throws if `dim` is out of range for the input's rank.
 */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    const axis = torchDimToAxis(this.dim, x.rank);
    if (axis === x.rank - 1) return tf.softmax(x);
    return tf.exp(tf.sub(x, tf.logSumExp(x, axis, true)));
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** `LogSoftmax(dim)`: log(softmax(x)) computed stably; `dim` as in {@link Softmax}. */
export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    const axis = torchDimToAxis(this.dim, x.rank);
    if (axis === x.rank - 1) return tf.logSoftmax(x);
    return tf.sub(x, tf.logSumExp(x, axis, true));
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
