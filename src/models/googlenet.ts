/**
 * GoogLeNet (Inception v1, Szegedy et al. 2014) as torchvision 0.14 defines it
 * (torchvision/models/googlenet.py), with identical state-dict keys and shapes, quirks included:
 *
 * - {@link BasicConv2d} = Conv2d(bias=False) + BatchNorm2d(eps=0.001) + ReLU (keys conv, bn);
 * - {@link Inception}: branch1 1×1; branch2 1×1 → 3×3; branch3 1×1 → **3×3** (the paper's 5×5
 *   branch; torchvision's known bug, pytorch/vision#906, kept so its weights load); branch4
 *   MaxPool2d(3, 1, padding 1, ceil_mode) → 1×1; outputs concatenated along channels;
 * - {@link InceptionAux} (aux1 after inception4a, aux2 after inception4d): adaptive avg pool to
 *   4×4 → BasicConv2d(in, 128, 1) → flatten → fc1 Linear(2048, 1024) → ReLU → Dropout(0.7) →
 *   fc2 Linear(1024, numClasses). Only run in training mode;
 * - maxpool1..3 = MaxPool2d(3, 2, ceil_mode=True), maxpool4 = MaxPool2d(2, 2, ceil_mode=True)
 *   (PyTorch's ceil rule, src/ops maxPool2dTorch);
 * - `transformInput` (torchvision's transform_input): re-normalises an ImageNet-normalised input
 *   to the (x − 0.5)/0.5 normalisation the original Google weights expect:
 *   x_c ← x_c · (std_c / 0.5) + (mean_c − 0.5) / 0.5, mean (0.485, 0.456, 0.406),
 *   std (0.229, 0.224, 0.225). torchvision turns it on when loading its pretrained weights.
 *
 * Outputs: in eval mode (or with auxLogits false) the main logits [N, numClasses]; in training
 * mode with auxLogits, `{logits, aux1, aux2}` where aux1/aux2 are the logits of the `aux1`/`aux2`
 * heads. (torchvision returns the namedtuple GoogLeNetOutputs(logits, aux_logits2,
 * aux_logits1) whose positional order, after two swaps in its forward, is
 * (logits, aux1-head, aux2-head); here the fields are named after the heads.) The usual loss is
 * `ce(logits) + 0.3·(ce(aux1) + ce(aux2))`.
 *
 * Input NHWC [N, H, W, 3] (H, W >= 15 in eval; aux heads need the inception4 maps), eval mode
 * fuses each BasicConv2d into one conv with the BN folded in.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential,
  type Conv2dOptions, convBnAct, initTorchvision, releaseFolded, withSeed,
} from '../nn/index.js';
import { adaptiveAvgPool2d } from '../ops/index.js';

/** Conv2d(bias=False) → BatchNorm2d(eps=0.001) → ReLU; keys `conv.weight`, `bn.*`. */
export class BasicConv2d extends Module {
  conv: Conv2d;
  bn: BatchNorm2d;
  private readonly _relu = new ReLU();

  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: Omit<Conv2dOptions, 'bias'> = {}) {
    super();
    this.conv = new Conv2d(inChannels, outChannels, kernelSize, { ...opts, bias: false });
    this.bn = new BatchNorm2d(outChannels, { eps: 0.001 });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return convBnAct(this.conv, this.bn, this._relu, x);
  }
}

/** The Inception block: four branches concatenated along channels (NHWC axis 3). */
export class Inception extends Module {
  branch1: BasicConv2d;
  branch2: Sequential;
  branch3: Sequential;
  branch4: Sequential;

  constructor(inChannels: number, ch1x1: number, ch3x3red: number, ch3x3: number, ch5x5red: number, ch5x5: number, poolProj: number) {
    super();
    this.branch1 = new BasicConv2d(inChannels, ch1x1, 1);
    this.branch2 = new Sequential(new BasicConv2d(inChannels, ch3x3red, 1), new BasicConv2d(ch3x3red, ch3x3, 3, { padding: 1 }));
    // kernel 3 instead of 5: torchvision's known bug (pytorch/vision#906), kept for weight compatibility
    this.branch3 = new Sequential(new BasicConv2d(inChannels, ch5x5red, 1), new BasicConv2d(ch5x5red, ch5x5, 3, { padding: 1 }));
    this.branch4 = new Sequential(
      new MaxPool2d(3, { stride: 1, padding: 1, ceilMode: true }),
      new BasicConv2d(inChannels, poolProj, 1),
    );
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.concat([this.branch1.forward(x), this.branch2.forward(x), this.branch3.forward(x), this.branch4.forward(x)], 3);
  }
}

/** Auxiliary classifier head (training only). */
export class InceptionAux extends Module {
  conv: BasicConv2d;
  fc1: Linear;
  fc2: Linear;
  dropout: Dropout;
  private readonly _flatten = new Flatten();

  constructor(inChannels: number, numClasses: number, dropout = 0.7) {
    super();
    this.conv = new BasicConv2d(inChannels, 128, 1);
    this.fc1 = new Linear(2048, 1024);
    this.fc2 = new Linear(1024, numClasses);
    this.dropout = new Dropout(dropout);
  }

  forward(x: tf.Tensor): tf.Tensor {
    let out: tf.Tensor = adaptiveAvgPool2d(x, [4, 4]);
    out = this.conv.forward(out);
    out = this._flatten.forward(out);
    out = tf.relu(this.fc1.forward(out));
    out = this.dropout.forward(out);
    return this.fc2.forward(out);
  }
}

/** Training-mode output with auxiliary heads. */
export interface GoogLeNetOutputs {
  [key: string]: tf.Tensor;
  logits: tf.Tensor;
  aux1: tf.Tensor;
  aux2: tf.Tensor;
}

export interface GoogLeNetOptions {
  /** Output classes, default 1000. */
  numClasses?: number;
  /** Build aux1/aux2 (default true, as torchvision with weights=None). */
  auxLogits?: boolean;
  /** torchvision transform_input (default false; torchvision sets it true for its pretrained weights). */
  transformInput?: boolean;
  /** Main classifier dropout, default 0.2. */
  dropout?: number;
  /** Aux classifiers' dropout, default 0.7. */
  dropoutAux?: number;
  /**
   * Default true: torchvision's init (trunc_normal_(0, 0.01, -2, 2) conv and linear weights,
   * BN 1/0). false keeps PyTorch's layer defaults.
   */
  initWeights?: boolean;
  /** Seed for the initial weights. */
  seed?: number;
}

export class GoogLeNet extends Module<tf.Tensor, tf.Tensor | GoogLeNetOutputs> {
  conv1!: BasicConv2d;
  maxpool1!: MaxPool2d;
  conv2!: BasicConv2d;
  conv3!: BasicConv2d;
  maxpool2!: MaxPool2d;
  inception3a!: Inception;
  inception3b!: Inception;
  maxpool3!: MaxPool2d;
  inception4a!: Inception;
  inception4b!: Inception;
  inception4c!: Inception;
  inception4d!: Inception;
  inception4e!: Inception;
  maxpool4!: MaxPool2d;
  inception5a!: Inception;
  inception5b!: Inception;
  aux1!: InceptionAux | null;
  aux2!: InceptionAux | null;
  avgpool!: AdaptiveAvgPool2d;
  dropout!: Dropout;
  fc!: Linear;
  readonly numClasses: number;
  readonly auxLogits: boolean;
  readonly transformInput: boolean;
  private readonly _flatten = new Flatten();

  constructor(opts: GoogLeNetOptions = {}) {
    super();
    const numClasses = opts.numClasses ?? 1000;
    this.numClasses = numClasses;
    this.auxLogits = opts.auxLogits ?? true;
    this.transformInput = opts.transformInput ?? false;
    withSeed(opts.seed, () => {
      this.conv1 = new BasicConv2d(3, 64, 7, { stride: 2, padding: 3 });
      this.maxpool1 = new MaxPool2d(3, { stride: 2, ceilMode: true });
      this.conv2 = new BasicConv2d(64, 64, 1);
      this.conv3 = new BasicConv2d(64, 192, 3, { padding: 1 });
      this.maxpool2 = new MaxPool2d(3, { stride: 2, ceilMode: true });
      this.inception3a = new Inception(192, 64, 96, 128, 16, 32, 32);
      this.inception3b = new Inception(256, 128, 128, 192, 32, 96, 64);
      this.maxpool3 = new MaxPool2d(3, { stride: 2, ceilMode: true });
      this.inception4a = new Inception(480, 192, 96, 208, 16, 48, 64);
      this.inception4b = new Inception(512, 160, 112, 224, 24, 64, 64);
      this.inception4c = new Inception(512, 128, 128, 256, 24, 64, 64);
      this.inception4d = new Inception(512, 112, 144, 288, 32, 64, 64);
      this.inception4e = new Inception(528, 256, 160, 320, 32, 128, 128);
      this.maxpool4 = new MaxPool2d(2, { stride: 2, ceilMode: true });
      this.inception5a = new Inception(832, 256, 160, 320, 32, 128, 128);
      this.inception5b = new Inception(832, 384, 192, 384, 48, 128, 128);
      this.aux1 = this.auxLogits ? new InceptionAux(512, numClasses, opts.dropoutAux ?? 0.7) : null;
      this.aux2 = this.auxLogits ? new InceptionAux(528, numClasses, opts.dropoutAux ?? 0.7) : null;
      this.avgpool = new AdaptiveAvgPool2d([1, 1]);
      this.dropout = new Dropout(opts.dropout ?? 0.2);
      this.fc = new Linear(1024, numClasses);
      if (opts.initWeights ?? true) initTorchvision(this, { conv: 'truncNormal0.01', linear: 'truncNormal0.01', batchNormOnesZeros: true });
    });
  }

  /** torchvision `_transform_input` (identity unless transformInput). */
  private transform(x: tf.Tensor): tf.Tensor {
    if (!this.transformInput) return x;
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const scale = tf.tensor1d(std.map((s) => s / 0.5));
    const shift = tf.tensor1d(mean.map((m) => (m - 0.5) / 0.5));
    return tf.add(tf.mul(x, scale), shift);
  }

  /** NHWC [N, H, W, 3] -> logits [N, numClasses] (eval), or {logits, aux1, aux2} (training with auxLogits). */
  forward(input: tf.Tensor): tf.Tensor | GoogLeNetOutputs {
    if (input.rank !== 4 || input.shape[3] !== 3) {
      throw new Error(`GoogLeNet: expected an NHWC input [N, H, W, 3], got [${input.shape.join(', ')}]`);
    }
    let x = this.transform(input);
    x = this.conv1.forward(x);
    x = this.maxpool1.forward(x);
    x = this.conv2.forward(x);
    x = this.conv3.forward(x);
    x = this.maxpool2.forward(x);
    x = this.inception3a.forward(x);
    x = this.inception3b.forward(x);
    x = this.maxpool3.forward(x);
    x = this.inception4a.forward(x);
    const withAux = this.training && this.aux1 != null && this.aux2 != null;
    const aux1 = withAux ? this.aux1!.forward(x) : null;
    x = this.inception4b.forward(x);
    x = this.inception4c.forward(x);
    x = this.inception4d.forward(x);
    const aux2 = withAux ? this.aux2!.forward(x) : null;
    x = this.inception4e.forward(x);
    x = this.maxpool4.forward(x);
    x = this.inception5a.forward(x);
    x = this.inception5b.forward(x);
    x = this.avgpool.forward(x);
    x = this._flatten.forward(x);
    x = this.dropout.forward(x);
    const logits = this.fc.forward(x);
    return withAux ? { logits, aux1: aux1!, aux2: aux2! } : logits;
  }

  override dispose(): void {
    releaseFolded(this);
    super.dispose();
  }
}

/** `googlenet({numClasses, auxLogits = true, transformInput = false, ...})`: torchvision's GoogLeNet. */
export function googlenet(opts: GoogLeNetOptions = {}): GoogLeNet {
  return new GoogLeNet(opts);
}
