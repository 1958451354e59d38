/**
 * Feature Pyramid Network and the ResNet-50 + FPN backbone of torchvision 0.14's Faster R-CNN,
 * with torchvision's state-dict keys:
 *
 * - {@link FeaturePyramidNetwork}: `inner_blocks.{i}.0.weight/bias` (1×1 lateral convs),
 *   `layer_blocks.{i}.0.weight/bias` (3×3 output convs, padding 1) — the `.0` is torchvision's
 *   `Conv2dNormActivation` wrapper (norm_layer None, no activation); extra block
 *   `LastLevelMaxPool` (max_pool2d k1 s2 on the last output → level 'pool').
 *   Mirrors torchvision/ops/feature_pyramid_network.py.
 * - {@link BackboneWithFPN}: `body` = ResNet-50 stem + layer1..4 (keys `body.conv1`, `body.bn1`,
 *   `body.layer1..4.*`; no avgpool/fc, as torchvision's IntermediateLayerGetter), `fpn` over
 *   layer1..4 (in channels 256, 512, 1024, 2048 → 256). Mirrors
 *   torchvision/models/detection/backbone_utils.py (`_resnet_fpn_extractor`, `BackboneWithFPN`).
 *   torchvision uses FrozenBatchNorm2d (eps 1e-5) with pretrained weights and nn.BatchNorm2d
 *   (eps 1e-5, keys incl. `num_batches_tracked`) without; both are BN with running stats in eval,
 *   folded into the convs here. FrozenBatchNorm2d state dicts lack `num_batches_tracked`: load
 *   those with `strict: false` (or add zeros).
 *
 * Layout: activations NHWC [N, H, W, C]; the state dict is PyTorch's (OIHW filters).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  BatchNorm2d, Conv2d, MaxPool2d, Module, ModuleList, ReLU, Sequential, convBnAct, getRng, kaimingUniform,
  releaseFolded, withSeed,
} from '../nn/index.js';
import { interpolate } from '../ops/interpolate.js';
import { resnet50 } from '../models/resnet.js';

/** FPN outputs by torchvision name ('0', '1', …, 'pool'), highest resolution first. */
export type FeatureMaps = Map<string, tf.Tensor4D>;

/** `Conv2d(in, out, k, padding)` with torchvision's FPN init: kaiming_uniform_(a=1), bias 0. */
function fpnConv(inC: number, outC: number, k: number, padding: number): Conv2d {
  const conv = new Conv2d(inC, outC, k, { padding });
  const rng = getRng();
  tf.tidy(() => {
    conv.weight.assign(kaimingUniform([k, k, inC, outC], inC * k * k, 1, rng) as tf.Tensor4D);
    conv.bias?.assign(tf.zeros([outC]));
  });
  return conv;
}

/**
 * torchvision `FeaturePyramidNetwork(in_channels_list, out_channels, LastLevelMaxPool())`
 * (norm_layer None). Input: C feature maps NHWC, increasing depth (decreasing resolution);
 * output: a Map '0'..'{L−1}' (+ 'pool' with `extraMaxPool`) of NHWC [N, h_i, w_i, outChannels].
 * Top-down: last_inner = inner(x_L); for i = L−2..0: last_inner = inner_i(x_i) +
 * interpolate(last_inner, size = lateral size, mode 'nearest') (PyTorch legacy nearest,
 * src = floor(dst · in/out)); result_i = layer_i(last_inner). 'pool' = max_pool2d(result_last,
 * 1, 2, 0) = every second row/column starting at 0.
 */
export class FeaturePyramidNetwork extends Module<tf.Tensor4D[], tf.Tensor4D[]> {
  inner_blocks: ModuleList;
  layer_blocks: ModuleList;
  readonly inChannelsList: number[];
  readonly outChannels: number;
  readonly extraMaxPool: boolean;
  private readonly _pool = new MaxPool2d(1, { stride: 2 });

  /**
   * @param inChannelsList channels of each input map (0 = that level is skipped, as torchvision).
   * @param outChannels channels of every output (torchvision Faster R-CNN: 256).
   * @param opts.extraMaxPool append LastLevelMaxPool's 'pool' level (default true).
   * @throws when a channel count is negative or not an integer.
   */
  constructor(inChannelsList: number[], outChannels: number, opts: { extraMaxPool?: boolean; seed?: number } = {}) {
    super();
    for (const c of [...inChannelsList, outChannels]) {
      if (!Number.isInteger(c) || c < 0) throw new Error(`FeaturePyramidNetwork: bad channel count ${c}`);
    }
    if (inChannelsList.includes(0)) throw new Error('FeaturePyramidNetwork: in_channels=0 (skipped levels) is not supported');
    this.inChannelsList = inChannelsList.slice();
    this.outChannels = outChannels;
    this.extraMaxPool = opts.extraMaxPool ?? true;
    const [inner, layer] = withSeed(opts.seed, () => [
      inChannelsList.map((c) => new Sequential(fpnConv(c, outChannels, 1, 0))),
      inChannelsList.map(() => new Sequential(fpnConv(outChannels, outChannels, 3, 1))),
    ]);
    this.inner_blocks = new ModuleList(inner);
    this.layer_blocks = new ModuleList(layer);
  }

  /** Output names in order: '0', '1', …, then 'pool' with the extra block. */
  names(): string[] {
    const n = this.inChannelsList.map((_, i) => String(i));
    return this.extraMaxPool ? [...n, 'pool'] : n;
  }

  private conv(list: ModuleList, i: number, x: tf.Tensor): tf.Tensor4D {
    return ((list.at(i) as Sequential).at(0) as Conv2d).forward(x) as tf.Tensor4D;
  }

  /** Inputs NHWC (one per level) → outputs NHWC in {@link names} order. @throws on a wrong count. */
  forward(xs: tf.Tensor4D[]): tf.Tensor4D[] {
    const L = this.inChannelsList.length;
    if (xs.length !== L) throw new Error(`FeaturePyramidNetwork: expected ${L} feature maps, got ${xs.length}`);
    let lastInner = this.conv(this.inner_blocks, L - 1, xs[L - 1]);
    const results: tf.Tensor4D[] = [this.conv(this.layer_blocks, L - 1, lastInner)];
    for (let i = L - 2; i >= 0; i--) {
      const lateral = this.conv(this.inner_blocks, i, xs[i]);
      const topDown = interpolate(lastInner, { size: [lateral.shape[1], lateral.shape[2]], mode: 'nearest' });
      lastInner = tf.add(lateral, topDown) as tf.Tensor4D;
      results.unshift(this.conv(this.layer_blocks, i, lastInner));
    }
    if (this.extraMaxPool) results.push(this._pool.forward(results[results.length - 1]) as tf.Tensor4D);
    return results;
  }

  /** {@link forward} inside tf.tidy, as a Map by name. */
  features(xs: tf.Tensor4D[]): FeatureMaps {
    const out = this.call(xs);
    return new Map(this.names().map((n, i) => [n, out[i]]));
  }
}

/**
 * ResNet-50 stem + layer1..4 as torchvision's `IntermediateLayerGetter(return_layers =
 * {layer1: '0', …, layer4: '3'})` holds it: keys `conv1`, `bn1`, `layer1..4.*` (no avgpool, fc).
 * forward: NHWC [N, H, W, 3] → [C2, C3, C4, C5] NHWC with strides 4, 8, 16, 32 and
 * 256, 512, 1024, 2048 channels (ResNet sizes: conv1 ⌊(H−1)/2⌋+1, then ⌊(h−1)/2⌋+1 per stride).
 */
export class ResNetBody extends Module<tf.Tensor, tf.Tensor4D[]> {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  maxpool: MaxPool2d;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  layer4: Sequential;

  /** @param opts.initWeights torchvision's ResNet init (default false: weights are meant to be loaded). */
  constructor(opts: { initWeights?: boolean; seed?: number } = {}) {
    super();
    const r = resnet50({ initWeights: opts.initWeights ?? false, seed: opts.seed });
    this.conv1 = r.conv1; this.bn1 = r.bn1; this.relu = r.relu; this.maxpool = r.maxpool;
    this.layer1 = r.layer1; this.layer2 = r.layer2; this.layer3 = r.layer3; this.layer4 = r.layer4;
    r.fc.dispose();
    r.avgpool.dispose();
  }

  forward(x: tf.Tensor): tf.Tensor4D[] {
    if (x.rank !== 4 || x.shape[3] !== 3) throw new Error(`ResNetBody: expected NHWC [N, H, W, 3], got [${x.shape}]`);
    let y = convBnAct(this.conv1, this.bn1, this.relu, x);
    y = this.maxpool.forward(y);
    const c2 = this.layer1.forward(y) as tf.Tensor4D;
    const c3 = this.layer2.forward(c2) as tf.Tensor4D;
    const c4 = this.layer3.forward(c3) as tf.Tensor4D;
    const c5 = this.layer4.forward(c4) as tf.Tensor4D;
    return [c2, c3, c4, c5];
  }

  override dispose(): void {
    releaseFolded(this);
    super.dispose();
  }
}

/**
 * torchvision `BackboneWithFPN` over ResNet-50 as `fasterrcnn_resnet50_fpn` builds it (all of
 * layer1..4 returned, FPN 256 channels, LastLevelMaxPool). Keys `body.*`, `fpn.*` (`backbone.`
 * inside Faster R-CNN). forward: NHWC [N, H, W, 3] (already normalized, padded batch) → FPN maps
 * NHWC ['0' stride 4, '1' 8, '2' 16, '3' 32, 'pool' 64], 256 channels each.
 * Call {@link Module.eval} before inference (BN with running stats, folded into the convs).
 */
export class BackboneWithFPN extends Module<tf.Tensor, tf.Tensor4D[]> {
  body: ResNetBody;
  fpn: FeaturePyramidNetwork;
  readonly outChannels = 256;

  constructor(opts: { initWeights?: boolean; seed?: number } = {}) {
    super();
    this.body = new ResNetBody(opts);
    this.fpn = new FeaturePyramidNetwork([256, 512, 1024, 2048], 256, { seed: opts.seed });
  }

  /** Names of the output levels: ['0', '1', '2', '3', 'pool']. */
  names(): string[] {
    return this.fpn.names();
  }

  forward(x: tf.Tensor): tf.Tensor4D[] {
    return this.fpn.forward(this.body.forward(x));
  }

  override dispose(): void {
    releaseFolded(this);
    super.dispose();
  }
}
