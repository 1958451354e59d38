/**
 * Running a segmentation model on an image and showing the result: {@link segment} (per-pixel
 * argmax at the input resolution), the PASCAL VOC class names ({@link VOC_CLASSES}, torchvision's
 * `_VOC_CATEGORIES` in models/_meta.py) and colour map ({@link vocPalette}, the VOC devkit's
 * `labelcolormap`), {@link maskRgb} / {@link overlayPng} for pictures, {@link classFractions}.
 */
import * as tf from '@tensorflow/tfjs-core';
import { encodePng, type ImageU8 } from '../io/image.js';
import type { AnyModule } from '../nn/index.js';
import { IMAGENET_MEAN, IMAGENET_STD } from './imagenet.js';

/** The 21 PASCAL VOC classes in label order (index 0 = background), torchvision's names. */
export const VOC_CLASSES: readonly string[] = [
  '__background__', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
];

/**
 * PASCAL VOC's colour map (VOCdevkit `labelcolormap.m`, also PIL palette of the VOC masks): for
 * label i, bits 0/1/2 of each 3-bit group of i go to R/G/B, from the most significant bit down.
 * Returns `n * 3` bytes (RGB per label), default n = 256 (255 = VOC's "void" border, cream).
 * Label 1 = (128, 0, 0), 2 = (0, 128, 0), 15 (person) = (192, 128, 128).
 */
export function vocPalette(n = 256): Uint8Array {
  if (!Number.isInteger(n) || n < 0) throw new Error(`vocPalette: n must be an integer >= 0, got ${n}`);
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    let r = 0, g = 0, b = 0, c = i;
    for (let j = 0; j < 8; j++) {
      r |= (c & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
      c >>= 3;
    }
    out[i * 3] = r;
    out[i * 3 + 1] = g;
    out[i * 3 + 2] = b;
  }
  return out;
}

/** A per-pixel class map: `classMap[y * width + x]` = class index. */
export interface SegmentationResult {
  classMap: Int32Array;
  width: number;
  height: number;
}

/** Options of {@link segment}. */
export interface SegmentOptions {
  /** Per-channel mean for an ImageU8 input (default ImageNet's, as torchvision's segmentation presets). */
  mean?: readonly [number, number, number];
  /** Per-channel std for an ImageU8 input (default ImageNet's). */
  std?: readonly [number, number, number];
}

/**
 * Segments one image: the model's logits NHWC [1, H, W, C] (at the input resolution, as the
 * torchvision segmentation models return them), argmax over C (ties: the lower class index).
 *
 * - `image` as ImageU8 (RGB, HWC uint8): converted to `(pixel/255 − mean) / std` (no resize:
 *   resize first for models trained at another scale, e.g. torchvision's 520 shorter side).
 * - `image` as tf.Tensor4D NHWC [1, H, W, 3]: used as the model input as it is (already
 *   normalized; mean/std are ignored; not disposed).
 * Runs `model.forward` in a tidy; put the model in eval mode first.
 * @throws for a non-RGB image, a batch other than 1, or a model output whose spatial size is not
 *   the input's.
 */
export function segment(model: AnyModule, image: ImageU8 | tf.Tensor4D, opts: SegmentOptions = {}): SegmentationResult {
  const { cls, width, height } = classTensor(model, image, opts);
  try {
    return { classMap: new Int32Array(cls.dataSync()), width, height };
  } finally {
    cls.dispose();
  }
}

/**
 * {@link segment} without blocking the thread: the class map is read with `await data()` (the
 * one to use in browsers and on webgl). Same inputs, same result, same errors (as rejections).
 */
export async function segmentAsync(model: AnyModule, image: ImageU8 | tf.Tensor4D,
    opts: SegmentOptions = {}): Promise<SegmentationResult> {
  const { cls, width, height } = classTensor(model, image, opts);
  try {
    return { classMap: new Int32Array(await cls.data()), width, height };
  } finally {
    cls.dispose();
  }
}

/** The per-pixel argmax [1, H, W] int32 of segment / segmentAsync, still on the backend. */
function classTensor(model: AnyModule, image: ImageU8 | tf.Tensor4D, opts: SegmentOptions):
    { cls: tf.Tensor; width: number; height: number } {
  let height: number, width: number;
  if (image instanceof tf.Tensor) {
    if (image.rank !== 4 || image.shape[0] !== 1 || image.shape[3] !== 3) {
      throw new Error(`segment: expected an NHWC tensor [1, H, W, 3], got [${image.shape.join(', ')}]`);
    }
    [, height, width] = image.shape;
  } else {
    if (image?.channels !== 3) throw new Error(`segment: expected an RGB image (3 channels), got ${image?.channels}`);
    ({ height, width } = image);
  }
  const mean = opts.mean ?? IMAGENET_MEAN;
  const std = opts.std ?? IMAGENET_STD;
  const cls = tf.tidy(() => {
    let x: tf.Tensor4D;
    if (image instanceof tf.Tensor) {
      x = image;
    } else {
      const n = width * height;
      const f = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) {
        for (let ch = 0; ch < 3; ch++) f[i * 3 + ch] = (image.data[i * 3 + ch] / 255 - mean[ch]) / std[ch];
      }
      x = tf.tensor4d(f, [1, height, width, 3]);
    }
    const y = model.forward(x) as tf.Tensor;
    if (y.rank !== 4 || y.shape[1] !== height || y.shape[2] !== width) {
      throw new Error(`segment: model output [${y.shape.join(', ')}] is not [1, ${height}, ${width}, C]`);
    }
    return tf.argMax(y, 3);
  });
  return { cls, width, height };
}

/** Class i's colour in `palette` (RGB bytes per class), cycling through it past its end. */
function colour(palette: Uint8Array, c: number): number {
  const n = palette.length / 3;
  return (((c % n) + n) % n) * 3;
}

/** The class map as an RGB image (HWC uint8) in the given palette (default {@link vocPalette}). */
export function maskRgb(result: SegmentationResult, palette: Uint8Array = vocPalette()): ImageU8<3> {
  const { classMap, width, height } = result;
  if (classMap.length !== width * height) throw new Error(`maskRgb: classMap has ${classMap.length} entries, expected ${width}x${height}`);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < classMap.length; i++) {
    const p = colour(palette, classMap[i]);
    data[i * 3] = palette[p];
    data[i * 3 + 1] = palette[p + 1];
    data[i * 3 + 2] = palette[p + 2];
  }
  return { width, height, channels: 3, data };
}

/**
 * PNG bytes of `image` with the class colours blended in: `(1 − alpha)·pixel + alpha·colour`
 * (rounded) wherever the class is not 0 (background pixels are left as they are).
 * @param image RGB ImageU8 of the class map's size. @param alpha in [0, 1], default 0.5.
 * @throws when the sizes differ, the image is not RGB, or alpha is outside [0, 1].
 */
export function overlayPng(image: ImageU8, classMap: Int32Array, alpha = 0.5, palette: Uint8Array = vocPalette()): Uint8Array {
  if (image?.channels !== 3) throw new Error(`overlayPng: expected an RGB image, got ${image?.channels} channels`);
  if (classMap.length !== image.width * image.height) {
    throw new Error(`overlayPng: classMap has ${classMap.length} entries, image is ${image.width}x${image.height}`);
  }
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`overlayPng: alpha must be in [0, 1], got ${alpha}`);
  const out = new Uint8Array(image.data);
  for (let i = 0; i < classMap.length; i++) {
    if (classMap[i] === 0) continue;
    const p = colour(palette, classMap[i]);
    for (let ch = 0; ch < 3; ch++) out[i * 3 + ch] = Math.round((1 - alpha) * image.data[i * 3 + ch] + alpha * palette[p + ch]);
  }
  return encodePng(image.width, image.height, out);
}

/** One class present in a class map. */
export interface ClassFraction {
  index: number;
  label: string;
  /** Pixels of this class / all pixels. */
  fraction: number;
}

/** The classes present in `classMap`, largest share first (ties: lower index first); labels default to VOC's. */
export function classFractions(classMap: Int32Array, labels: readonly string[] = VOC_CLASSES): ClassFraction[] {
  const counts = new Map<number, number>();
  for (const c of classMap) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts.entries()]
    .map(([index, k]) => ({ index, label: labels[index] ?? `class ${index}`, fraction: k / classMap.length }))
    .sort((a, b) => b.fraction - a.fraction || a.index - b.index);
}
