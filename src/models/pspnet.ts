/**
 * PSPNet (Zhao, Shi, Qi, Wang & Jia 2017, "Pyramid Scene Parsing Network") on a dilated ResNet,
 * built like torchvision's segmentation models (src/models/segmentation.ts): a
 * {@link SegmentationModel} with
 *
 * - `backbone`: ResNet-50/101 with replace_stride_with_dilation [false, true, true] (output
 *   stride 8), keys `backbone.conv1.weight`, `backbone.layer4.2.bn3.running_var`, … (the
 *   torchvision ResNet keys under `backbone.`, so an ImageNet resnet50 state dict loads there);
 * - `classifier` = {@link PSPHead}(2048, numClasses), a Sequential as torchvision's DeepLabHead:
 *   `classifier.0` = {@link PyramidPooling} (keys `classifier.0.stages.{i}.1.weight` (conv1×1
 *   C→C/4, no bias) and `classifier.0.stages.{i}.2.*` (BN) for bins 1, 2, 3, 6),
 *   `classifier.1` conv3×3 2C→512 (no bias), `classifier.2` BN, `classifier.3` ReLU,
 *   `classifier.4` Dropout2d(0.1), `classifier.5` conv1×1 512→numClasses (bias);
 * - `aux_classifier` (auxLoss): torchvision's FCNHead(1024, numClasses) on layer3 (conv3×3
 *   1024→256, BN, ReLU, Dropout(0.1), conv1×1: the aux head of the authors' code, hszhao/semseg,
 *   apart from Dropout vs Dropout2d, which are both the identity in eval).
 *
 * Pyramid pooling (the paper's §3.2, hszhao/semseg model/pspnet.py `PPM`): for each bin b,
 * AdaptiveAvgPool2d(b) → conv1×1 → BN → ReLU, upsampled bilinearly (align_corners=False, as
 * torchvision's heads; hszhao uses True) back to the map size; output = concat([x, s_1, s_2, s_3,
 * s_6]) on channels (2C). The head's logits (at H/8, W/8) are upsampled bilinearly
 * (align_corners=False) to the input size, as in {@link SegmentationModel}.
 *
 * The same module in PyTorch is in tests/fixtures/torch/gen_segmentation2.py (`PSPNet`), which
 * checks these keys and the forward.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Dropout2d, Module, ModuleList, ReLU, Sequential,
  forwardFused, withSeed,
} from '../nn/index.js';
import { interpolate } from '../ops/interpolate.js';
import { resnet101, resnet50 } from './resnet.js';
import { FCNHead, ResNetBackbone, SegmentationModel, type SegmentationOptions } from './segmentation.js';

/**
 * The pyramid pooling module: `stages` = ModuleList of Sequential(AdaptiveAvgPool2d(b),
 * conv1×1 in→reduction (no bias), BN, ReLU), one per bin. NHWC [N, h, w, in] →
 * [N, h, w, in + bins.length · reduction] (input first, then the stages in bin order).
 */
export class PyramidPooling extends Module<tf.Tensor, tf.Tensor> {
  stages: ModuleList;
  readonly bins: number[];

  /** @throws for an empty bin list, non-integer bins or widths. */
  constructor(inChannels: number, reduction = Math.floor(inChannels / 4), bins: number[] = [1, 2, 3, 6]) {
    super();
    if (!bins.length || !bins.every((b) => Number.isInteger(b) && b >= 1)) throw new Error(`PyramidPooling: bins must be integers >= 1, got [${bins}]`);
    if (!Number.isInteger(inChannels) || inChannels < 1 || !Number.isInteger(reduction) || reduction < 1) {
      throw new Error(`PyramidPooling: inChannels and reduction must be integers >= 1, got ${inChannels}, ${reduction}`);
    }
    this.bins = [...bins];
    this.stages = new ModuleList(bins.map((b) => new Sequential(
      new AdaptiveAvgPool2d(b),
      new Conv2d(inChannels, reduction, 1, { bias: false }),
      new BatchNorm2d(reduction),
      new ReLU(),
    )));
  }

  /** NHWC [N, h, w, in] → [N, h, w, in + bins·reduction]. */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4) throw new Error(`PyramidPooling: expected NHWC rank 4, got [${x.shape.join(', ')}]`);
    const [, h, w] = x.shape as number[];
    return tf.tidy(() => {
      const outs = [x];
      for (const s of this.stages.children()) {
        outs.push(interpolate(forwardFused(s as Sequential, x), { size: [h, w], mode: 'bilinear', alignCorners: false }));
      }
      return tf.concat(outs, 3);
    });
  }

  override extraRepr(): string {
    return `bins=(${this.bins.join(', ')})`;
  }
}

/**
 * PSPNet's head: Sequential(PyramidPooling(in, in/4, [1, 2, 3, 6]), conv3×3 2·in→channels no
 * bias, BN, ReLU, Dropout2d(0.1), conv1×1 channels→numClasses with bias). NHWC in and out.
 */
export class PSPHead extends Sequential {
  constructor(inChannels: number, numClasses: number, channels = 512, bins: number[] = [1, 2, 3, 6]) {
    const red = Math.floor(inChannels / 4);
    super(
      new PyramidPooling(inChannels, red, bins),
      new Conv2d(inChannels + bins.length * red, channels, 3, { padding: 1, bias: false }),
      new BatchNorm2d(channels),
      new ReLU(),
      new Dropout2d(0.1),
      new Conv2d(channels, numClasses, 1),
    );
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return forwardFused(this, x);
  }
}

/** PSPNet: a {@link SegmentationModel} (forward / forwardDict / forwardHeads) with a {@link PSPHead}. */
export class PSPNet extends SegmentationModel {}

function build(depth: 50 | 101, opts: SegmentationOptions): PSPNet {
  const numClasses = opts.numClasses ?? 21;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`pspnet: numClasses must be an integer >= 1, got ${numClasses}`);
  const make = depth === 50 ? resnet50 : resnet101;
  return withSeed(opts.seed, () => {
    const resnet = make({ numClasses: 1, replaceStrideWithDilation: [false, true, true], initWeights: opts.initWeights ?? true });
    resnet.fc.dispose();
    const backbone = new ResNetBackbone(resnet);
    const aux = opts.auxLoss ? new FCNHead(1024, numClasses) : null;
    return new PSPNet(backbone, new PSPHead(2048, numClasses), aux, numClasses);
  });
}

/**
 * PSPNet-ResNet-50 (dilated, output stride 8; options as the torchvision segmentation factories:
 * numClasses default 21, auxLoss, initWeights for the backbone, seed).
 */
export const pspnet_resnet50 = (opts: SegmentationOptions = {}): PSPNet => build(50, opts);
/** PSPNet-ResNet-101 (see {@link pspnet_resnet50}). */
export const pspnet_resnet101 = (opts: SegmentationOptions = {}): PSPNet => build(101, opts);
