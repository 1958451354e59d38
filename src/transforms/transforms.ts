/**
 * torchvision.transforms, the subset the chapter uses, over HWC uint8 images ({@link ImageU8},
 * what src/io's `decodeImage` returns — the role of a PIL image) and HWC float32 tensors.
 *
 * Layout: tfjs models here take NHWC input, so {@link ToTensor} keeps the image's HWC layout:
 * it yields float32 `[H, W, C]` in [0, 1] (torchvision's ToTensor yields CHW `[C, H, W]`; the
 * values are identical, only the axis order differs). {@link Normalize} works per channel over
 * the last axis. A DataLoader (src/data) stacks samples into NHWC `[B, H, W, C]`.
 *
 * Randomness: every random transform draws from an {@link Rng} (`next()` uniform in [0, 1)).
 * `apply(input, rng)` uses the generator passed in (a DataLoader passes one per sample, derived
 * from its seed, epoch and index, so results do not depend on prefetch order); without one, the
 * transform's own generator (`new X(..., {seed})`, default `Math.random`) is used. Same seed →
 * same output. The random draws are not torch's generator, so the crops differ from a PyTorch run
 * with the same seed; the distributions and the sampling algorithms are torchvision's.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageU8 } from '../io/image.js';
import { resizeBilinearPil, resizedSize } from './resample.js';
import { SeededRng, type Rng } from '../nn/init.js';

export type { Rng };

/**
 * An HWC float32 image tensor as plain data: `shape` [H, W, C], row-major `data`. What
 * {@link ToTensor} returns (cheap to stack into a batch; also a `TensorData` for src/nn).
 */
export interface HwcTensor {
  shape: [number, number, number];
  data: Float32Array;
}

/** A transform (torchvision's callable transform objects): `apply(input, rng?)`. */
export interface Transform<I = unknown, O = unknown> {
  /**
   * Applies the transform. `rng` overrides the transform's own generator for random transforms
   * (ignored by deterministic ones). Never mutates `input`.
   */
  apply(input: I, rng?: Rng): O;
}

/** Python's round(): half to even. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function checkImage(img: ImageU8, fn: string): void {
  const { width: w, height: h, channels: c, data } = img ?? ({} as ImageU8);
  if (!(Number.isInteger(w) && Number.isInteger(h) && Number.isInteger(c) && w > 0 && h > 0 && c > 0)) {
    throw new Error(`${fn}: expected an HWC uint8 image {width, height, channels, data}, got ${w}x${h}x${c}`);
  }
  if (!(data instanceof Uint8Array) || data.length !== w * h * c) {
    throw new Error(`${fn}: image data must be a Uint8Array of width*height*channels = ${w * h * c} bytes, got ${data?.length}`);
  }
}

/** `size` int → [size, size]; [h, w] stays. */
function pair(size: number | readonly [number, number], fn: string): [number, number] {
  const s: [number, number] = typeof size === 'number' ? [size, size] : [size[0], size[1]];
  if (!s.every((v) => Number.isInteger(v) && v > 0)) throw new Error(`${fn}: size must be positive integers, got ${String(size)}`);
  return s;
}

const mathRandom: Rng = { next: () => Math.random() };

function ownRng(seed: number | undefined): Rng {
  return seed == null ? mathRandom : new SeededRng(seed);
}

/** Uniform float in [a, b) (torch `uniform_`). */
function uniform(rng: Rng, a: number, b: number): number {
  return a + (b - a) * rng.next();
}

/** Uniform integer in [lo, hi) (torch `randint(lo, hi)`). */
function randint(rng: Rng, lo: number, hi: number): number {
  return lo + Math.min(hi - lo - 1, Math.floor(rng.next() * (hi - lo)));
}

// ---------------------------------------------------------------------------------------------
// Pure functions (torchvision.transforms.functional on PIL images)
// ---------------------------------------------------------------------------------------------

/**
 * `F.crop(img, top, left, height, width)` on a PIL image: the region may extend past the image,
 * outside pixels are 0 (PIL's crop). Pure; returns a new image.
 * @throws for a malformed image or non-positive crop size.
 */
export function crop(img: ImageU8, top: number, left: number, height: number, width: number): ImageU8 {
  checkImage(img, 'crop');
  if (!(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0 && Number.isInteger(top) && Number.isInteger(left))) {
    throw new Error(`crop: top/left must be integers and height/width positive integers, got ${top},${left},${height},${width}`);
  }
  const { width: w, height: h, channels: c, data } = img;
  const out = new Uint8Array(width * height * c);
  const x0 = Math.max(0, left), x1 = Math.min(w, left + width);
  for (let y = 0; y < height; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= h || x1 <= x0) continue;
    out.set(data.subarray((sy * w + x0) * c, (sy * w + x1) * c), (y * width + (x0 - left)) * c);
  }
  return { width, height, channels: c, data: out };
}

/**
 * `F.center_crop(img, [h, w])` (torchvision 0.14): top = round((H − h) / 2), left likewise
 * (round half to even, `int(round(...))`); an image smaller than the crop is first zero-padded,
 * the odd pixel going right/bottom (torchvision pads `(crop − size) // 2` left/top). Pure.
 */
export function centerCrop(img: ImageU8, size: number | readonly [number, number]): ImageU8 {
  checkImage(img, 'centerCrop');
  const [ch, cw] = pair(size, 'centerCrop');
  const { width: w, height: h } = img;
  const top = h < ch ? -Math.floor((ch - h) / 2) : roundHalfEven((h - ch) / 2);
  const left = w < cw ? -Math.floor((cw - w) / 2) : roundHalfEven((w - cw) / 2);
  return crop(img, top, left, ch, cw);
}

/**
 * `F.resize(img, size, BILINEAR)` on a PIL image: Pillow's antialiased bilinear resample
 * (src/models/imagenet.ts `resizeBilinearPil`, bit-exact with Pillow). `size` int: the smaller
 * edge becomes `size`, the other `int(size * long / short)`; `[h, w]`: exactly that. Pure.
 */
export function resize(img: ImageU8, size: number | readonly [number, number]): ImageU8 {
  checkImage(img, 'resize');
  if (typeof size === 'number') {
    if (!(Number.isInteger(size) && size > 0)) throw new Error(`resize: size must be a positive integer, got ${size}`);
    const [w, h] = resizedSize(img.width, img.height, size);
    return resizeBilinearPil(img, w, h);
  }
  const [h, w] = pair(size, 'resize');
  return resizeBilinearPil(img, w, h);
}

/** `F.resized_crop`: {@link crop} then {@link resize} to `[h, w]` (PIL bilinear). Pure. */
export function resizedCrop(img: ImageU8, top: number, left: number, height: number, width: number, size: number | readonly [number, number]): ImageU8 {
  return resize(crop(img, top, left, height, width), pair(size, 'resizedCrop'));
}

/** `F.hflip`: mirrors an HWC uint8 image left–right. Pure. */
export function hflip(img: ImageU8): ImageU8 {
  checkImage(img, 'hflip');
  const { width: w, height: h, channels: c, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * c, d = (y * w + (w - 1 - x)) * c;
      for (let k = 0; k < c; k++) out[d + k] = data[s + k];
    }
  }
  return { width: w, height: h, channels: c, data: out };
}

// ---------------------------------------------------------------------------------------------
// Transform classes (torchvision.transforms names)
// ---------------------------------------------------------------------------------------------

/**
 * torchvision `Compose(transforms)`: applies each in order, passing the same `rng` to each (the
 * random ones draw from it in order).
 */
export class Compose<I = unknown, O = unknown> implements Transform<I, O> {
  constructor(readonly transforms: ReadonlyArray<Transform<any, any>>) {} // eslint-disable-line @typescript-eslint/no-explicit-any
  apply(input: I, rng?: Rng): O {
    let x: unknown = input;
    for (const t of this.transforms) x = t.apply(x, rng);
    return x as O;
  }
}

/**
 * torchvision `Resize(size)` with `interpolation=BILINEAR` on a PIL image (antialiased; see
 * {@link resize}). `size` int: smaller edge → size, aspect kept; `[h, w]`: that size.
 * Input/output HWC uint8.
 */
export class Resize implements Transform<ImageU8, ImageU8> {
  constructor(readonly size: number | readonly [number, number]) {
    if (typeof size === 'number') pair(size, 'Resize');
    else pair(size, 'Resize');
  }
  apply(img: ImageU8): ImageU8 {
    return resize(img, this.size);
  }
}

/** torchvision `CenterCrop(size)` (int → square), zero-padding images smaller than the crop. HWC uint8. */
export class CenterCrop implements Transform<ImageU8, ImageU8> {
  readonly size: [number, number];
  constructor(size: number | readonly [number, number]) {
    this.size = pair(size, 'CenterCrop');
  }
  apply(img: ImageU8): ImageU8 {
    return centerCrop(img, this.size);
  }
}

export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image area; default [0.08, 1]. */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio w/h (sampled log-uniformly); default [3/4, 4/3]. */
  ratio?: readonly [number, number];
  /** Seed of the transform's own generator (used when `apply` gets no rng); default Math.random. */
  seed?: number;
}

/**
 * torchvision `RandomResizedCrop(size, scale=(0.08, 1.0), ratio=(3/4, 4/3))` with BILINEAR
 * (PIL, antialiased): a random crop with area fraction ~U(scale) and aspect ratio
 * ~exp(U(log ratio)) is resized to `size` ([h, w]; int → square). Sampling is torchvision 0.14's
 * `get_params`: up to 10 attempts; if none fits, the fallback central crop with the ratio
 * clamped to `ratio`. HWC uint8 in and out.
 */
export class RandomResizedCrop implements Transform<ImageU8, ImageU8> {
  readonly size: [number, number];
  readonly scale: readonly [number, number];
  readonly ratio: readonly [number, number];
  private readonly _rng: Rng;
  constructor(size: number | readonly [number, number], opts: RandomResizedCropOptions = {}) {
    this.size = pair(size, 'RandomResizedCrop');
    this.scale = opts.scale ?? [0.08, 1.0];
    this.ratio = opts.ratio ?? [3 / 4, 4 / 3];
    if (!(this.scale[0] > 0 && this.scale[0] <= this.scale[1]) || !(this.ratio[0] > 0 && this.ratio[0] <= this.ratio[1])) {
      throw new Error(`RandomResizedCrop: scale and ratio must be positive (min, max) ranges, got scale ${this.scale}, ratio ${this.ratio}`);
    }
    this._rng = ownRng(opts.seed);
  }

  /**
   * torchvision `RandomResizedCrop.get_params(img, scale, ratio)`: `[top, left, h, w]` of the
   * crop for an image of `height` × `width`.
   */
  static getParams(height: number, width: number, scale: readonly [number, number], ratio: readonly [number, number], rng: Rng): [number, number, number, number] {
    const area = height * width;
    const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
    for (let attempt = 0; attempt < 10; attempt++) {
      const targetArea = area * uniform(rng, scale[0], scale[1]);
      const aspect = Math.exp(uniform(rng, logRatio[0], logRatio[1]));
      const w = roundHalfEven(Math.sqrt(targetArea * aspect));
      const h = roundHalfEven(Math.sqrt(targetArea / aspect));
      if (w > 0 && w <= width && h > 0 && h <= height) {
        const i = randint(rng, 0, height - h + 1);
        const j = randint(rng, 0, width - w + 1);
        return [i, j, h, w];
      }
    }
    // fallback to central crop
    const inRatio = width / height;
    let w: number, h: number;
    if (inRatio < Math.min(ratio[0], ratio[1])) {
      w = width;
      h = roundHalfEven(w / Math.min(ratio[0], ratio[1]));
    } else if (inRatio > Math.max(ratio[0], ratio[1])) {
      h = height;
      w = roundHalfEven(h * Math.max(ratio[0], ratio[1]));
    } else {
      w = width;
      h = height;
    }
    return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
  }

  apply(img: ImageU8, rng?: Rng): ImageU8 {
    checkImage(img, 'RandomResizedCrop');
    const [i, j, h, w] = RandomResizedCrop.getParams(img.height, img.width, this.scale, this.ratio, rng ?? this._rng);
    return resizedCrop(img, i, j, h, w, this.size);
  }
}

/**
 * torchvision `RandomHorizontalFlip(p=0.5)`: mirrors left–right with probability `p` (one draw
 * per call: flip when `rng.next() < p`). Works on HWC uint8 images and on {@link HwcTensor}s.
 */
export class RandomHorizontalFlip implements Transform<ImageU8 | HwcTensor, ImageU8 | HwcTensor> {
  private readonly _rng: Rng;
  constructor(readonly p = 0.5, opts: { seed?: number } = {}) {
    if (!(p >= 0 && p <= 1)) throw new Error(`RandomHorizontalFlip: p must be in [0, 1], got ${p}`);
    this._rng = ownRng(opts.seed);
  }
  apply<T extends ImageU8 | HwcTensor>(img: T, rng?: Rng): T {
    if (!((rng ?? this._rng).next() < this.p)) return img;
    if ('shape' in img) {
      const [h, w, c] = img.shape;
      const out = new Float32Array(img.data.length);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[(y * w + (w - 1 - x)) * c + k] = img.data[(y * w + x) * c + k];
      return { shape: [h, w, c], data: out } as T;
    }
    return hflip(img) as T;
  }
}

/**
 * torchvision `ToTensor()`: HWC uint8 image → float32 in [0, 1] (`pixel / 255`, correctly rounded
 * float32 like torch's `float().div(255)`), **kept HWC**: `shape` [H, W, C] (torchvision returns
 * CHW; tfjs models here are NHWC).
 */
export class ToTensor implements Transform<ImageU8, HwcTensor> {
  apply(img: ImageU8): HwcTensor {
    checkImage(img, 'ToTensor');
    const out = new Float32Array(img.data.length);
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = v / 255;
    const d = img.data;
    for (let i = 0; i < d.length; i++) out[i] = lut[d[i]];
    return { shape: [img.height, img.width, img.channels], data: out };
  }
}

/**
 * torchvision `Normalize(mean, std)`: `(x − mean[c]) / std[c]` per channel, over the **last**
 * axis (HWC / NHWC here; torchvision normalizes dim −3 of CHW). Computed like torch in float32:
 * mean and std rounded to float32, one float32 subtraction and one float32 division, so the
 * result is bit-identical to torchvision's. Accepts an {@link HwcTensor} (returns a new one) or a
 * `tf.Tensor` whose last dimension is C (returns a new tensor, the caller disposes it).
 * @throws if mean/std lengths differ from C, or a std is 0.
 */
export class Normalize implements Transform<HwcTensor | tf.Tensor, HwcTensor | tf.Tensor> {
  readonly mean: Float32Array;
  readonly std: Float32Array;
  constructor(mean: ArrayLike<number>, std: ArrayLike<number>) {
    if (mean.length !== std.length || mean.length === 0) throw new Error(`Normalize: mean and std must have the same non-zero length, got ${mean.length} and ${std.length}`);
    this.mean = Float32Array.from(mean);
    this.std = Float32Array.from(std);
    if (this.std.some((s) => s === 0)) throw new Error('Normalize: std evaluated to zero, leading to division by zero.');
  }
  apply<T extends HwcTensor | tf.Tensor>(x: T): T {
    const c = this.mean.length;
    if (x instanceof tf.Tensor) {
      if (x.shape[x.rank - 1] !== c) throw new Error(`Normalize: expected ${c} channels in the last axis, got shape [${x.shape.join(', ')}]`);
      return tf.tidy(() => tf.div(tf.sub(tf.cast(x, 'float32'), tf.tensor1d(this.mean)), tf.tensor1d(this.std))) as T;
    }
    const t = x as HwcTensor;
    if (t.shape[2] !== c) throw new Error(`Normalize: expected ${c} channels, got shape [${t.shape.join(', ')}]`);
    const out = new Float32Array(t.data.length);
    const { mean, std } = this;
    for (let i = 0; i < out.length; i += c) {
      for (let k = 0; k < c; k++) out[i + k] = Math.fround(t.data[i + k] - mean[k]) / std[k];
    }
    return { shape: [t.shape[0], t.shape[1], t.shape[2]], data: out } as T;
  }
}

export interface ImageTransformOptions {
  /** Seed of the transform's own generator (when `apply` gets no rng). */
  seed?: number;
}

/**
 * The chapter's `ImageTransform(resize, mean, std)`: a pair of pipelines, chosen by phase:
 *  - 'train': RandomResizedCrop(size, scale=(0.5, 1.0)) → RandomHorizontalFlip() → ToTensor() →
 *    Normalize(mean, std)
 *  - 'val':   Resize(size) → CenterCrop(size) → ToTensor() → Normalize(mean, std)
 * Input HWC uint8 (RGB), output {@link HwcTensor} float32 [size, size, C].
 * `apply(img, rng, phase = 'train')` mirrors the chapter's `__call__(img, phase='train')`;
 * `forPhase(phase)` gives a one-argument transform for a dataset.
 */
export class ImageTransform implements Transform<ImageU8, HwcTensor> {
  readonly train: Compose<ImageU8, HwcTensor>;
  readonly val: Compose<ImageU8, HwcTensor>;
  private readonly _rng: Rng;
  constructor(readonly size: number, readonly mean: ArrayLike<number>, readonly std: ArrayLike<number>, opts: ImageTransformOptions = {}) {
    this._rng = ownRng(opts.seed);
    this.train = new Compose([new RandomResizedCrop(size, { scale: [0.5, 1.0] }), new RandomHorizontalFlip(), new ToTensor(), new Normalize(mean, std)]);
    this.val = new Compose([new Resize(size), new CenterCrop(size), new ToTensor(), new Normalize(mean, std)]);
  }
  apply(img: ImageU8, rng?: Rng, phase: 'train' | 'val' = 'train'): HwcTensor {
    return phase === 'train' ? this.train.apply(img, rng ?? this._rng) : this.val.apply(img);
  }
  /** The phase's pipeline as a transform (train uses `rng` or this transform's own generator). */
  forPhase(phase: 'train' | 'val'): ImageTransformPhase {
    return new ImageTransformPhase(this, phase);
  }
}

/**
 * One phase of an {@link ImageTransform} as a one-argument transform (what `forPhase` returns);
 * `transform` and `phase` are kept so that src/transforms/spec.ts can describe it to a decode worker.
 */
export class ImageTransformPhase implements Transform<ImageU8, HwcTensor> {
  constructor(readonly transform: ImageTransform, readonly phase: 'train' | 'val') {}
  apply(img: ImageU8, rng?: Rng): HwcTensor {
    return this.transform.apply(img, rng, this.phase);
  }
}
