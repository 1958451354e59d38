/**
 * LeNet models.
 *
 * - {@link LeNet5} / {@link lenet5}: the classic LeNet-5 (LeCun et al. 1998) in its common
 *   PyTorch form for MNIST, with ReLU and max pooling.
 * - {@link LeNet} / {@link lenet}: the chapter's cat/dog LeNet for 3x224x224 images.
 *
 * Both take NHWC float32 input and return logits (no softmax: `crossEntropyLoss` and the
 * prediction helpers in src/train apply (log-)softmax themselves, like PyTorch's
 * CrossEntropyLoss).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  withSeed,
} from '../nn/index.js';

export interface LeNet5Options {
  /** Output classes, default 10. */
  numClasses?: number;
  /** Seed for the initial weights (default: the global generator, see nn.manualSeed). */
  seed?: number;
}

/**
 * LeNet-5 for 28x28 single-channel images (MNIST):
 *
 * ```
 * conv1 = Conv2d(1, 6, 5, padding=2)  -> ReLU -> MaxPool2d(2)   28x28 -> 28x28x6 -> 14x14x6
 * conv2 = Conv2d(6, 16, 5)            -> ReLU -> MaxPool2d(2)   -> 10x10x16 -> 5x5x16
 * flatten (PyTorch NCHW order)                                   -> 400
 * fc1 = Linear(16*5*5, 120) -> ReLU
 * fc2 = Linear(120, 84)     -> ReLU
 * fc3 = Linear(84, numClasses)                                   -> logits
 * ```
 *
 * conv1 uses padding 2 so that a 28x28 input plays the role of the original 32x32 one (the paper
 * used 32x32 inputs with no padding; both give 5x5x16 before fc1).
 *
 * Attribute names (and state-dict keys): `conv1.weight` [6,1,5,5], `conv1.bias` [6],
 * `conv2.weight` [16,6,5,5], `conv2.bias`, `fc1.weight` [120,400], `fc1.bias`, `fc2.weight`
 * [84,120], `fc2.bias`, `fc3.weight` [numClasses,84], `fc3.bias` - those of the usual PyTorch
 * LeNet-5 class. The stateless `relu` / `pool` / `flatten` modules add no keys.
 *
 * Input NHWC [N, 28, 28, 1] float32; output logits [N, numClasses].
 */
export class LeNet5 extends Module {
  conv1!: Conv2d;
  relu!: ReLU;
  pool!: MaxPool2d;
  conv2!: Conv2d;
  flatten!: Flatten;
  fc1!: Linear;
  fc2!: Linear;
  fc3!: Linear;
  readonly numClasses: number;

  constructor(opts: LeNet5Options = {}) {
    super();
    const numClasses = opts.numClasses ?? 10;
    this.numClasses = numClasses;
    withSeed(opts.seed, () => {
      this.conv1 = new Conv2d(1, 6, 5, { padding: 2 });
      this.relu = new ReLU();
      this.pool = new MaxPool2d(2);
      this.conv2 = new Conv2d(6, 16, 5);
      this.flatten = new Flatten();
      this.fc1 = new Linear(16 * 5 * 5, 120);
      this.fc2 = new Linear(120, 84);
      this.fc3 = new Linear(84, numClasses);
    });
  }

  /** NHWC [N, 28, 28, 1] -> logits [N, numClasses]. */
  forward(x: tf.Tensor): tf.Tensor {
    let out = this.pool.forward(this.relu.forward(this.conv1.forward(x)));
    out = this.pool.forward(this.relu.forward(this.conv2.forward(out)));
    out = this.flatten.forward(out);
    out = this.relu.forward(this.fc1.forward(out));
    out = this.relu.forward(this.fc2.forward(out));
    return this.fc3.forward(out);
  }
}

/** `lenet5({numClasses = 10, seed})`: a new {@link LeNet5} (training mode, PyTorch init). */
export function lenet5(opts: LeNet5Options = {}): LeNet5 {
  return new LeNet5(opts);
}

export interface LeNetOptions {
  /** Output classes, default 2 (cat, dog). */
  numClasses?: number;
  /** Seed for the initial weights. */
  seed?: number;
}

/**
 * The chapter's cat/dog LeNet for 224x224 RGB images:
 *
 * ```
 * cnn1 = Conv2d(3, 16, 5)  (stride 1, padding 0) -> relu1 -> maxpool1 = MaxPool2d(2)
 *                                                   224 -> 220x220x16 -> 110x110x16
 * cnn2 = Conv2d(16, 32, 5)                        -> relu2 -> maxpool2 = MaxPool2d(2)
 *                                                   -> 106x106x32 -> 53x53x32
 * flatten (PyTorch's out.view(out.size(0), -1), NCHW order)   -> 32*53*53 = 89888
 * fc1 = Linear(32*53*53, 512) -> relu3
 * fc2 = Linear(512, numClasses)                                -> logits
 * ```
 *
 * The chapter's listing has bugs; this is the evidently intended network: its fc1 is missing
 * the 512 output features (restored: the fc2 input is 512), its forward applies cnn2 to `x`
 * instead of `out` (here cnn2 takes the pooled cnn1 output), and it defines ReLU3 but never
 * calls it (here relu3 follows fc1).
 *
 * Returns logits; softmax is applied by the loss (`crossEntropyLoss`) and by the prediction
 * helpers (`getPredictions`), as in the chapter's use of nn.CrossEntropyLoss / F.softmax.
 *
 * State-dict keys (PyTorch layouts): `cnn1.weight` [16,3,5,5], `cnn1.bias` [16],
 * `cnn2.weight` [32,16,5,5], `cnn2.bias` [32], `fc1.weight` [512,89888], `fc1.bias` [512],
 * `fc2.weight` [numClasses,512], `fc2.bias` [numClasses].
 *
 * Input NHWC [N, 224, 224, 3] float32 (other sizes fail at fc1); output [N, numClasses].
 */
export class LeNet extends Module {
  cnn1!: Conv2d;
  relu1!: ReLU;
  maxpool1!: MaxPool2d;
  cnn2!: Conv2d;
  relu2!: ReLU;
  maxpool2!: MaxPool2d;
  flatten!: Flatten;
  fc1!: Linear;
  relu3!: ReLU;
  fc2!: Linear;
  readonly numClasses: number;

  constructor(opts: LeNetOptions = {}) {
    super();
    const numClasses = opts.numClasses ?? 2;
    this.numClasses = numClasses;
    withSeed(opts.seed, () => {
      this.cnn1 = new Conv2d(3, 16, 5, { stride: 1, padding: 0 });
      this.relu1 = new ReLU();
      this.maxpool1 = new MaxPool2d(2);
      this.cnn2 = new Conv2d(16, 32, 5, { stride: 1, padding: 0 });
      this.relu2 = new ReLU();
      this.maxpool2 = new MaxPool2d(2);
      this.flatten = new Flatten();
      this.fc1 = new Linear(32 * 53 * 53, 512);
      this.relu3 = new ReLU();
      this.fc2 = new Linear(512, numClasses);
    });
  }

  /** NHWC [N, 224, 224, 3] -> logits [N, numClasses]. */
  forward(x: tf.Tensor): tf.Tensor {
    let out = this.maxpool1.forward(this.relu1.forward(this.cnn1.forward(x)));
    out = this.maxpool2.forward(this.relu2.forward(this.cnn2.forward(out)));
    out = this.flatten.forward(out);
    out = this.relu3.forward(this.fc1.forward(out));
    return this.fc2.forward(out);
  }
}

/** `lenet({numClasses = 2, seed})`: a new chapter {@link LeNet}. */
export function lenet(opts: LeNetOptions = {}): LeNet {
  return new LeNet(opts);
}
