/**
 * ImageNet preprocessing and top-k decoding for the classification zoo: torchvision's
 * evaluation transform
 *
 *   Resize(256) → CenterCrop(224) → ToTensor() → Normalize(mean=[0.485, 0.456, 0.406],
 *                                                           std=[0.229, 0.224, 0.225])
 *
 * (the chapter's pipeline, and torchvision 0.14's `ImageClassification` preset of the
 * `*_Weights.IMAGENET1K_V1` enums) from a decoded RGB uint8 HWC image (src/io `decodeImage`) to
 * an NHWC float32 tensor [1, 224, 224, 3].
 *
 * Resize: the pretrained weights were evaluated on PIL images, where torchvision's Resize calls
 * `PIL.Image.resize(size, BILINEAR)`, which is *antialiased* (its triangle filter widens by the
 * downscale factor) and rounds to uint8 after each of its two passes. The default here
 * (`antialias: true`) reproduces Pillow's algorithm exactly (libImaging/Resample.c: coefficients
 * normalised in double, 22-bit fixed point, horizontal pass then vertical, uint8 rounding and
 * clipping), so the uint8 pixels equal PIL's. `antialias: false` is torchvision 0.14's *tensor*
 * path (antialias=None → False for tensors): plain bilinear with half-pixel centres
 * (align_corners=False), rounded to uint8. The shorter side becomes `resizeSize` and the longer
 * `int(resizeSize · long / short)`, as torchvision computes it.
 *
 * CenterCrop: top = round((H − 224) / 2), left likewise, with Python's round-half-to-even
 * (torchvision F.center_crop); images smaller than the crop are zero-padded first, as torchvision
 * does.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageU8 } from '../io/image.js';
import { IMAGENET_CLASSES } from './imagenet_classes.js';

export { IMAGENET_CLASSES };

export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

export { resizeBilinearPil, resizeBilinearNoAntialias, resizedSize } from '../transforms/resample.js';
import { resizeBilinearPil, resizeBilinearNoAntialias, resizedSize, roundHalfEven } from '../transforms/resample.js';

// ---------------------------------------------------------------------------------------------
// The transform
// ---------------------------------------------------------------------------------------------

export interface ImagenetPreprocessOptions {
  /** Shorter side after the resize, default 256. */
  resizeSize?: number;
  /** Square center crop, default 224. */
  cropSize?: number;
  /** true (default): Pillow's antialiased bilinear (torchvision on PIL images); false: torchvision 0.14 tensor bilinear. */
  antialias?: boolean;
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
}


/**
 * Resize(256) + CenterCrop(224) of an RGB uint8 image (torchvision semantics, see module doc):
 * the uint8 pixels the model sees, before ToTensor/Normalize. Pure function.
 */
export function resizeAndCenterCrop(img: ImageU8, opts: ImagenetPreprocessOptions = {}): ImageU8 {
  const size = opts.resizeSize ?? 256;
  const crop = opts.cropSize ?? 224;
  const [rw, rh] = resizedSize(img.width, img.height, size);
  const r = opts.antialias ?? true ? resizeBilinearPil(img, rw, rh) : resizeBilinearNoAntialias(img, rw, rh);
  const c = r.channels;
  const out = new Uint8Array(crop * crop * c);
  // torchvision center_crop pads (zeros, symmetric with the extra on the right/bottom) when smaller
  const padL = rw < crop ? Math.floor((crop - rw) / 2) : 0;
  const padT = rh < crop ? Math.floor((crop - rh) / 2) : 0;
  const top = rh < crop ? -padT : roundHalfEven((rh - crop) / 2);
  const left = rw < crop ? -padL : roundHalfEven((rw - crop) / 2);
  for (let y = 0; y < crop; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= rh) continue;
    for (let x = 0; x < crop; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= rw) continue;
      for (let ch = 0; ch < c; ch++) out[(y * crop + x) * c + ch] = r.data[(sy * rw + sx) * c + ch];
    }
  }
  return { width: crop, height: crop, channels: c, data: out };
}

/**
 * The full ImageNet evaluation transform: RGB uint8 HWC image → NHWC float32 [1, 224, 224, 3],
 * (pixel / 255 − mean) / std per channel.
 * @throws for a non-RGB or malformed image.
 */
export function preprocessImagenet(img: ImageU8, opts: ImagenetPreprocessOptions = {}): tf.Tensor4D {
  if (img?.channels !== 3) throw new Error(`preprocessImagenet: expected an RGB image (3 channels), got ${img?.channels}`);
  const mean = opts.mean ?? IMAGENET_MEAN;
  const std = opts.std ?? IMAGENET_STD;
  const cropped = resizeAndCenterCrop(img, opts);
  const n = cropped.width * cropped.height;
  const f = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < 3; ch++) f[i * 3 + ch] = (cropped.data[i * 3 + ch] / 255 - mean[ch]) / std[ch];
  }
  return tf.tensor4d(f, [1, cropped.height, cropped.width, 3]);
}

export interface TopKEntry {
  /** Class index. */
  index: number;
  /** Class name (IMAGENET_CLASSES, or `class <i>` beyond the list / with custom labels missing). */
  label: string;
  /** Softmax probability of the class. */
  probability: number;
  logit: number;
}

/**
 * The k most likely classes of each row of `logits` [N, C] (or [C]): softmax probabilities and
 * labels (default the 1000 ImageNet names), best first. Ties keep the lower index first.
 * @throws for a logits tensor of rank other than 1 or 2, or k < 1.
 */
export function topK(logits: tf.Tensor, k = 5, labels: readonly string[] = IMAGENET_CLASSES): TopKEntry[][] {
  checkTopK(logits, k);
  return topKOf(logits.dataSync() as Float32Array, logits, k, labels);
}

/**
 * {@link topK} without blocking the thread: the logits are read with `await data()` (the one to
 * use in browsers and on webgl). Same inputs, same result, same errors (as rejections).
 */
export async function topKAsync(logits: tf.Tensor, k = 5, labels: readonly string[] = IMAGENET_CLASSES): Promise<TopKEntry[][]> {
  checkTopK(logits, k);
  return topKOf(await logits.data() as Float32Array, logits, k, labels);
}

function checkTopK(logits: tf.Tensor, k: number): void {
  if (logits.rank !== 1 && logits.rank !== 2) throw new Error(`topK: expected logits [N, C] or [C], got [${logits.shape.join(', ')}]`);
  if (!Number.isInteger(k) || k < 1) throw new Error(`topK: k must be an integer >= 1, got ${k}`);
}

/** topK's ranking of the downloaded logits `values` of `logits`' shape. */
function topKOf(values: Float32Array, logits: tf.Tensor, k: number, labels: readonly string[]): TopKEntry[][] {
  const [n, c] = logits.rank === 1 ? [1, logits.shape[0]] : logits.shape;
  const kk = Math.min(k, c);
  const out: TopKEntry[][] = [];
  for (let r = 0; r < n; r++) {
    const row = values.subarray(r * c, (r + 1) * c);
    let m = -Infinity;
    for (const v of row) m = Math.max(m, v);
    let z = 0;
    for (const v of row) z += Math.exp(v - m);
    const idx = Array.from({ length: c }, (_, i) => i).sort((a, b) => row[b] - row[a] || a - b).slice(0, kk);
    out.push(idx.map((i) => ({ index: i, label: labels[i] ?? `class ${i}`, probability: Math.exp(row[i] - m) / z, logit: row[i] })));
  }
  return out;
}
