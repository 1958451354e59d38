/**
 * ResNet (He et al. 2015) as torchvision 0.14 defines it (torchvision/models/resnet.py), with
 * identical state-dict keys and shapes: small blocks ({@link conv3x3}, {@link conv1x1},
 * {@link BasicBlock}, {@link Bottleneck}), one builder (`_resnet`) and one-line factories
 * (resnet18/34/50/101/152).
 *
 * - stem: conv1 = Conv2d(3, 64, 7, stride 2, padding 3, bias False) - explicit symmetric padding
 *   3, never tfjs 'same' (which would pad 2/3 and shift every sample) - bn1, relu,
 *   maxpool = MaxPool2d(3, stride 2, padding 1) (floor mode, -inf padding);
 * - layer1..4 of blocks; the first block of a layer gets `downsample` = Sequential(conv1x1(stride),
 *   BatchNorm2d) (keys layerX.0.downsample.0 / .1) when the stride or width changes;
 * - Bottleneck is ResNet v1.5: the stride sits on the 3×3 conv2 (torchvision's choice), expansion 4;
 * - `replaceStrideWithDilation` [l2, l3, l4] (torchvision's replace_stride_with_dilation, for
 *   DeepLab/FCN backbones): that layer keeps stride 1 and dilates its 3×3 convs instead (the
 *   first block uses the previous dilation, as in torchvision);
 * - avgpool = AdaptiveAvgPool2d((1, 1)), fc = Linear(512·expansion, numClasses).
 * BatchNorm eps 1e-5. Init as torchvision: convs kaiming_normal_(fan_out, relu), BN 1/0, fc
 * PyTorch default; `zeroInitResidual` zeroes the last BN weight of each block.
 *
 * Input NHWC [N, H, W, 3], output logits [N, numClasses]. In eval mode every conv+BN(+ReLU) runs
 * as one fused conv with the BN folded in (nn/fused.ts); training mode runs the plain modules.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential,
  convBnAct, forwardFused, initTorchvision, releaseFolded, withSeed,
} from '../nn/index.js';

/** 3×3 convolution with padding = dilation, no bias (torchvision `conv3x3`). */
export function conv3x3(inPlanes: number, outPlanes: number, stride = 1, dilation = 1): Conv2d {
  return new Conv2d(inPlanes, outPlanes, 3, { stride, padding: dilation, dilation, bias: false });
}

/** 1×1 convolution, no bias (torchvision `conv1x1`). */
export function conv1x1(inPlanes: number, outPlanes: number, stride = 1): Conv2d {
  return new Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });
}

/** What a block constructor receives (torchvision's positional arguments). */
export interface BlockArgs {
  stride?: number;
  downsample?: Sequential | null;
  dilation?: number;
}

/** A residual block class: BasicBlock or Bottleneck. */
export interface BlockType {
  new (inPlanes: number, planes: number, args?: BlockArgs): BasicBlock | Bottleneck;
  readonly expansion: number;
}

/** Two 3×3 convs (ResNet-18/34). Keys conv1, bn1, conv2, bn2[, downsample.0/.1]. */
export class BasicBlock extends Module {
  static readonly expansion = 1;
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  downsample: Sequential | null;
  readonly stride: number;

  constructor(inPlanes: number, planes: number, { stride = 1, downsample = null, dilation = 1 }: BlockArgs = {}) {
    super();
    if (dilation > 1) throw new Error('Dilation > 1 not supported in BasicBlock');
    this.conv1 = conv3x3(inPlanes, planes, stride);
    this.bn1 = new BatchNorm2d(planes);
    this.relu = new ReLU();
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = new BatchNorm2d(planes);
    this.downsample = downsample;
    this.stride = stride;
  }

  forward(x: tf.Tensor): tf.Tensor {
    let out = convBnAct(this.conv1, this.bn1, this.relu, x);
    out = convBnAct(this.conv2, this.bn2, null, out);
    const identity = this.downsample ? forwardFused(this.downsample, x) : x;
    return this.relu.forward(tf.add(out, identity));
  }
}

/**
 * 1×1 → 3×3 (stride, dilation) → 1×1 ×4 (ResNet-50/101/152, v1.5). Keys conv1..3, bn1..3
 * [, downsample.0/.1].
 */
export class Bottleneck extends Module {
  static readonly expansion = 4;
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  conv3: Conv2d;
  bn3: BatchNorm2d;
  relu: ReLU;
  downsample: Sequential | null;
  readonly stride: number;

  constructor(inPlanes: number, planes: number, { stride = 1, downsample = null, dilation = 1 }: BlockArgs = {}) {
    super();
    const width = planes; // int(planes * (base_width / 64.)) * groups with the defaults 64, 1
    this.conv1 = conv1x1(inPlanes, width);
    this.bn1 = new BatchNorm2d(width);
    this.conv2 = conv3x3(width, width, stride, dilation);
    this.bn2 = new BatchNorm2d(width);
    this.conv3 = conv1x1(width, planes * Bottleneck.expansion);
    this.bn3 = new BatchNorm2d(planes * Bottleneck.expansion);
    this.relu = new ReLU();
    this.downsample = downsample;
    this.stride = stride;
  }

  forward(x: tf.Tensor): tf.Tensor {
    let out = convBnAct(this.conv1, this.bn1, this.relu, x);
    out = convBnAct(this.conv2, this.bn2, this.relu, out);
    out = convBnAct(this.conv3, this.bn3, null, out);
    const identity = this.downsample ? forwardFused(this.downsample, x) : x;
    return this.relu.forward(tf.add(out, identity));
  }
}

export interface ResNetOptions {
  /** Output classes, default 1000. */
  numClasses?: number;
  /** Zero the last BN weight of every block (torchvision zero_init_residual), default false. */
  zeroInitResidual?: boolean;
  /**
   * torchvision's replace_stride_with_dilation for layer2, layer3, layer4 (default all false):
   * true replaces that layer's stride 2 by dilation (output stride 16 or 8, DeepLab).
   */
  replaceStrideWithDilation?: [boolean, boolean, boolean];
  /**
   * Default true: torchvision's init (kaiming_normal_ fan_out convs, BN 1/0). false keeps
   * PyTorch's layer defaults (faster to build when a state dict is loaded right away).
   */
  initWeights?: boolean;
  /** Seed for the initial weights. */
  seed?: number;
}

/** `new ResNet(block, layers, opts)`: torchvision's ResNet. */
export class ResNet extends Module {
  conv1!: Conv2d;
  bn1!: BatchNorm2d;
  relu!: ReLU;
  maxpool!: MaxPool2d;
  layer1!: Sequential;
  layer2!: Sequential;
  layer3!: Sequential;
  layer4!: Sequential;
  avgpool!: AdaptiveAvgPool2d;
  fc!: Linear;
  readonly numClasses: number;
  private _inplanes = 64;
  private _dilation = 1;
  private readonly _flatten = new Flatten();

  constructor(block: BlockType, layers: [number, number, number, number], opts: ResNetOptions = {}) {
    super();
    const numClasses = opts.numClasses ?? 1000;
    this.numClasses = numClasses;
    const rswd = opts.replaceStrideWithDilation ?? [false, false, false];
    if (!Array.isArray(rswd) || rswd.length !== 3) {
      throw new Error(`replace_stride_with_dilation should be null or a 3-element tuple, got ${JSON.stringify(rswd)}`);
    }
    withSeed(opts.seed, () => {
      this.conv1 = new Conv2d(3, this._inplanes, 7, { stride: 2, padding: 3, bias: false });
      this.bn1 = new BatchNorm2d(this._inplanes);
      this.relu = new ReLU();
      this.maxpool = new MaxPool2d(3, { stride: 2, padding: 1 });
      this.layer1 = this.makeLayer(block, 64, layers[0]);
      this.layer2 = this.makeLayer(block, 128, layers[1], 2, rswd[0]);
      this.layer3 = this.makeLayer(block, 256, layers[2], 2, rswd[1]);
      this.layer4 = this.makeLayer(block, 512, layers[3], 2, rswd[2]);
      this.avgpool = new AdaptiveAvgPool2d([1, 1]);
      this.fc = new Linear(512 * block.expansion, numClasses);
      if (opts.initWeights ?? true) initTorchvision(this, { conv: 'kaimingNormalFanOut', linear: 'default', batchNormOnesZeros: true });
    });
    if (opts.zeroInitResidual) {
      for (const m of this.modules()) {
        const last = m instanceof Bottleneck ? m.bn3 : m instanceof BasicBlock ? m.bn2 : null;
        if (last?.weight) last.weight.assign(tf.tidy(() => tf.zerosLike(last.weight!)));
      }
    }
  }

  /** torchvision `_make_layer`. */
  private makeLayer(block: BlockType, planes: number, blocks: number, stride = 1, dilate = false): Sequential {
    let downsample: Sequential | null = null;
    const previousDilation = this._dilation;
    if (dilate) {
      this._dilation *= stride;
      stride = 1;
    }
    if (stride !== 1 || this._inplanes !== planes * block.expansion) {
      downsample = new Sequential(conv1x1(this._inplanes, planes * block.expansion, stride), new BatchNorm2d(planes * block.expansion));
    }
    const layers = [new block(this._inplanes, planes, { stride, downsample, dilation: previousDilation })];
    this._inplanes = planes * block.expansion;
    for (let i = 1; i < blocks; i++) layers.push(new block(this._inplanes, planes, { dilation: this._dilation }));
    return new Sequential(...layers);
  }

  /** Stem + layer1..4: NHWC [N, H, W, 3] -> [N, H/32, W/32, 512·expansion] (the backbone features). */
  forwardFeatures(x: tf.Tensor): tf.Tensor {
    let out = convBnAct(this.conv1, this.bn1, this.relu, x);
    out = this.maxpool.forward(out);
    out = this.layer1.forward(out);
    out = this.layer2.forward(out);
    out = this.layer3.forward(out);
    return this.layer4.forward(out);
  }

  /** NHWC [N, H, W, 3] -> logits [N, numClasses]. */
  forward(x: tf.Tensor): tf.Tensor {
    let out = this.forwardFeatures(x);
    out = this.avgpool.forward(out);
    out = this._flatten.forward(out);
    return this.fc.forward(out);
  }

  override dispose(): void {
    releaseFolded(this);
    super.dispose();
  }
}

/** The builder behind the factories (torchvision `_resnet`). */
function _resnet(block: BlockType, layers: [number, number, number, number], opts: ResNetOptions): ResNet {
  return new ResNet(block, layers, opts);
}

/** ResNet-18: BasicBlock [2, 2, 2, 2], 11,689,512 parameters. */
export const resnet18 = (opts: ResNetOptions = {}): ResNet => _resnet(BasicBlock, [2, 2, 2, 2], opts);
/** ResNet-34: BasicBlock [3, 4, 6, 3], 21,797,672 parameters. */
export const resnet34 = (opts: ResNetOptions = {}): ResNet => _resnet(BasicBlock, [3, 4, 6, 3], opts);
/** ResNet-50: Bottleneck [3, 4, 6, 3], 25,557,032 parameters. */
export const resnet50 = (opts: ResNetOptions = {}): ResNet => _resnet(Bottleneck, [3, 4, 6, 3], opts);
/** ResNet-101: Bottleneck [3, 4, 23, 3], 44,549,160 parameters. */
export const resnet101 = (opts: ResNetOptions = {}): ResNet => _resnet(Bottleneck, [3, 4, 23, 3], opts);
/** ResNet-152: Bottleneck [3, 8, 36, 3], 60,192,808 parameters. */
export const resnet152 = (opts: ResNetOptions = {}): ResNet => _resnet(Bottleneck, [3, 8, 36, 3], opts);
