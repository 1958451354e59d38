/**
 * Running a detection model on an image and showing the result: {@link detect} /
 * {@link detectAsync} (Faster R-CNN detections above a score, with names; the async one does not
 * block on GPU reads), the COCO category names torchvision's detection models
 * use ({@link COCO_CATEGORY_NAMES}, torchvision/models/_meta.py `_COCO_CATEGORIES`), and
 * {@link drawBoxesPng} (rectangles and labels in a built-in 5×7 bitmap font, as PNG bytes).
 */
import * as tf from '@tensorflow/tfjs-core';
import { encodePng, type ImageU8 } from '../io/image.js';
import type { Module } from '../nn/index.js';
import type { Detection } from '../detection/roi_heads.js';

/**
 * torchvision's 91 COCO category names by label index (index 0 '__background__'; 'N/A' for the
 * ids COCO 2017 does not use), as `weights.meta["categories"]` of the COCO detection weights.
 */
export const COCO_CATEGORY_NAMES: readonly string[] = [
  '__background__', 'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'N/A', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant',
  'bear', 'zebra', 'giraffe', 'N/A', 'backpack', 'umbrella', 'N/A', 'N/A', 'handbag', 'tie', 'suitcase', 'frisbee', 'skis',
  'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
  'N/A', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot',
  'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed', 'N/A', 'dining table', 'N/A', 'N/A', 'toilet',
  'N/A', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator',
  'N/A', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush',
];

/** One detected object: box (x1, y1, x2, y2) in image pixels, class index, its name, score in [0, 1]. */
export interface DetectedObject {
  box: [number, number, number, number];
  label: number;
  name: string;
  score: number;
}

/** Options of {@link detect}. */
export interface DetectOptions {
  /** Keep detections with score >= this (default 0.5). */
  scoreThreshold?: number;
  /** Names by label index (default {@link COCO_CATEGORY_NAMES}). */
  names?: readonly string[];
}

/** A model whose forward takes HWC [0, 1] images and returns detections per image (e.g. FasterRCNN). */
export type DetectionModel = Module<tf.Tensor | tf.Tensor[], Detection[]>;

/** A {@link DetectionModel} with a non-blocking forward (e.g. FasterRCNN's `forwardAsync`). */
export type AsyncDetectionModel = DetectionModel & { forwardAsync(images: tf.Tensor | tf.Tensor[]): Promise<Detection[]> };

/** Validated options of detect / detectAsync. */
function detectOptions(opts: DetectOptions): { thr: number; names: readonly string[] } {
  const thr = opts.scoreThreshold ?? 0.5;
  if (!(thr >= 0 && thr <= 1)) throw new Error(`detect: scoreThreshold must be in [0, 1], got ${thr}`);
  return { thr, names: opts.names ?? COCO_CATEGORY_NAMES };
}

/** The image as an HWC float32 tensor in [0, 1]: `image` itself when it is one, else a new tensor. */
function imageTensor(image: ImageU8 | tf.Tensor3D): tf.Tensor3D {
  if (image instanceof tf.Tensor) {
    if (image.rank !== 3 || image.shape[2] !== 3) throw new Error(`detect: expected an HWC tensor [H, W, 3], got [${image.shape.join(', ')}]`);
    if (image.shape[0] < 1 || image.shape[1] < 1) throw new Error(`detect: the image is empty ([${image.shape.join(', ')}])`);
    return image;
  }
  if (image?.channels !== 3) throw new Error(`detect: expected an RGB image (3 channels), got ${image?.channels}`);
  const { width, height } = image;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1)) {
    throw new Error(`detect: the image is empty or has a bad size (width ${width}, height ${height})`);
  }
  if (image.data?.length !== width * height * 3) {
    throw new Error(`detect: image data holds ${image.data?.length} bytes; a ${width}×${height} RGB image needs ${width * height * 3}`);
  }
  const f = new Float32Array(image.data.length);
  for (let i = 0; i < f.length; i++) f[i] = image.data[i] / 255;
  return tf.tensor3d(f, [image.height, image.width, 3]);
}

/** Detections with score >= thr as named objects, highest score first. */
function detectedObjects(d: Detection, thr: number, names: readonly string[]): DetectedObject[] {
  const out: DetectedObject[] = [];
  for (let i = 0; i < d.scores.length; i++) {
    if (!(d.scores[i] >= thr)) continue;
    const b = d.boxes.subarray(i * 4, i * 4 + 4);
    out.push({ box: [b[0], b[1], b[2], b[3]], label: d.labels[i], name: names[d.labels[i]] ?? `class ${d.labels[i]}`, score: d.scores[i] });
  }
  return out.sort((a, b) => b.score - a.score);
}

/**
 * Detects objects in one image with a Faster R-CNN-style model (put it in eval mode first),
 * synchronously (`model.call`): on `simd` and `cpu`; on webgl, or in a page, use
 * {@link detectAsync}, since the synchronous path reads the GPU with blocking dataSync calls.
 * - `image` as ImageU8 (RGB, HWC uint8): converted to float32 pixel / 255 (the model's own
 *   transform normalizes and resizes, as torchvision's detection models expect [0, 1] input).
 * - `image` as tf.Tensor3D [H, W, 3] float32 in [0, 1]: used as it is (not disposed).
 * Returns the detections with score >= scoreThreshold, highest score first, boxes in the image's
 * pixels.
 * @throws for a non-RGB, empty or short image (data length ≠ width·height·3) or a scoreThreshold
 *   outside [0, 1].
 */
export function detect(model: DetectionModel, image: ImageU8 | tf.Tensor3D, opts: DetectOptions = {}): DetectedObject[] {
  const { thr, names } = detectOptions(opts);
  const x = imageTensor(image);
  let d: Detection;
  try {
    [d] = model.call([x]);
  } finally {
    if (x !== image) x.dispose();
  }
  return detectedObjects(d, thr, names);
}

/**
 * {@link detect} without blocking the thread: runs `model.forwardAsync` (FasterRCNN's: every GPU
 * read is an `await data()`), or `model.call` for a model that has none. Same inputs, same
 * result. The one to use in browsers and on webgl, and what `simdnet detect` runs.
 * @throws (rejects) as {@link detect}; the input checks run before the model.
 */
export async function detectAsync(model: DetectionModel | AsyncDetectionModel, image: ImageU8 | tf.Tensor3D,
    opts: DetectOptions = {}): Promise<DetectedObject[]> {
  const { thr, names } = detectOptions(opts);
  const x = imageTensor(image);
  let d: Detection;
  try {
    const m = model as Partial<AsyncDetectionModel>;
    [d] = typeof m.forwardAsync === 'function' ? await m.forwardAsync([x]) : model.call([x]);
  } finally {
    if (x !== image) x.dispose();
  }
  return detectedObjects(d, thr, names);
}

// 5×7 bitmap font: 7 rows per glyph, bit 4 = leftmost column. Letters are drawn upper-case.
const GLYPHS: Record<string, number[]> = {
  ' ': [0, 0, 0, 0, 0, 0, 0],
  '0': [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e], '1': [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
  '2': [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f], '3': [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
  '4': [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02], '5': [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
  '6': [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e], '7': [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
  '8': [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e], '9': [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
  A: [0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11], B: [0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e],
  C: [0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e], D: [0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c],
  E: [0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f], F: [0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10],
  G: [0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f], H: [0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11],
  I: [0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e], J: [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c],
  K: [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11], L: [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f],
  M: [0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11], N: [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
  O: [0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e], P: [0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10],
  Q: [0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d], R: [0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11],
  S: [0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e], T: [0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
  U: [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e], V: [0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04],
  W: [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a], X: [0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11],
  Y: [0x11, 0x11, 0x11, 0x0a, 0x04, 0x04, 0x04], Z: [0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f],
  '.': [0, 0, 0, 0, 0, 0x0c, 0x0c], '-': [0, 0, 0, 0x1f, 0, 0, 0], '_': [0, 0, 0, 0, 0, 0, 0x1f],
  '/': [0, 0x01, 0x02, 0x04, 0x08, 0x10, 0], ':': [0, 0x0c, 0x0c, 0, 0x0c, 0x0c, 0],
  '%': [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03], '(': [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
  ')': [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08], '?': [0x0e, 0x11, 0x01, 0x02, 0x04, 0, 0x04],
};

/** Width in pixels of `text` drawn by {@link drawText} at `scale` (6 columns per character, incl. spacing). */
export function textWidth(text: string, scale = 1): number {
  return Math.max(0, text.length * 6 - 1) * scale;
}

/**
 * Draws `text` (upper-cased; characters outside A–Z, 0–9, space and . - _ / : % ( ) ? as '?') into an
 * RGB buffer [height, width, 3] at (x, y) = top-left, each font pixel a scale×scale square; pixels
 * outside the image are skipped.
 */
export function drawText(data: Uint8Array, width: number, height: number, text: string, x: number, y: number,
    rgb: readonly [number, number, number], scale = 1): void {
  let cx = Math.round(x);
  const y0 = Math.round(y);
  for (const ch of text.toUpperCase()) {
    const g = GLYPHS[ch] ?? GLYPHS['?'];
    for (let r = 0; r < 7; r++) {
      for (let c = 0; c < 5; c++) {
        if (!((g[r] >> (4 - c)) & 1)) continue;
        fillRect(data, width, height, cx + c * scale, y0 + r * scale, scale, scale, rgb);
      }
    }
    cx += 6 * scale;
  }
}

function fillRect(data: Uint8Array, width: number, height: number, x: number, y: number, w: number, h: number,
    rgb: readonly [number, number, number]): void {
  const x0 = Math.max(0, Math.floor(x)), x1 = Math.min(width, Math.floor(x + w));
  const y0 = Math.max(0, Math.floor(y)), y1 = Math.min(height, Math.floor(y + h));
  for (let yy = y0; yy < y1; yy++) {
    for (let xx = x0; xx < x1; xx++) {
      const p = (yy * width + xx) * 3;
      data[p] = rgb[0]; data[p + 1] = rgb[1]; data[p + 2] = rgb[2];
    }
  }
}

/** Distinct box colours, cycled by label index. */
const BOX_COLOURS: readonly [number, number, number][] = [
  [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180],
  [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [170, 110, 40],
];

/** Options of {@link drawBoxesPng}. */
export interface DrawBoxesOptions {
  /** Names by label index, used when a detection has no `name` (default {@link COCO_CATEGORY_NAMES}). */
  names?: readonly string[];
  /** Rectangle line width in pixels (default max(1, round(min(w, h) / 200))). */
  lineWidth?: number;
  /** Font pixel size (default max(1, round(min(w, h) / 300))). */
  fontScale?: number;
}

/**
 * PNG bytes of `image` with one rectangle per detection (colour by label) and a filled label tag
 * "name score" (score with 2 decimals) above the box's top-left corner (inside it when there is
 * no room above; moved left when it would run past the right edge). `detections`: {@link DetectedObject}s or a raw {@link Detection} (boxes [N, 4]
 * in image pixels). Grey (1-channel) and RGBA images are drawn on as RGB.
 * @throws for an image that is not 1, 3 or 4 channels or a Detection with inconsistent lengths.
 */
export function drawBoxesPng(image: ImageU8, detections: readonly DetectedObject[] | Detection, opts: DrawBoxesOptions = {}): Uint8Array {
  const { width, height, channels } = image;
  if (![1, 3, 4].includes(channels) || image.data.length !== width * height * channels) {
    throw new Error(`drawBoxesPng: expected a ${width}x${height} image with 1, 3 or 4 channels, got ${channels} channels and ${image.data.length} bytes`);
  }
  const names = opts.names ?? COCO_CATEGORY_NAMES;
  let objs: DetectedObject[];
  if (Array.isArray(detections)) {
    objs = detections as DetectedObject[];
  } else {
    const d = detections as Detection;
    if (d.boxes.length !== d.scores.length * 4 || d.labels.length !== d.scores.length) {
      throw new Error(`drawBoxesPng: detection with ${d.boxes.length / 4} boxes, ${d.scores.length} scores, ${d.labels.length} labels`);
    }
    objs = Array.from(d.scores, (score, i) => ({
      box: [d.boxes[i * 4], d.boxes[i * 4 + 1], d.boxes[i * 4 + 2], d.boxes[i * 4 + 3]] as [number, number, number, number],
      label: d.labels[i], name: names[d.labels[i]] ?? `class ${d.labels[i]}`, score,
    }));
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = image.data[i * channels + (channels === 1 ? 0 : c)];
  }
  const lw = opts.lineWidth ?? Math.max(1, Math.round(Math.min(width, height) / 200));
  const fs = opts.fontScale ?? Math.max(1, Math.round(Math.min(width, height) / 300));
  // lowest score first, so the best boxes end up on top
  for (const o of [...objs].sort((a, b) => a.score - b.score)) {
    const colour = BOX_COLOURS[((o.label % BOX_COLOURS.length) + BOX_COLOURS.length) % BOX_COLOURS.length];
    const [x1, y1, x2, y2] = o.box.map((v) => Math.round(v));
    fillRect(rgb, width, height, x1, y1, x2 - x1 + 1, lw, colour);
    fillRect(rgb, width, height, x1, y2 - lw + 1, x2 - x1 + 1, lw, colour);
    fillRect(rgb, width, height, x1, y1, lw, y2 - y1 + 1, colour);
    fillRect(rgb, width, height, x2 - lw + 1, y1, lw, y2 - y1 + 1, colour);
    const text = `${o.name || names[o.label] || `class ${o.label}`} ${o.score.toFixed(2)}`;
    const th = 7 * fs + 2, tw = textWidth(text, fs) + 2;
    const ty = y1 - th >= 0 ? y1 - th : y1;
    const tx = Math.max(0, Math.min(x1, width - tw));  // keep the tag inside the image when it can be
    fillRect(rgb, width, height, tx, ty, tw, th, colour);
    const dark = colour[0] * 0.299 + colour[1] * 0.587 + colour[2] * 0.114 > 150;
    drawText(rgb, width, height, text, tx + 1, ty + 1, dark ? [0, 0, 0] : [255, 255, 255], fs);
  }
  return encodePng(width, height, rgb);
}
