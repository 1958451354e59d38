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

// ---------------------------------------------------------------------------------------------
// Pillow's bilinear resample (libImaging/Resample.c), 8 bits per channel
// ---------------------------------------------------------------------------------------------

const PRECISION_BITS = 32 - 8 - 2;

interface Coeffs {
  ksize: number;
  /** [xmin, count] per output index. */
  bounds: Int32Array;
  /** Fixed-point weights, ksize per output index. */
  kk: Int32Array;
}

/** Pillow `precompute_coeffs` + `normalize_coeffs_8bpc` for the bilinear (triangle) filter. */
function precomputeCoeffs(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(1, scale);
  const support = 1 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      const w = t < 1 ? 1 - t : 0;
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      const v = x < xmax && ww !== 0 ? k[x] / ww : 0;
      kk[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(v: number): number {
  if (v >= 1 << PRECISION_BITS << 8) return 255;
  if (v <= 0) return 0;
  return v >> PRECISION_BITS;
}

/**
 * Pillow's `Image.resize((outW, outH), Image.BILINEAR)` of an 8-bit HWC image (any channel
 * count): antialiased triangle filter, horizontal pass then vertical, each rounded to uint8.
 * Pure function over typed arrays.
 */
export function resizeBilinearPil(img: ImageU8, outW: number, outH: number): ImageU8 {
  const { width: w, height: h, channels: c, data } = img;
  checkImage(img, 'resizeBilinearPil');
  if (!(Number.isInteger(outW) && Number.isInteger(outH) && outW > 0 && outH > 0)) {
    throw new Error(`resizeBilinearPil: output size must be positive integers, got ${outW}x${outH}`);
  }
  const half = 1 << (PRECISION_BITS - 1);
  let src = data;
  let sw = w;
  let sh = h;
  let rowFirst = 0;
  const vert = precomputeCoeffs(h, outH);
  if (outW !== w) {
    // only the rows the vertical pass reads (Pillow's ybox_first / ybox_last)
    rowFirst = vert.bounds[0];
    const rowLast = vert.bounds[outH * 2 - 2] + vert.bounds[outH * 2 - 1];
    const hz = precomputeCoeffs(w, outW);
    const tmp = new Uint8Array(outW * (rowLast - rowFirst) * c);
    for (let y = rowFirst; y < rowLast; y++) {
      const inRow = y * w * c;
      const outRow = (y - rowFirst) * outW * c;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = hz.bounds[xx * 2];
        const n = hz.bounds[xx * 2 + 1];
        const kOff = xx * hz.ksize;
        for (let ch = 0; ch < c; ch++) {
          let ss = half;
          for (let x = 0; x < n; x++) ss += data[inRow + (x + xmin) * c + ch] * hz.kk[kOff + x];
          tmp[outRow + xx * c + ch] = clip8(ss);
        }
      }
    }
    src = tmp;
    sw = outW;
    sh = rowLast - rowFirst;
  }
  if (outH === h) {
    return outW === w ? { width: w, height: h, channels: c, data: data.slice() } : { width: outW, height: h, channels: c, data: src };
  }
  const out = new Uint8Array(outW * outH * c);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = vert.bounds[yy * 2] - rowFirst;
    const n = vert.bounds[yy * 2 + 1];
    const kOff = yy * vert.ksize;
    for (let xx = 0; xx < sw; xx++) {
      for (let ch = 0; ch < c; ch++) {
        let ss = half;
        for (let y = 0; y < n; y++) ss += src[((y + ymin) * sw + xx) * c + ch] * vert.kk[kOff + y];
        out[(yy * outW + xx) * c + ch] = clip8(ss);
      }
    }
  }
  void sh;
  return { width: outW, height: outH, channels: c, data: out };
}

/**
 * Plain bilinear resize with half-pixel centres (PyTorch `interpolate(mode='bilinear',
 * align_corners=False, antialias=False)`, torchvision 0.14's tensor Resize), computed in float64
 * and rounded half-to-even to uint8 like torchvision's uint8 tensor path. Pure function.
 */
export function resizeBilinearNoAntialias(img: ImageU8, outW: number, outH: number): ImageU8 {
  checkImage(img, 'resizeBilinearNoAntialias');
  const { width: w, height: h, channels: c, data } = img;
  const out = new Uint8Array(outW * outH * c);
  const src = (o: number, n: number, size: number): [number, number, number] => {
    const s = Math.max(0, ((o + 0.5) * n) / size - 0.5);
    const i0 = Math.min(Math.floor(s), n - 1);
    const i1 = Math.min(i0 + 1, n - 1);
    return [i0, i1, s - i0];
  };
  for (let y = 0; y < outH; y++) {
    const [y0, y1, fy] = src(y, h, outH);
    for (let x = 0; x < outW; x++) {
      const [x0, x1, fx] = src(x, w, outW);
      for (let ch = 0; ch < c; ch++) {
        const p = (yy: number, xx: number) => data[(yy * w + xx) * c + ch];
        const v = (1 - fy) * ((1 - fx) * p(y0, x0) + fx * p(y0, x1)) + fy * ((1 - fx) * p(y1, x0) + fx * p(y1, x1));
        out[(y * outW + x) * c + ch] = Math.min(255, Math.max(0, roundHalfEven(v)));
      }
    }
  }
  return { width: outW, height: outH, channels: c, data: out };
}

function checkImage(img: ImageU8, fn: string): void {
  const { width: w, height: h, channels: c, data } = img ?? ({} as ImageU8);
  if (!(Number.isInteger(w) && Number.isInteger(h) && Number.isInteger(c) && w > 0 && h > 0 && c > 0)) {
    throw new Error(`${fn}: image must have positive integer width/height/channels, got ${w}x${h}x${c}`);
  }
  if (!(data instanceof Uint8Array) || data.length !== w * h * c) {
    throw new Error(`${fn}: image data must be a Uint8Array of width*height*channels = ${w * h * c} bytes, got ${data?.length}`);
  }
}

/** Python's round(): half to even. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

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

/** torchvision's Resize(size) output size for an int size: shorter side = size. */
export function resizedSize(w: number, h: number, size: number): [number, number] {
  if (w <= h) return [size, Math.trunc((size * h) / w)];
  return [Math.trunc((size * w) / h), size];
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
  if (logits.rank !== 1 && logits.rank !== 2) throw new Error(`topK: expected logits [N, C] or [C], got [${logits.shape.join(', ')}]`);
  if (!Number.isInteger(k) || k < 1) throw new Error(`topK: k must be an integer >= 1, got ${k}`);
  const [n, c] = logits.rank === 1 ? [1, logits.shape[0]] : logits.shape;
  const kk = Math.min(k, c);
  const values = logits.dataSync();
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
