/**
 * U-Net (Ronneberger, Fischer & Brox 2015, "U-Net: Convolutional Networks for Biomedical Image
 * Segmentation") in the form of the widely used PyTorch implementation milesial/Pytorch-UNet
 * (unet/unet_parts.py, unet/unet_model.py), with its state-dict keys, so a state_dict saved from
 * that implementation loads with `strict: true`:
 *
 * - `inc` = {@link DoubleConv}(inChannels, w): keys `inc.double_conv.{0,1,3,4}.*`
 *   (conv3×3 pad 1 no bias, BN, ReLU, conv3×3, BN, ReLU);
 * - `down{i}` (i = 1..depth) = {@link Down}: `down{i}.maxpool_conv.0` = MaxPool2d(2),
 *   `down{i}.maxpool_conv.1` = DoubleConv(w·2^(i-1), w·2^i) (the last one w·2^depth / f);
 * - `up{i}` (i = 1..depth) = {@link Up}: `up{i}.up` = ConvTranspose2d(c, c/2, 2, stride 2)
 *   (keys `up{i}.up.weight`, `.bias`) or, with `bilinear`, Upsample(×2, bilinear,
 *   align_corners=True) (no keys) followed by a DoubleConv whose middle width is c/2;
 *   `up{i}.conv` = DoubleConv(c, out);
 * - `outc` = {@link OutConv}: `outc.conv` = conv1×1 (with bias) to numClasses.
 *
 * f = 2 with `bilinear` (the bottom and each up block's output are halved, milesial's `factor`),
 * else 1. With the defaults (base width 64, depth 4) the structure is milesial's `UNet(n_channels,
 * n_classes, bilinear)` exactly: 31,037,698 parameters for 3 → 2 classes with transposed
 * convolutions, 17,263,042 with bilinear (counted in PyTorch by gen_segmentation2.py counts).
 *
 * Skip connections: the upsampled map x1 is zero-padded to the skip map x2's size as milesial's
 * `F.pad(x1, [dX // 2, dX - dX // 2, dY // 2, dY - dY // 2])` (negative differences crop, as
 * F.pad does), then `torch.cat([x2, x1], dim=1)` — channels concatenated skip first (NHWC axis 3).
 * Odd sizes therefore work: each max pool floors, the up path pads back.
 *
 * `batchNorm: false` (not in milesial; the 2015 paper's network) drops the BatchNorm2d layers
 * and gives the convs a bias: DoubleConv keys become `double_conv.{0,2}` (conv, ReLU, conv,
 * ReLU). Note the original paper used unpadded convs (output smaller than the input); this
 * implementation, like milesial's, pads (output = input size).
 *
 * forward: NHWC [N, H, W, inChannels] → logits NHWC [N, H, W, numClasses]; H, W >= 2^depth.
 * Eval mode folds each conv+BN+ReLU into one fused conv (nn/fused.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  BatchNorm2d, Conv2d, ConvTranspose2d, MaxPool2d, Module, ReLU, Sequential, Upsample,
  forwardFused, releaseFolded, withSeed,
} from '../nn/index.js';

/**
 * milesial `DoubleConv(in, out, mid = out)`: `double_conv` = Sequential(conv3×3 in→mid pad 1,
 * BN(mid), ReLU, conv3×3 mid→out pad 1, BN(out), ReLU); convs without bias when batchNorm (as
 * milesial), with bias and no BN otherwise. NHWC [N, H, W, in] → [N, H, W, out].
 */
export class DoubleConv extends Module<tf.Tensor, tf.Tensor> {
  double_conv: Sequential;

  constructor(inChannels: number, outChannels: number, midChannels = outChannels, batchNorm = true) {
    super();
    for (const [n, v] of [['inChannels', inChannels], ['outChannels', outChannels], ['midChannels', midChannels]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`DoubleConv: ${n} must be an integer >= 1, got ${v}`);
    }
    const bias = !batchNorm;
    const layers: Module<tf.Tensor, tf.Tensor>[] = [new Conv2d(inChannels, midChannels, 3, { padding: 1, bias })];
    if (batchNorm) layers.push(new BatchNorm2d(midChannels));
    layers.push(new ReLU(), new Conv2d(midChannels, outChannels, 3, { padding: 1, bias }));
    if (batchNorm) layers.push(new BatchNorm2d(outChannels));
    layers.push(new ReLU());
    this.double_conv = new Sequential(...layers);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return forwardFused(this.double_conv, x);
  }
}

/** milesial `Down(in, out)`: `maxpool_conv` = Sequential(MaxPool2d(2), DoubleConv(in, out)); H, W floored by 2. */
export class Down extends Module<tf.Tensor, tf.Tensor> {
  maxpool_conv: Sequential;

  constructor(inChannels: number, outChannels: number, batchNorm = true) {
    super();
    this.maxpool_conv = new Sequential(new MaxPool2d(2), new DoubleConv(inChannels, outChannels, outChannels, batchNorm));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.maxpool_conv.forward(x);
  }
}

/**
 * Pads (positive) or crops (negative) the spatial dims of NHWC `x` by [top, bottom, left, right],
 * like `F.pad(x_nchw, [left, right, top, bottom])` with zeros.
 */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  if (!top && !bottom && !left && !right) return x;
  return tf.tidy(() => {
    let y = x;
    const [n, h, w, c] = y.shape;
    const ct = Math.max(0, -top), cb = Math.max(0, -bottom), cl = Math.max(0, -left), cr = Math.max(0, -right);
    if (ct || cb || cl || cr) y = tf.slice(y, [0, ct, cl, 0], [n, h - ct - cb, w - cl - cr, c]);
    const pt = Math.max(0, top), pb = Math.max(0, bottom), pl = Math.max(0, left), pr = Math.max(0, right);
    if (pt || pb || pl || pr) y = tf.pad(y, [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
    return y;
  });
}

/**
 * milesial `Up(in, out, bilinear)`: `up` = ConvTranspose2d(in, in/2, 2, stride 2) or
 * Upsample(scale 2, bilinear, align_corners=True); `conv` = DoubleConv(in, out[, mid in/2 when
 * bilinear]). forward([x1, x2]): x1 NHWC [N, h, w, in (or in/2 bilinear)] from below, x2 the skip
 * [N, H, W, in/2]; x1 is upsampled, padded/cropped to H×W (F.pad convention, see the module doc),
 * concatenated as [x2, x1] on channels and run through `conv` → [N, H, W, out].
 * @throws for inputs that are not rank 4 or have a different batch size.
 */
export class Up extends Module<[tf.Tensor, tf.Tensor], tf.Tensor> {
  up: ConvTranspose2d | Upsample;
  conv: DoubleConv;

  constructor(inChannels: number, outChannels: number, bilinear = false, batchNorm = true) {
    super();
    if (!Number.isInteger(inChannels) || inChannels < 2 || inChannels % 2) throw new Error(`Up: inChannels must be an even integer >= 2, got ${inChannels}`);
    if (bilinear) {
      this.up = new Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: true });
      this.conv = new DoubleConv(inChannels, outChannels, inChannels / 2, batchNorm);
    } else {
      this.up = new ConvTranspose2d(inChannels, inChannels / 2, 2, { stride: 2 });
      this.conv = new DoubleConv(inChannels, outChannels, outChannels, batchNorm);
    }
  }

  forward([x1, x2]: [tf.Tensor, tf.Tensor]): tf.Tensor {
    if (x1.rank !== 4 || x2.rank !== 4 || x1.shape[0] !== x2.shape[0]) {
      throw new Error(`Up: expected NHWC x1 [N, h, w, C1] and skip x2 [N, H, W, C2], got [${x1.shape.join(', ')}] and [${x2.shape.join(', ')}]`);
    }
    const u = this.up.forward(x1) as tf.Tensor4D;
    const dy = x2.shape[1]! - u.shape[1], dx = x2.shape[2]! - u.shape[2];
    const p = padOrCrop(u, Math.floor(dy / 2), dy - Math.floor(dy / 2), Math.floor(dx / 2), dx - Math.floor(dx / 2));
    const cat = tf.concat([x2, p], 3);
    if (p !== u) p.dispose();
    u.dispose();
    const y = this.conv.forward(cat);
    cat.dispose();
    return y;
  }
}

/** milesial `OutConv(in, out)`: `conv` = Conv2d(in, out, 1) with bias. */
export class OutConv extends Module<tf.Tensor, tf.Tensor> {
  conv: Conv2d;

  constructor(inChannels: number, outChannels: number) {
    super();
    this.conv = new Conv2d(inChannels, outChannels, 1);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.conv.forward(x);
  }
}

/** Options of {@link unet} / {@link UNet}. */
export interface UNetOptions {
  /** Input channels (milesial n_channels), default 3. */
  inChannels?: number;
  /** Output classes (n_classes), default 2. */
  numClasses?: number;
  /** Width of the first level (doubled per level), default 64. Must be even. */
  baseWidth?: number;
  /** Number of down (and up) steps, default 4 (milesial's fixed value). */
  depth?: number;
  /** Bilinear upsampling (+ channel-halving DoubleConv) instead of 2×2 transposed convs; default false. */
  bilinear?: boolean;
  /** BatchNorm after each 3×3 conv (milesial), default true; false = conv with bias + ReLU. */
  batchNorm?: boolean;
  /** Seed for the initial weights (PyTorch's layer defaults). */
  seed?: number;
}

/**
 * The U-Net: children `inc`, `down1..down{depth}`, `up1..up{depth}`, `outc` (module doc).
 * forward: NHWC [N, H, W, inChannels] → logits [N, H, W, numClasses].
 */
export class UNet extends Module<tf.Tensor, tf.Tensor> {
  readonly inChannels: number;
  readonly numClasses: number;
  readonly depth: number;
  readonly bilinear: boolean;
  inc: DoubleConv;
  outc!: OutConv;

  /** @throws for non-integer / non-positive options, or an odd baseWidth. */
  constructor(opts: UNetOptions = {}) {
    super();
    const inC = opts.inChannels ?? 3, nc = opts.numClasses ?? 2, w = opts.baseWidth ?? 64, depth = opts.depth ?? 4;
    const bilinear = opts.bilinear ?? false, bn = opts.batchNorm ?? true;
    for (const [n, v] of [['inChannels', inC], ['numClasses', nc], ['baseWidth', w], ['depth', depth]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`UNet: ${n} must be an integer >= 1, got ${v}`);
    }
    if (w % 2) throw new Error(`UNet: baseWidth must be even, got ${w}`);
    this.inChannels = inC;
    this.numClasses = nc;
    this.depth = depth;
    this.bilinear = bilinear;
    const f = bilinear ? 2 : 1;
    const self = this as unknown as Record<string, Module<any, any>>;
    this.inc = new DoubleConv(inC, w, w, bn);
    for (let i = 1; i <= depth; i++) {
      const cin = w * 2 ** (i - 1), cout = w * 2 ** i;
      self[`down${i}`] = new Down(cin, i === depth ? cout / f : cout, bn);
    }
    for (let i = 1; i <= depth; i++) {
      const cin = w * 2 ** (depth - i + 1), cout = w * 2 ** (depth - i);
      self[`up${i}`] = new Up(cin, i === depth ? cout : cout / f, bilinear, bn);
    }
    delete (this as { outc?: OutConv }).outc; // keep `outc` last in the key order
    this.outc = new OutConv(w, nc);
  }

  /** NHWC [N, H, W, inChannels] → logits NHWC [N, H, W, numClasses]. @throws for a bad shape or H, W < 2^depth. */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4 || x.shape[3] !== this.inChannels) {
      throw new Error(`UNet: expected NHWC [N, H, W, ${this.inChannels}], got [${x.shape.join(', ')}]`);
    }
    const min = 2 ** this.depth;
    if (x.shape[1]! < min || x.shape[2]! < min) throw new Error(`UNet: H and W must be >= 2^depth = ${min}, got ${x.shape[1]}x${x.shape[2]}`);
    const self = this as unknown as Record<string, Module<any, any>>;
    return tf.tidy(() => {
      const skips: tf.Tensor[] = [this.inc.forward(x)];
      for (let i = 1; i <= this.depth; i++) skips.push(self[`down${i}`].forward(skips[i - 1]));
      let y = skips[this.depth];
      for (let i = 1; i <= this.depth; i++) y = self[`up${i}`].forward([y, skips[this.depth - i]]);
      return this.outc.forward(y);
    });
  }

  override dispose(): void {
    releaseFolded(this);
    super.dispose();
  }
}

/**
 * U-Net factory (milesial `UNet(n_channels=inChannels, n_classes=numClasses, bilinear)` with the
 * defaults; see the module doc for the other options). Weights: PyTorch's layer defaults
 * (milesial does no custom init), drawn from `seed`.
 */
export const unet = (opts: UNetOptions = {}): UNet => withSeed(opts.seed, () => new UNet(opts));
