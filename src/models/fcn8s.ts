/**
 * FCN-8s (Long, Shelhamer & Darrell 2015, "Fully Convolutional Networks for Semantic
 * Segmentation"; Caffe reference shelhamer/fcn.berkeleyvision.org voc-fcn8s/net.py, PyTorch port
 * wkentaro/pytorch-fcn torchfcn/models/fcn8s.py): the chapter's conv–deconv network.
 *
 * Padding convention: the original one. conv1_1 (= `features.0`) pads by 100, every other layer
 * as VGG-16; the skip maps are aligned by the Caffe crop offsets of the original net: score_pool4
 * cropped at 5, score_pool3 at 9, the final upsample at 31 (to the input's H×W). The max pools are
 * torchvision's (floor mode; the Caffe net and wkentaro use ceil mode): the offsets do not depend
 * on the rounding mode, and with floor mode every crop fits for any input >= 26×26 (the crops only
 * drop a different amount at the bottom/right). Inputs smaller than 26 (fc6 would be empty) throw.
 *
 * Modules and state-dict keys:
 * - `features`: torchvision VGG-16 `features` (`features.0.weight` … `features.28.bias`; pools
 *   at 4, 9, 16 (pool3), 23 (pool4), 30 (pool5)) — an ImageNet vgg16 state dict's `features.*`
 *   load as they are;
 * - `fc6` = Conv2d(512, 4096, 7) (valid), `relu6`, `drop6` = Dropout2d(0.5), `fc7` = Conv2d(4096,
 *   4096, 1), `relu7`, `drop7` (wkentaro's names; torchvision's classifier.0/.3 Linear weights
 *   reshaped to [4096, 512, 7, 7] / [4096, 4096, 1, 1] are these);
 * - `score_fr` = Conv2d(4096, n, 1), `score_pool3` = Conv2d(256, n, 1), `score_pool4` =
 *   Conv2d(512, n, 1);
 * - `upscore2` = ConvTranspose2d(n, n, 4, stride 2, bias False), `upscore8` = ConvTranspose2d(n,
 *   n, 16, stride 8, bias False), `upscore_pool4` = ConvTranspose2d(n, n, 4, stride 2, bias False)
 *   (wkentaro's order), initialised to bilinear upsampling kernels
 *   ({@link bilinearKernel}) like the original unless `bilinearInit: false`.
 *
 * forward: NHWC [N, H, W, 3] → logits NHWC [N, H, W, numClasses]:
 *   s = upscore2(score_fr(fc7)); s = upscore_pool4(s + crop5(score_pool4(pool4)));
 *   s = upscore8(s + crop9(score_pool3(pool3))); output = crop31(s) to H×W.
 *
 * The widths (`config`, `fcChannels`) can be changed (tests use a narrow net); the defaults are
 * FCN-8s-VGG16: 134,500,608 parameters at 21 classes (134,270,278 + the upscore layers' 3·21²·k²).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Conv2d, ConvTranspose2d, Dropout2d, MaxPool2d, Module, ReLU, Sequential, convBnAct, releaseFolded, withSeed,
  type AnyModule,
} from '../nn/index.js';
import { makeVggLayers, vggConfigs, type VggConfig } from './vgg.js';

/**
 * The bilinear upsampling kernel of FCN's `get_upsampling_weight` (wkentaro/pytorch-fcn, from the
 * Caffe surgery.py `upsample_filt`): k×k values (1 − |i − c|/f)(1 − |j − c|/f), f = ceil(k/2),
 * c = f − 1 for odd k else f − 0.5. Returns the ConvTranspose2d weight in PyTorch layout
 * [channels, channels, k, k] (row-major Float32Array), this kernel on the diagonal (c→c), zero
 * elsewhere.
 */
export function bilinearKernel(channels: number, k: number): Float32Array {
  const f = Math.ceil(k / 2);
  const c = k % 2 === 1 ? f - 1 : f - 0.5;
  const out = new Float32Array(channels * channels * k * k);
  for (let ch = 0; ch < channels; ch++) {
    const base = (ch * channels + ch) * k * k;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) out[base + i * k + j] = (1 - Math.abs(i - c) / f) * (1 - Math.abs(j - c) / f);
  }
  return out;
}

/** Options of {@link fcn8s}. */
export interface FCN8sOptions {
  /** Output classes, default 21. */
  numClasses?: number;
  /** VGG configuration of `features` (default torchvision's 'D' = VGG-16); needs >= 5 'M'. */
  config?: VggConfig;
  /** Width of fc6/fc7, default 4096. */
  fcChannels?: number;
  /** Initialise the three transposed convs to bilinear upsampling (default true, as the original). */
  bilinearInit?: boolean;
  /** Seed for the other initial weights (PyTorch's layer defaults). */
  seed?: number;
}

/** FCN-8s (see the module doc). */
export class FCN8s extends Module<tf.Tensor, tf.Tensor> {
  features: Sequential;
  fc6: Conv2d;
  relu6: ReLU;
  drop6: Dropout2d;
  fc7: Conv2d;
  relu7: ReLU;
  drop7: Dropout2d;
  score_fr: Conv2d;
  score_pool3: Conv2d;
  score_pool4: Conv2d;
  upscore2: ConvTranspose2d;
  upscore8: ConvTranspose2d;
  upscore_pool4: ConvTranspose2d;
  readonly numClasses: number;
  /** Indices in `features` of pool3, pool4 (their outputs feed score_pool3/4). */
  private readonly _pools: [number, number];

  /** @throws for a config with fewer than 5 pools or bad widths. */
  constructor(opts: FCN8sOptions = {}) {
    super();
    const n = opts.numClasses ?? 21, fc = opts.fcChannels ?? 4096;
    const cfg = opts.config ?? vggConfigs.D;
    if (!Number.isInteger(n) || n < 1) throw new Error(`fcn8s: numClasses must be an integer >= 1, got ${n}`);
    if (!Number.isInteger(fc) || fc < 1) throw new Error(`fcn8s: fcChannels must be an integer >= 1, got ${fc}`);
    this.numClasses = n;
    const features = makeVggLayers(cfg, false);
    const first = features.at(0) as Conv2d;
    if (!(first instanceof Conv2d)) throw new Error('fcn8s: the config must start with a conv');
    const conv1 = new Conv2d(first.inChannels, first.outChannels, 3, { padding: 100 });
    first.dispose();
    (features as unknown as Record<string, AnyModule>)['0'] = conv1;
    // widths before pool3 / pool4 / pool5 and the pools' indices
    const pools: number[] = [], widths: number[] = [];
    let c = 3;
    features.children().forEach((m, i) => {
      if (m instanceof Conv2d) c = m.outChannels;
      if (m instanceof MaxPool2d) { pools.push(i); widths.push(c); }
    });
    if (pools.length !== 5 || pools[4] !== features.length - 1) throw new Error(`fcn8s: the config needs exactly 5 pools ('M'), the last at the end; got ${pools.length}`);
    this._pools = [pools[2], pools[3]];
    this.features = features;
    this.fc6 = new Conv2d(widths[4], fc, 7);
    this.relu6 = new ReLU();
    this.drop6 = new Dropout2d(0.5);
    this.fc7 = new Conv2d(fc, fc, 1);
    this.relu7 = new ReLU();
    this.drop7 = new Dropout2d(0.5);
    this.score_fr = new Conv2d(fc, n, 1);
    this.score_pool3 = new Conv2d(widths[2], n, 1);
    this.score_pool4 = new Conv2d(widths[3], n, 1);
    this.upscore2 = new ConvTranspose2d(n, n, 4, { stride: 2, bias: false });
    this.upscore8 = new ConvTranspose2d(n, n, 16, { stride: 8, bias: false });
    this.upscore_pool4 = new ConvTranspose2d(n, n, 4, { stride: 2, bias: false });
    if (opts.bilinearInit ?? true) {
      for (const [name, k] of [['upscore2', 4], ['upscore8', 16], ['upscore_pool4', 4]] as const) {
        this.loadStateDict({ [`${name}.weight`]: { shape: [n, n, k, k], data: bilinearKernel(n, k) } } as never, { strict: false });
      }
    }
  }

  /** NHWC [N, H, W, 3] → logits [N, H, W, numClasses]. @throws for a bad shape or H, W < 26. */
  forward(x: tf.Tensor): tf.Tensor {
    const inC = (this.features.at(0) as Conv2d).inChannels;
    if (x.rank !== 4 || x.shape[3] !== inC) throw new Error(`FCN8s: expected NHWC [N, H, W, ${inC}], got [${x.shape.join(', ')}]`);
    const [nb, H, W] = x.shape as number[];
    if (H < 26 || W < 26) throw new Error(`FCN8s: H and W must be >= 26 (fc6 is a valid 7x7 conv at 1/32), got ${H}x${W}`);
    const nc = this.numClasses;
    const crop = (t: tf.Tensor, off: number, h: number, w: number) => tf.slice(t, [0, off, off, 0], [nb, h, w, nc]);
    return tf.tidy(() => {
      // features with conv+ReLU fused in eval (as forwardFused), keeping pool3 / pool4
      const cs = this.features.children();
      let y = x, pool3: tf.Tensor | null = null, pool4: tf.Tensor | null = null;
      for (let i = 0; i < cs.length; i++) {
        const m = cs[i];
        if (m instanceof Conv2d && cs[i + 1] instanceof ReLU) {
          y = convBnAct(m, null, cs[i + 1], y);
          i++;
        } else {
          y = m.forward(y);
        }
        if (i === this._pools[0]) pool3 = y;
        if (i === this._pools[1]) pool4 = y;
      }
      y = this.drop6.forward(convBnAct(this.fc6, null, this.relu6, y));
      y = this.drop7.forward(convBnAct(this.fc7, null, this.relu7, y));
      const up2 = this.upscore2.forward(this.score_fr.forward(y));
      const [, h2, w2] = up2.shape as number[];
      const fuse4 = tf.add(up2, crop(this.score_pool4.forward(pool4!), 5, h2, w2));
      const up4 = this.upscore_pool4.forward(fuse4);
      const [, h4, w4] = up4.shape as number[];
      const fuse3 = tf.add(up4, crop(this.score_pool3.forward(pool3!), 9, h4, w4));
      return crop(this.upscore8.forward(fuse3), 31, H, W);
    });
  }

  override dispose(): void {
    releaseFolded(this);
    super.dispose();
  }
}

/** FCN-8s factory (VGG-16 trunk by default; options in {@link FCN8sOptions}). */
export const fcn8s = (opts: FCN8sOptions = {}): FCN8s => withSeed(opts.seed, () => new FCN8s(opts));
