/**
 * Semantic segmentation as torchvision 0.14 defines it (torchvision/models/segmentation/fcn.py,
 * deeplabv3.py, _utils.py; models/_utils.py IntermediateLayerGetter), with identical state-dict
 * keys and shapes:
 *
 * - `backbone`: ResNet-50/101 with replace_stride_with_dilation [false, true, true] (output
 *   stride 8) cut like IntermediateLayerGetter: conv1, bn1, relu, maxpool, layer1..4 (no
 *   avgpool/fc), keys `backbone.conv1.weight`, `backbone.layer1.0.conv1.weight`, …;
 * - `classifier`: {@link FCNHead}(2048) or {@link DeepLabHead}(2048) = ASPP(rates 12/24/36) + 3×3
 *   conv + BN + ReLU + 1×1 conv;
 * - `aux_classifier` (only with auxLoss): FCNHead(1024) on layer3.
 *
 * forward: NHWC [N, H, W, 3] → logits NHWC [N, H, W, numClasses]: the head's output (at H/8, W/8,
 * rounded as the convs do) upsampled bilinearly (align_corners=False) to the input size — the
 * `result['out']` of torchvision's _SimpleSegmentationModel. {@link SegmentationModel.forwardDict}
 * also returns `aux`. Eval mode folds every conv+BN(+ReLU) into one fused conv (nn/fused.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Dropout, MaxPool2d, Module, ModuleList, ReLU, Sequential,
  convBnAct, forwardFused, releaseFolded, withSeed,
} from '../nn/index.js';
import { interpolate } from '../ops/interpolate.js';
import { resnet101, resnet50, type ResNet } from './resnet.js';

/**
 * torchvision's `IntermediateLayerGetter(resnet, {'layer4': 'out'[, 'layer3': 'aux']})` for a
 * ResNet: holds the ResNet's conv1, bn1, relu, maxpool, layer1..4 (same objects, same keys).
 */
export class ResNetBackbone extends Module<tf.Tensor, tf.Tensor> {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  maxpool: MaxPool2d;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  layer4: Sequential;

  /** Takes over the layers of `resnet` (its avgpool/fc are not kept; dispose its fc yourself). */
  constructor(resnet: ResNet) {
    super();
    this.conv1 = resnet.conv1;
    this.bn1 = resnet.bn1;
    this.relu = resnet.relu;
    this.maxpool = resnet.maxpool;
    this.layer1 = resnet.layer1;
    this.layer2 = resnet.layer2;
    this.layer3 = resnet.layer3;
    this.layer4 = resnet.layer4;
  }

  /**
   * NHWC [N, H, W, 3] → `{out: layer4 [N, h, w, 2048], aux?: layer3 [N, h, w, 1024]}` (aux when
   * `withAux`). Runs in its own `tf.tidy`: only the returned maps are left (the caller owns them).
   */
  features(x: tf.Tensor, withAux = false): { out: tf.Tensor; aux?: tf.Tensor } {
    return tf.tidy(() => this.extract(x, withAux));
  }

  /**
   * {@link features} without a tidy scope of its own, for callers already inside one (the
   * segmentation models' forward): every intermediate belongs to the caller's scope.
   */
  extract(x: tf.Tensor, withAux = false): { out: tf.Tensor; aux?: tf.Tensor } {
    let y = convBnAct(this.conv1, this.bn1, this.relu, x);
    y = this.maxpool.forward(y);
    y = this.layer1.forward(y);
    y = this.layer2.forward(y);
    const aux = this.layer3.forward(y);
    const out = this.layer4.forward(aux);
    return withAux ? { out, aux } : { out };
  }

  /** NHWC [N, H, W, 3] → layer4's features [N, h, w, 2048] (in a tidy: only the result is left). */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.extract(x, false).out);
  }
}

/**
 * torchvision `FCNHead(inChannels, channels)`: Sequential(conv3×3 in→in/4 no bias, BN, ReLU,
 * Dropout(0.1), conv1×1 in/4→channels with bias); keys 0, 1, 4. NHWC in and out.
 */
export class FCNHead extends Sequential {
  constructor(inChannels: number, channels: number) {
    const inter = Math.floor(inChannels / 4);
    super(
      new Conv2d(inChannels, inter, 3, { padding: 1, bias: false }),
      new BatchNorm2d(inter),
      new ReLU(),
      new Dropout(0.1),
      new Conv2d(inter, channels, 1),
    );
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return forwardFused(this, x);
  }
}

/** torchvision `ASPPConv`: 3×3 conv (padding = dilation = rate, no bias) + BN + ReLU. */
export class ASPPConv extends Sequential {
  constructor(inChannels: number, outChannels: number, dilation: number) {
    super(
      new Conv2d(inChannels, outChannels, 3, { padding: dilation, dilation, bias: false }),
      new BatchNorm2d(outChannels),
      new ReLU(),
    );
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return forwardFused(this, x);
  }
}

/**
 * torchvision `ASPPPooling`: AdaptiveAvgPool2d(1), conv1×1 (no bias), BN, ReLU (keys 1, 2), then
 * `F.interpolate(size=input HxW, bilinear, align_corners=False)` back to the input map size.
 */
export class ASPPPooling extends Sequential {
  constructor(inChannels: number, outChannels: number) {
    super(
      new AdaptiveAvgPool2d(1),
      new Conv2d(inChannels, outChannels, 1, { bias: false }),
      new BatchNorm2d(outChannels),
      new ReLU(),
    );
  }

  /** NHWC [N, h, w, in] → [N, h, w, out] (the pooled vector, broadcast by the bilinear upsample). */
  override forward(x: tf.Tensor): tf.Tensor {
    const [, h, w] = x.shape;
    const y = forwardFused(this, x);
    return interpolate(y, { size: [h, w], mode: 'bilinear', alignCorners: false });
  }
}

/**
 * torchvision `ASPP(inChannels, atrousRates, outChannels = 256)`: `convs` = [1×1 conv+BN+ReLU,
 * ASPPConv per rate, ASPPPooling] run in parallel and concatenated on channels (in that order),
 * then `project` = conv1×1 (5·out → out, no bias) + BN + ReLU + Dropout(0.5).
 */
export class ASPP extends Module<tf.Tensor, tf.Tensor> {
  convs: ModuleList;
  project: Sequential;

  constructor(inChannels: number, atrousRates: number[], outChannels = 256) {
    super();
    const mods: Module<tf.Tensor, tf.Tensor>[] = [
      new Sequential(new Conv2d(inChannels, outChannels, 1, { bias: false }), new BatchNorm2d(outChannels), new ReLU()),
    ];
    for (const r of atrousRates) mods.push(new ASPPConv(inChannels, outChannels, r));
    mods.push(new ASPPPooling(inChannels, outChannels));
    this.convs = new ModuleList(mods);
    this.project = new Sequential(
      new Conv2d(mods.length * outChannels, outChannels, 1, { bias: false }),
      new BatchNorm2d(outChannels),
      new ReLU(),
      new Dropout(0.5),
    );
  }

  /** NHWC [N, h, w, in] → [N, h, w, out]. */
  forward(x: tf.Tensor): tf.Tensor {
    const res = this.convs.children().map((c) => (c instanceof Sequential && c.constructor === Sequential ? forwardFused(c, x) : c.forward(x)));
    return forwardFused(this.project, tf.concat(res, 3));
  }
}

/**
 * torchvision `DeepLabHead(inChannels, numClasses)`: Sequential(ASPP(in, [12, 24, 36]),
 * conv3×3 256→256 no bias, BN, ReLU, conv1×1 256→numClasses with bias). NHWC in and out.
 */
export class DeepLabHead extends Sequential {
  constructor(inChannels: number, numClasses: number) {
    super(
      new ASPP(inChannels, [12, 24, 36]),
      new Conv2d(256, 256, 3, { padding: 1, bias: false }),
      new BatchNorm2d(256),
      new ReLU(),
      new Conv2d(256, numClasses, 1),
    );
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return forwardFused(this, x);
  }
}

/** Options of the segmentation factories. */
export interface SegmentationOptions {
  /** Output classes (background included), default 21 (PASCAL VOC). */
  numClasses?: number;
  /**
   * Build `aux_classifier` (FCNHead(1024) on layer3), torchvision's aux_loss; default false
   * (torchvision's default for weights=None). Pretrained torchvision checkpoints include it.
   */
  auxLoss?: boolean;
  /**
   * Default true: torchvision's ResNet init for the backbone (heads keep PyTorch's layer
   * defaults, as torchvision). false skips the backbone init (faster when a state dict is
   * loaded right away).
   */
  initWeights?: boolean;
  /** Seed for the initial weights. */
  seed?: number;
}

/** What {@link SegmentationModel.forwardDict} returns: torchvision's result dict, NHWC. */
export type SegmentationOutputs = {
  /** [N, H, W, numClasses] logits at the input size. */
  out: tf.Tensor4D;
  /** The aux head's logits at the input size (only with auxLoss). */
  aux?: tf.Tensor4D;
};

/**
 * torchvision `_SimpleSegmentationModel(backbone, classifier, aux_classifier)` (base of FCN and
 * DeepLabV3). Keys `backbone.*`, `classifier.*`[, `aux_classifier.*`].
 */
export class SegmentationModel extends Module<tf.Tensor, tf.Tensor> {
  backbone: ResNetBackbone;
  classifier: Sequential;
  aux_classifier: FCNHead | null;
  readonly numClasses: number;

  constructor(backbone: ResNetBackbone, classifier: Sequential, auxClassifier: FCNHead | null, numClasses: number) {
    super();
    this.backbone = backbone;
    this.classifier = classifier;
    this.aux_classifier = auxClassifier;
    this.numClasses = numClasses;
  }

  /**
   * The heads on given backbone features (`{out: layer4, aux?: layer3}`, NHWC), upsampled to
   * `size` = [H, W]: the second half of {@link forwardDict} (lets one backbone run feed several
   * heads).
   */
  forwardHeads(feats: { out: tf.Tensor; aux?: tf.Tensor }, size: [number, number]): SegmentationOutputs {
    if (this.aux_classifier && !feats.aux) throw new Error('SegmentationModel: the aux head needs layer3 features (feats.aux)');
    return tf.tidy(() => this.heads(feats, size));
  }

  /** The body of {@link forwardHeads}, without a tidy scope (callers are inside one). */
  private heads(feats: { out: tf.Tensor; aux?: tf.Tensor }, size: [number, number]): SegmentationOutputs {
    const up = (t: tf.Tensor) => interpolate(t, { size, mode: 'bilinear', alignCorners: false }) as tf.Tensor4D;
    const res: SegmentationOutputs = { out: up(this.classifier.forward(feats.out)) };
    if (this.aux_classifier) {
      if (!feats.aux) throw new Error('SegmentationModel: the aux head needs layer3 features (feats.aux)');
      res.aux = up(this.aux_classifier.forward(feats.aux));
    }
    return res;
  }

  /**
   * NHWC [N, H, W, 3] → `{out, aux?}` logits NHWC [N, H, W, numClasses] (torchvision's result
   * dict; aux only when built with auxLoss). Runs in one `tf.tidy`: only out (and aux) are left.
   * @throws for a non-rank-4 or non-3-channel input.
   */
  forwardDict(x: tf.Tensor): SegmentationOutputs {
    if (x.rank !== 4 || x.shape[3] !== 3) throw new Error(`segmentation: expected NHWC [N, H, W, 3], got [${x.shape.join(', ')}]`);
    return tf.tidy(() => this.heads(this.backbone.extract(x, this.aux_classifier != null), [x.shape[1]!, x.shape[2]!]));
  }

  /**
   * NHWC [N, H, W, 3] → logits NHWC [N, H, W, numClasses] (`result['out']`; aux is not computed).
   * The body runs in one `tf.tidy`, so calling `forward` directly (as PyTorch's `model.forward(x)`)
   * leaves only the logits, like {@link Module.call}. @throws for a non-rank-4 or non-3-channel input.
   */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4 || x.shape[3] !== 3) throw new Error(`segmentation: expected NHWC [N, H, W, 3], got [${x.shape.join(', ')}]`);
    return tf.tidy(() => {
      const feats = this.backbone.extract(x, false);
      const y = this.classifier.forward(feats.out);
      return interpolate(y, { size: [x.shape[1]!, x.shape[2]!], mode: 'bilinear', alignCorners: false });
    });
  }

  override dispose(): void {
    releaseFolded(this);
    super.dispose();
  }
}

/** torchvision `FCN` (Long et al. 2015 with a dilated ResNet backbone). */
export class FCN extends SegmentationModel {}

/** torchvision `DeepLabV3` (Chen et al. 2017, ASPP head). */
export class DeepLabV3 extends SegmentationModel {}

type Head = 'fcn' | 'deeplabv3';

/** The builder behind the factories (torchvision `_fcn_resnet` / `_deeplabv3_resnet`). */
function build(head: Head, depth: 50 | 101, opts: SegmentationOptions): SegmentationModel {
  const numClasses = opts.numClasses ?? 21;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`segmentation: numClasses must be an integer >= 1, got ${numClasses}`);
  const make = depth === 50 ? resnet50 : resnet101;
  return withSeed(opts.seed, () => {
    const resnet = make({ numClasses: 1, replaceStrideWithDilation: [false, true, true], initWeights: opts.initWeights ?? true });
    resnet.fc.dispose(); // IntermediateLayerGetter drops avgpool and fc
    const backbone = new ResNetBackbone(resnet);
    const aux = opts.auxLoss ? new FCNHead(1024, numClasses) : null;
    const classifier = head === 'fcn' ? new FCNHead(2048, numClasses) : new DeepLabHead(2048, numClasses);
    const Cls = head === 'fcn' ? FCN : DeepLabV3;
    return new Cls(backbone, classifier, aux, numClasses);
  });
}

/** FCN-ResNet-50 (torchvision `fcn_resnet50(weights=None)`): 32,957,013 parameters (35,322,218 with auxLoss). */
export const fcn_resnet50 = (opts: SegmentationOptions = {}): FCN => build('fcn', 50, opts) as FCN;
/** FCN-ResNet-101 (torchvision `fcn_resnet101`): 51,949,141 parameters (54,314,346 with auxLoss). */
export const fcn_resnet101 = (opts: SegmentationOptions = {}): FCN => build('fcn', 101, opts) as FCN;
/** DeepLabV3-ResNet-50 (torchvision `deeplabv3_resnet50(weights=None)`): 39,638,869 parameters (42,004,074 with auxLoss). */
export const deeplabv3_resnet50 = (opts: SegmentationOptions = {}): DeepLabV3 => build('deeplabv3', 50, opts) as DeepLabV3;
/** DeepLabV3-ResNet-101 (torchvision `deeplabv3_resnet101`): 58,630,997 parameters (60,996,202 with auxLoss). */
export const deeplabv3_resnet101 = (opts: SegmentationOptions = {}): DeepLabV3 => build('deeplabv3', 101, opts) as DeepLabV3;
