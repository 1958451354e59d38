/**
 * VGG (Simonyan & Zisserman 2014) as torchvision 0.14 defines it (torchvision/models/vgg.py),
 * with identical state-dict keys and shapes: `features` from a configuration list
 * ({@link makeVggLayers}, the chapter's `get_vgg_layers`), `avgpool` = AdaptiveAvgPool2d((7, 7)),
 * `classifier` = Linear(25088, 4096) → ReLU → Dropout → Linear(4096, 4096) → ReLU → Dropout →
 * Linear(4096, numClasses) (keys classifier.0, .3, .6).
 *
 * Configurations (torchvision `cfgs`): A = VGG-11, B = VGG-13, D = VGG-16, E = VGG-19; numbers
 * are 3×3/pad 1 conv widths, 'M' a 2×2/2 max pool. With batchNorm each conv is followed by
 * BatchNorm2d (eps 1e-5), so keys shift: features.0 conv, .1 bn, .2 relu, ...
 *
 * Input NHWC [N, H, W, 3] (any H, W >= 32), output logits [N, numClasses]. Eval mode runs
 * Conv2d[+BN]+ReLU as one fused conv (BN folded, see nn/fused.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential,
  type AnyModule, forwardFused, initTorchvision, releaseFolded, withSeed,
} from '../nn/index.js';

/** One VGG configuration: conv widths and 'M' (max pool). */
export type VggConfig = ReadonlyArray<number | 'M'>;

/** torchvision's `cfgs`. */
export const vggConfigs = {
  A: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  B: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  D: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  E: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
} as const satisfies Record<string, VggConfig>;

/**
 * torchvision's `make_layers(cfg, batch_norm)` (the chapter's `get_vgg_layers(config,
 * batch_norm)`): a Sequential of Conv2d(in, v, 3, padding 1) [+ BatchNorm2d(v)] + ReLU per
 * number and MaxPool2d(2, 2) per 'M', starting from `inChannels` (3).
 */
export function makeVggLayers(config: VggConfig, batchNorm: boolean, inChannels = 3): Sequential {
  const layers: AnyModule[] = [];
  let c = inChannels;
  for (const v of config) {
    if (v === 'M') {
      layers.push(new MaxPool2d(2, { stride: 2 }));
    } else {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`makeVggLayers: bad entry ${String(v)} (numbers > 0 or 'M')`);
      layers.push(new Conv2d(c, v, 3, { padding: 1 }));
      if (batchNorm) layers.push(new BatchNorm2d(v));
      layers.push(new ReLU());
      c = v;
    }
  }
  return new Sequential(...layers);
}

export interface VGGOptions {
  /** Output classes, default 1000. */
  numClasses?: number;
  /** Classifier dropout, default 0.5. */
  dropout?: number;
  /**
   * torchvision's init_weights (default true): convs kaiming_normal_(fan_out, relu) with zero
   * bias, linears N(0, 0.01) with zero bias. false keeps PyTorch's layer defaults (faster to
   * build; use it when a state dict is loaded right away).
   */
  initWeights?: boolean;
  /** Seed for the initial weights. */
  seed?: number;
}

/** `new VGG(features, opts)`: torchvision's VGG around any `features` Sequential ending in 512 channels. */
export class VGG extends Module {
  features: Sequential;
  avgpool: AdaptiveAvgPool2d;
  classifier!: Sequential;
  readonly numClasses: number;
  private readonly _flatten = new Flatten();

  constructor(features: Sequential, opts: VGGOptions = {}) {
    super();
    const numClasses = opts.numClasses ?? 1000;
    const p = opts.dropout ?? 0.5;
    this.numClasses = numClasses;
    this.features = features;
    this.avgpool = new AdaptiveAvgPool2d([7, 7]);
    withSeed(opts.seed, () => {
      this.classifier = new Sequential(
        new Linear(512 * 7 * 7, 4096), new ReLU(), new Dropout(p),
        new Linear(4096, 4096), new ReLU(), new Dropout(p),
        new Linear(4096, numClasses),
      );
      if (opts.initWeights ?? true) initTorchvision(this, { conv: 'kaimingNormalFanOut', linear: 'normal0.01' });
    });
  }

  /** NHWC [N, H, W, 3] -> logits [N, numClasses]. */
  forward(x: tf.Tensor): tf.Tensor {
    let out = forwardFused(this.features, x);
    out = this.avgpool.forward(out);
    out = this._flatten.forward(out);
    return this.classifier.forward(out);
  }

  override dispose(): void {
    releaseFolded(this);
    super.dispose();
  }
}

/** The builder behind the factories: torchvision's `_vgg(cfg, batch_norm, ...)`. */
function _vgg(cfg: keyof typeof vggConfigs, batchNorm: boolean, opts: VGGOptions): VGG {
  return withSeed(opts.seed, () => new VGG(makeVggLayers(vggConfigs[cfg], batchNorm), { ...opts, seed: undefined }));
}

/** VGG-11 (config A). */
export const vgg11 = (opts: VGGOptions = {}): VGG => _vgg('A', false, opts);
/** VGG-11 with BatchNorm. */
export const vgg11_bn = (opts: VGGOptions = {}): VGG => _vgg('A', true, opts);
/** VGG-13 (config B). */
export const vgg13 = (opts: VGGOptions = {}): VGG => _vgg('B', false, opts);
/** VGG-13 with BatchNorm. */
export const vgg13_bn = (opts: VGGOptions = {}): VGG => _vgg('B', true, opts);
/** VGG-16 (config D). */
export const vgg16 = (opts: VGGOptions = {}): VGG => _vgg('D', false, opts);
/** VGG-16 with BatchNorm. */
export const vgg16_bn = (opts: VGGOptions = {}): VGG => _vgg('D', true, opts);
/** VGG-19 (config E). */
export const vgg19 = (opts: VGGOptions = {}): VGG => _vgg('E', false, opts);
/** VGG-19 with BatchNorm. */
export const vgg19_bn = (opts: VGGOptions = {}): VGG => _vgg('E', true, opts);
