/**
 * torchvision 0.14's `GeneralizedRCNNTransform` (torchvision/models/detection/transform.py),
 * inference path: normalize, resize (shorter side to minSize, longer side at most maxSize),
 * batch with zero padding to a multiple of sizeDivisible, and the boxes back to the original
 * image size afterwards. Images are HWC float32 in [0, 1] (torchvision: CHW); the batch is NHWC.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/index.js';
import { interpolate } from '../ops/interpolate.js';
import type { Detection } from './roi_heads.js';

const f = Math.fround;

/** Options of {@link GeneralizedRCNNTransform} (torchvision's defaults for Faster R-CNN). */
export interface GeneralizedRCNNTransformOptions {
  /** Target shorter side in pixels (min_size, 800). */
  minSize?: number;
  /** Longest side allowed after resizing (max_size, 1333). */
  maxSize?: number;
  /** Per-channel mean (ImageNet's). */
  imageMean?: readonly [number, number, number];
  /** Per-channel std (ImageNet's). */
  imageStd?: readonly [number, number, number];
  /** The padded batch's height and width are multiples of this (32). */
  sizeDivisible?: number;
}

/** What {@link GeneralizedRCNNTransform.forward} returns (torchvision's ImageList + the input sizes). */
export type ImageList = {
  /** The batch NHWC [N, Hp, Wp, 3], normalized, resized, zero-padded at the bottom/right. */
  tensors: tf.Tensor4D;
  /** Per image [h, w] after resizing (before padding). */
  imageSizes: [number, number][];
  /** Per image [H, W] as given. */
  originalSizes: [number, number][];
};

/**
 * `GeneralizedRCNNTransform(min_size, max_size, image_mean, image_std)` in eval mode; no
 * state-dict keys. See {@link forward} and {@link postprocess}.
 */
export class GeneralizedRCNNTransform extends Module<tf.Tensor | tf.Tensor[], ImageList> {
  readonly minSize: number;
  readonly maxSize: number;
  readonly imageMean: [number, number, number];
  readonly imageStd: [number, number, number];
  readonly sizeDivisible: number;

  /** @throws when a size is not a positive number or mean/std are not 3 numbers (std > 0). */
  constructor(opts: GeneralizedRCNNTransformOptions = {}) {
    super();
    this.minSize = opts.minSize ?? 800;
    this.maxSize = opts.maxSize ?? 1333;
    this.sizeDivisible = opts.sizeDivisible ?? 32;
    for (const [k, v] of [['minSize', this.minSize], ['maxSize', this.maxSize], ['sizeDivisible', this.sizeDivisible]] as const) {
      if (!(Number.isFinite(v) && v > 0)) throw new Error(`GeneralizedRCNNTransform: ${k} must be a positive number, got ${v}`);
    }
    const mean = opts.imageMean ?? [0.485, 0.456, 0.406], std = opts.imageStd ?? [0.229, 0.224, 0.225];
    if (mean.length !== 3 || std.length !== 3 || !std.every((s) => s > 0)) {
      throw new Error(`GeneralizedRCNNTransform: imageMean/imageStd must be 3 numbers (std > 0), got ${JSON.stringify(mean)}, ${JSON.stringify(std)}`);
    }
    this.imageMean = [mean[0], mean[1], mean[2]];
    this.imageStd = [std[0], std[1], std[2]];
  }

  /**
   * The resized [h, w] of an [H, W] image: scale = min(minSize / min(H, W), maxSize / max(H, W))
   * in float32 as torch evaluates `float / tensor` (Tensor.__rtruediv__: reciprocal, then a
   * product: float32(float32(1 / 480) · 800) = 1.66666675, not float32(800 / 480) = 1.66666663),
   * then floor(H · scale), floor(W · scale) in float64 — what torchvision's
   * `F.interpolate(scale_factor=scale, recompute_scale_factor=True)` does. So 480 × 640 becomes
   * 800 × 1066, and 90 × 150 with (128, 192) becomes 115 × 191 (scale 1.27999997), not 115 × 192.
   */
  resizedSize([h, w]: [number, number]): [number, number] {
    const lo = f(Math.min(h, w)), hi = f(Math.max(h, w));
    const scale = Math.min(f(f(1 / lo) * f(this.minSize)), f(f(1 / hi) * f(this.maxSize)));
    return [Math.floor(h * scale), Math.floor(w * scale)];
  }

  /**
   * images: HWC float32 tensors [H_i, W_i, 3] with values in [0, 1] (sizes may differ), or a
   * batch NHWC [N, H, W, 3]. Per image: (x − mean) / std, bilinear resize to {@link resizedSize}
   * (align_corners False, ratio in/out as PyTorch with a recomputed scale: tfjs resizeBilinear with
   * half-pixel centres; native on simd); then zero-padded at the bottom/right to the batch's
   * max size rounded up to sizeDivisible. Inputs are not disposed.
   * @throws for an empty list or an image that is not [H, W, 3] float.
   */
  forward(images: tf.Tensor | tf.Tensor[]): ImageList {
    const list: tf.Tensor3D[] = Array.isArray(images) ? images as tf.Tensor3D[] : images.rank === 4 ? tf.unstack(images) as tf.Tensor3D[] : [images as tf.Tensor3D];
    if (list.length === 0) throw new Error('GeneralizedRCNNTransform: no images');
    list.forEach((x, i) => {
      if (!(x instanceof tf.Tensor) || x.rank !== 3 || x.shape[2] !== 3) {
        throw new Error(`GeneralizedRCNNTransform: image ${i} must be an HWC tensor [H, W, 3], got [${x?.shape}]`);
      }
      if (x.dtype !== 'float32') throw new Error(`GeneralizedRCNNTransform: image ${i} must be float32 in [0, 1], got ${x.dtype}`);
      if (x.shape[0] === 0 || x.shape[1] === 0) {
        throw new Error(`GeneralizedRCNNTransform: image ${i} is empty: [${x.shape}] (H and W must be ≥ 1)`);
      }
    });
    const mean = tf.tensor1d(this.imageMean), std = tf.tensor1d(this.imageStd);
    const originalSizes = list.map((x) => [x.shape[0], x.shape[1]] as [number, number]);
    const imageSizes = originalSizes.map((s) => this.resizedSize(s));
    const resized = list.map((x, i) => {
      const y = tf.div(tf.sub(x, mean), std);
      const [h, w] = imageSizes[i];
      return h === x.shape[0] && w === x.shape[1] ? y : interpolate(y, { size: [h, w], mode: 'bilinear' }) as tf.Tensor3D;
    });
    const d = this.sizeDivisible;
    const hp = Math.ceil(Math.max(...imageSizes.map((s) => s[0])) / d) * d;
    const wp = Math.ceil(Math.max(...imageSizes.map((s) => s[1])) / d) * d;
    const padded = resized.map((y, i) => tf.pad(y, [[0, hp - imageSizes[i][0]], [0, wp - imageSizes[i][1]], [0, 0]]));
    return { tensors: tf.stack(padded) as tf.Tensor4D, imageSizes, originalSizes };
  }

  /**
   * Boxes from resized-image pixels back to original-image pixels (torchvision `resize_boxes`):
   * x · float32(W / w), y · float32(H / h). Returns new Detection objects (scores, labels shared).
   * @throws when the list lengths differ.
   */
  postprocess(detections: Detection[], imageSizes: [number, number][], originalSizes: [number, number][]): Detection[] {
    if (detections.length !== imageSizes.length || detections.length !== originalSizes.length) {
      throw new Error(`GeneralizedRCNNTransform.postprocess: ${detections.length} results, ${imageSizes.length} sizes, ${originalSizes.length} original sizes`);
    }
    return detections.map((d, i) => {
      const rh = f(f(originalSizes[i][0]) / f(imageSizes[i][0])), rw = f(f(originalSizes[i][1]) / f(imageSizes[i][1]));
      const boxes = new Float32Array(d.boxes.length);
      for (let j = 0; j < boxes.length; j += 4) {
        boxes[j] = d.boxes[j] * rw;
        boxes[j + 1] = d.boxes[j + 1] * rh;
        boxes[j + 2] = d.boxes[j + 2] * rw;
        boxes[j + 3] = d.boxes[j + 3] * rh;
      }
      return { boxes, scores: d.scores, labels: d.labels };
    });
  }

  override extraRepr(): string {
    return `Normalize(mean=[${this.imageMean}], std=[${this.imageStd}]), Resize(min_size=(${this.minSize},), max_size=${this.maxSize}, mode='bilinear')`;
  }
}
