/**
 * AlexNet, as torchvision 0.14 defines it (torchvision/models/alexnet.py: the "one weird trick"
 * single-tower variant, no grouped convs, no LRN), with identical state-dict keys and shapes:
 *
 * ```
 * features.0  Conv2d(3, 64, 11, stride 4, padding 2)   → ReLU → MaxPool2d(3, 2)
 * features.3  Conv2d(64, 192, 5, padding 2)            → ReLU → MaxPool2d(3, 2)
 * features.6  Conv2d(192, 384, 3, padding 1)           → ReLU
 * features.8  Conv2d(384, 256, 3, padding 1)           → ReLU
 * features.10 Conv2d(256, 256, 3, padding 1)           → ReLU → MaxPool2d(3, 2)
 * avgpool     AdaptiveAvgPool2d((6, 6))
 * flatten (PyTorch NCHW order, torch.flatten(x, 1))    → 9216
 * classifier  Dropout → .1 Linear(9216, 4096) → ReLU → Dropout → .4 Linear(4096, 4096) → ReLU
 *             → .6 Linear(4096, numClasses)
 * ```
 *
 * Input NHWC [N, H, W, 3] float32 (ImageNet-normalised, see models/imagenet.ts; any H, W >= 63),
 * output logits [N, numClasses]. Eval mode runs each Conv2d+ReLU as one fused conv.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  AdaptiveAvgPool2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential, forwardFused, withSeed,
} from '../nn/index.js';

export interface AlexNetOptions {
  /** Output classes, default 1000. */
  numClasses?: number;
  /** Dropout probability of the classifier, default 0.5. */
  dropout?: number;
  /** Seed for the initial weights (default: the global generator, see nn.manualSeed). */
  seed?: number;
}

/**
 * torchvision `AlexNet` (torchvision/models/alexnet.py; Krizhevsky et al. 2012, one-GPU variant):
 * `features` (5 convs, 3 max pools), `avgpool` = AdaptiveAvgPool2d((6,6)), `classifier`
 * (Dropout, Linear 9216→4096, ReLU, Dropout, Linear 4096→4096, ReLU, Linear 4096→numClasses).
 * Input NHWC [N,H,W,3] float32 (ImageNet-normalized), output logits [N,numClasses];
 * state_dict keys `features.{0,3,6,8,10}.*`, `classifier.{1,4,6}.*`.
 */
export class AlexNet extends Module {
  features!: Sequential;
  avgpool!: AdaptiveAvgPool2d;
  classifier!: Sequential;
  readonly numClasses: number;
  private readonly _flatten = new Flatten();

  constructor(opts: AlexNetOptions = {}) {
    super();
    const numClasses = opts.numClasses ?? 1000;
    const p = opts.dropout ?? 0.5;
    this.numClasses = numClasses;
    withSeed(opts.seed, () => {
      this.features = new Sequential(
        new Conv2d(3, 64, 11, { stride: 4, padding: 2 }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
        new Conv2d(64, 192, 5, { padding: 2 }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
        new Conv2d(192, 384, 3, { padding: 1 }), new ReLU(),
        new Conv2d(384, 256, 3, { padding: 1 }), new ReLU(),
        new Conv2d(256, 256, 3, { padding: 1 }), new ReLU(),
        new MaxPool2d(3, { stride: 2 }),
      );
      this.avgpool = new AdaptiveAvgPool2d([6, 6]);
      this.classifier = new Sequential(
        new Dropout(p), new Linear(256 * 6 * 6, 4096), new ReLU(),
        new Dropout(p), new Linear(4096, 4096), new ReLU(),
        new Linear(4096, numClasses),
      );
    });
  }

  /** NHWC [N, H, W, 3] -> logits [N, numClasses]. */
  forward(x: tf.Tensor): tf.Tensor {
    let out = forwardFused(this.features, x);
    out = this.avgpool.forward(out);
    out = this._flatten.forward(out);
    return this.classifier.forward(out);
  }
}

/** `alexnet({numClasses = 1000, dropout = 0.5, seed})`: torchvision's AlexNet (PyTorch default init). */
export function alexnet(opts: AlexNetOptions = {}): AlexNet {
  return new AlexNet(opts);
}
