/**
 * A didactic R-CNN → SPP-net → Fast R-CNN pipeline: the history of region-based detection, runnable
 * with any classifier of the zoo (src/models) or a hand-built one.
 *
 * R-CNN (Girshick et al., "Rich feature hierarchies for accurate object detection and semantic
 * segmentation", CVPR 2014), `rcnnDetect`:
 *   1. region proposals: `slidingWindowProposals` (multi-scale sliding windows: scales × aspect
 *      ratios × a stride relative to the window size, the default) or `greedyMergeProposals` (a
 *      simplified selective search: hierarchical greedy merging of grid cells by colour, size and
 *      fill similarity, every merged region's bounding box a proposal);
 *   2. each proposal is dilated so that, once warped, it has `contextPadding` pixels of image
 *      context on every side (the paper's p = 16 at 227 × 227), then warped anisotropically to a
 *      fixed size by bilinear sampling (`warpRegions`, one batched `tf.image.cropAndResize` per
 *      chunk, on every backend); samples outside the image get `fill` (the paper fills with the
 *      image mean, i.e. 0 after mean subtraction);
 *   3. a CNN classifier maps every warp to K + 1 class logits (class 0 = background);
 *   4. softmax scores (the paper's fine-tuned softmax variant; it also trains per-class linear
 *      SVMs, and regresses boxes, neither of which is done here), then per class: score
 *      threshold and greedy NMS (`detectionsFromScores`).
 *
 * SPP-net (He et al., "Spatial Pyramid Pooling in Deep Convolutional Networks for Visual
 * Recognition", ECCV 2014), `sppNetDetect`: the convolutional features are computed once for the
 * whole image; each proposal's window on the feature map is max-pooled into a spatial pyramid of
 * l × l bins (default {1, 2, 3, 6}, the paper's detection pyramid), flattened in PyTorch's order
 * (`roiSpatialPyramidPool`) and classified by a fully connected head. One backbone pass instead of
 * one per proposal. Fast R-CNN's RoI pooling layer (Girshick, ICCV 2015) is the single-level case
 * (levels = [7]): the same call with `levels: [7]`.
 *
 * Boxes: Float32Array [K, 4] (x1, y1, x2, y2) in input-image pixels, pixel-edge coordinates
 * (pixel j spans [j, j + 1)). Images: NHWC [1, H, W, C] (or [H, W, C]), one image per call.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchedNms } from './boxes.js';
import { roiPool } from '../ops/roi.js';
import { flattenPyramid, sppLevels } from '../ops/adaptive_max_pool.js';

/** A classifier or network stage: a Module (anything with `forward`) or a plain function. */
export type Net = { forward(x: tf.Tensor): tf.Tensor } | ((x: tf.Tensor) => tf.Tensor);

/** Detections of one image, by score descending. */
export interface Detections {
  /** Float32Array [D, 4] (x1, y1, x2, y2) pixels: the proposals that were kept. */
  boxes: Float32Array;
  /** Int32Array [D]: class index >= 1 (0 is background and never reported). */
  labels: Int32Array;
  /** Float32Array [D]: softmax probability of that class. */
  scores: Float32Array;
}

function callNet(net: Net, x: tf.Tensor): tf.Tensor {
  return typeof net === 'function' ? net(x) : net.forward(x);
}

// ---- proposals ----------------------------------------------------------------------------------

/** Options of `slidingWindowProposals`. */
export interface SlidingWindowOptions {
  /** Window sizes in pixels: √(area) of each window. Default [32, 64, 128]. */
  scales?: number[];
  /** Height / width ratios. Default [0.5, 1, 2]. */
  aspectRatios?: number[];
  /** Step between windows as a fraction of the window's width / height. Default 0.25. */
  strideFraction?: number;
}

/**
 * Multi-scale sliding-window proposals for an image of imageSize = [H, W] pixels. For every scale
 * s and aspect ratio r (height / width) the window is w = s / √r, h = s·√r (the AnchorGenerator
 * convention), shrunk to the image if larger; it slides with steps max(1, round(fraction · w))
 * and max(1, round(fraction · h)) from the top-left corner, plus one last position flush with the
 * right / bottom border, so the whole image is covered. Order: scale, ratio, row, column.
 * Duplicate windows (equal corners) are emitted once. Returns Float32Array [K, 4] pixels
 * (integer corners: windows are rounded to whole pixels).
 * This replaces R-CNN's selective search (about 2,000 class-independent regions from a
 * hierarchical grouping of superpixels) by the exhaustive, data-independent baseline.
 * @throws for a bad image size, scales or ratios <= 0, or a fraction outside (0, 1].
 */
export function slidingWindowProposals(imageSize: [number, number], options: SlidingWindowOptions = {}): Float32Array {
  const [H, W] = imageSize ?? [];
  if (!(Number.isInteger(H) && Number.isInteger(W) && H >= 1 && W >= 1)) {
    throw new Error(`slidingWindowProposals: imageSize must be [H, W] integers >= 1, got ${JSON.stringify(imageSize)}`);
  }
  const scales = options.scales ?? [32, 64, 128];
  const ratios = options.aspectRatios ?? [0.5, 1, 2];
  const frac = options.strideFraction ?? 0.25;
  for (const v of [...scales, ...ratios]) {
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`slidingWindowProposals: scales and aspect ratios must be finite numbers > 0, got ${v}`);
  }
  if (!(frac > 0 && frac <= 1)) throw new Error(`slidingWindowProposals: strideFraction must be in (0, 1], got ${frac}`);
  const out: number[] = [];
  const seen = new Set<string>();
  const positions = (size: number, extent: number, step: number) => {
    const p: number[] = [];
    for (let v = 0; v + size <= extent; v += step) p.push(v);
    if (p[p.length - 1] !== extent - size) p.push(extent - size);
    return p;
  };
  for (const s of scales) {
    for (const r of ratios) {
      const w = Math.min(W, Math.max(1, Math.round(s / Math.sqrt(r))));
      const h = Math.min(H, Math.max(1, Math.round(s * Math.sqrt(r))));
      const xs = positions(w, W, Math.max(1, Math.round(frac * w)));
      const ys = positions(h, H, Math.max(1, Math.round(frac * h)));
      for (const y of ys) {
        for (const x of xs) {
          const key = `${x},${y},${w},${h}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push(x, y, x + w, y + h);
        }
      }
    }
  }
  return Float32Array.from(out);
}

/** Options of `greedyMergeProposals`. */
export interface GreedyMergeOptions {
  /** Side of the initial square regions in pixels. Default 8. */
  cellSize?: number;
  /**
   * Colour distance (Euclidean, in image units) at which colour similarity reaches 0:
   * sim = max(0, 1 − ‖μa − μb‖ / colorScale). Default 0.5 (images in [0, 1]).
   */
  colorScale?: number;
}

/**
 * Selective-search-like proposals (after Uijlings et al., "Selective Search for Object
 * Recognition", IJCV 2013, as used by R-CNN), simplified: the initial regions are the cells of a
 * `cellSize` grid (not Felzenszwalb–Huttenlocher segments), described by their mean colour; the
 * two adjacent regions with the highest similarity = colour (1 − distance / colorScale, clamped
 * at 0) + size (1 − (|a| + |b|) / |image|) + fill (1 − (|bbox(a ∪ b)| − |a| − |b|) / |image|) are
 * merged, repeatedly, until one region is left (one strategy, one colour space, no texture term).
 * Every merged region's bounding box is a proposal: small, uniform regions first, then larger
 * ones. image [1, H, W, C] or [H, W, C] (read back to JS: this is a CPU algorithm). Returns
 * Float32Array [K, 4] pixels, duplicates removed, in merge order.
 * @throws for a bad image or cellSize.
 */
export function greedyMergeProposals(image: tf.Tensor, options: GreedyMergeOptions = {}): Float32Array {
  const cs = options.cellSize ?? 8;
  const scale = options.colorScale ?? 0.5;
  if (!(Number.isInteger(cs) && cs >= 1)) throw new Error(`greedyMergeProposals: cellSize must be an integer >= 1, got ${cs}`);
  if (!(scale > 0)) throw new Error(`greedyMergeProposals: colorScale must be > 0, got ${scale}`);
  const img = oneImage('greedyMergeProposals', image);
  const [, H, W, C] = img.shape;
  const px = img.dataSync();
  if (img !== image) img.dispose();
  const gh = Math.ceil(H / cs), gw = Math.ceil(W / cs), n0 = gh * gw;
  const total = H * W;
  // regions: mean colour, pixel count, bbox; up to 2·n0 − 1 of them (cells, then merges)
  const cap = 2 * n0;
  const mean = new Float64Array(cap * C), size = new Float64Array(cap), box = new Float64Array(cap * 4);
  const alive = new Uint8Array(cap);
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      const r = gy * gw + gx;
      const x1 = gx * cs, y1 = gy * cs, x2 = Math.min(W, x1 + cs), y2 = Math.min(H, y1 + cs);
      for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) for (let c = 0; c < C; c++) mean[r * C + c] += px[(y * W + x) * C + c];
      size[r] = (x2 - x1) * (y2 - y1);
      for (let c = 0; c < C; c++) mean[r * C + c] /= size[r];
      box.set([x1, y1, x2, y2], r * 4);
      alive[r] = 1;
    }
  }
  const neighbours: Set<number>[] = Array.from({ length: cap }, () => new Set<number>());
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      const r = gy * gw + gx;
      if (gx + 1 < gw) { neighbours[r].add(r + 1); neighbours[r + 1].add(r); }
      if (gy + 1 < gh) { neighbours[r].add(r + gw); neighbours[r + gw].add(r); }
    }
  }
  const similarity = (a: number, b: number) => {
    let d = 0;
    for (let c = 0; c < C; c++) d += (mean[a * C + c] - mean[b * C + c]) ** 2;
    const bw = Math.max(box[a * 4 + 2], box[b * 4 + 2]) - Math.min(box[a * 4], box[b * 4]);
    const bh = Math.max(box[a * 4 + 3], box[b * 4 + 3]) - Math.min(box[a * 4 + 1], box[b * 4 + 1]);
    return Math.max(0, 1 - Math.sqrt(d) / scale) + (1 - (size[a] + size[b]) / total) + (1 - (bw * bh - size[a] - size[b]) / total);
  };
  // candidate pairs (a < b), rescanned for the best one per merge (regions: a few thousand at most)
  let pa: number[] = [], pb: number[] = [], ps: number[] = [];
  for (let a = 0; a < n0; a++) for (const b of neighbours[a]) if (a < b) { pa.push(a); pb.push(b); ps.push(similarity(a, b)); }
  const out: number[] = [];
  const seen = new Set<string>();
  let next = n0;
  while (pa.length > 0) {
    let best = 0;
    for (let i = 1; i < ps.length; i++) if (ps[i] > ps[best]) best = i;
    const a = pa[best], b = pb[best], r = next++;
    size[r] = size[a] + size[b];
    for (let c = 0; c < C; c++) mean[r * C + c] = (mean[a * C + c] * size[a] + mean[b * C + c] * size[b]) / size[r];
    box.set([Math.min(box[a * 4], box[b * 4]), Math.min(box[a * 4 + 1], box[b * 4 + 1]),
      Math.max(box[a * 4 + 2], box[b * 4 + 2]), Math.max(box[a * 4 + 3], box[b * 4 + 3])], r * 4);
    alive[a] = 0; alive[b] = 0; alive[r] = 1;
    for (const m of [a, b]) {
      for (const q of neighbours[m]) {
        neighbours[q].delete(m);
        if (q !== a && q !== b) { neighbours[q].add(r); neighbours[r].add(q); }
      }
    }
    const key = Array.from(box.subarray(r * 4, r * 4 + 4)).join(',');
    if (!seen.has(key)) { seen.add(key); out.push(...box.subarray(r * 4, r * 4 + 4)); }
    const na: number[] = [], nb: number[] = [], ns: number[] = [];
    for (let i = 0; i < pa.length; i++) {
      if (alive[pa[i]] && alive[pb[i]]) { na.push(pa[i]); nb.push(pb[i]); ns.push(ps[i]); }
    }
    for (const q of neighbours[r]) { na.push(q); nb.push(r); ns.push(similarity(q, r)); }
    pa = na; pb = nb; ps = ns;
  }
  return Float32Array.from(out);
}

/** Throws unless every box is finite with x2 > x1 and y2 > y1; returns K. */
function checkBoxes(op: string, boxes: ArrayLike<number>): number {
  if (boxes == null || typeof boxes.length !== 'number' || boxes.length % 4 !== 0) {
    throw new Error(`${op}: proposals must be a flat array of K*4 values (x1, y1, x2, y2), got length ${boxes?.length}`);
  }
  const k = boxes.length / 4;
  for (let i = 0; i < k; i++) {
    const x1 = boxes[i * 4], y1 = boxes[i * 4 + 1], x2 = boxes[i * 4 + 2], y2 = boxes[i * 4 + 3];
    if (![x1, y1, x2, y2].every(Number.isFinite) || !(x2 > x1 && y2 > y1)) {
      throw new Error(`${op}: proposal ${i} is degenerate: (x1, y1, x2, y2) = (${x1}, ${y1}, ${x2}, ${y2}); needs finite corners with x2 > x1 and y2 > y1`);
    }
  }
  return k;
}

/** [1, H, W, C] from [1, H, W, C] or [H, W, C]; throws otherwise. */
function oneImage(op: string, image: tf.Tensor): tf.Tensor4D {
  if (!(image instanceof tf.Tensor)) throw new Error(`${op}: image must be a tf.Tensor`);
  if (image.rank === 3) return tf.expandDims(image, 0) as tf.Tensor4D;
  if (image.rank !== 4 || image.shape[0] !== 1) {
    throw new Error(`${op}: image must be NHWC [1, H, W, C] or [H, W, C], got shape [${image.shape.join(', ')}]`);
  }
  return image as tf.Tensor4D;
}

// ---- R-CNN --------------------------------------------------------------------------------------

/** Options of `warpRegions`. */
export interface WarpOptions {
  /**
   * Pixels of context around the box in the warped output (R-CNN's p; 16 at 227 × 227). The box
   * is dilated by p / (size − 2p) of its width (height) on each side. Default 0; must leave
   * size − 2p >= 1.
   */
  contextPadding?: number;
  /** Value of samples outside the image (tf.image.cropAndResize's extrapolationValue). Default 0. */
  fill?: number;
}

/** Dilates boxes [K, 4] so that, warped to [outH, outW], p pixels of context surround the box. */
export function dilateForContext(boxes: ArrayLike<number>, size: [number, number], p: number): Float32Array {
  const out = new Float32Array(boxes.length);
  const fx = p / (size[1] - 2 * p), fy = p / (size[0] - 2 * p);
  for (let i = 0; i < boxes.length; i += 4) {
    const dx = (boxes[i + 2] - boxes[i]) * fx, dy = (boxes[i + 3] - boxes[i + 1]) * fy;
    out[i] = boxes[i] - dx; out[i + 1] = boxes[i + 1] - dy; out[i + 2] = boxes[i + 2] + dx; out[i + 3] = boxes[i + 3] + dy;
  }
  return out;
}

function size2(v: number | [number, number], op: string): [number, number] {
  const s: [number, number] = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? [v[0], v[1]] : [NaN, NaN];
  if (!s.every((x) => Number.isInteger(x) && x >= 1)) throw new Error(`${op}: size must be an integer >= 1 or [h, w], got ${JSON.stringify(v)}`);
  return s;
}

/**
 * R-CNN's region warping: crops every box [K, 4] (pixels) out of image [1, H, W, C] (or
 * [H, W, C]), optionally dilated for context, and resizes it anisotropically to size [h, w] by
 * bilinear sampling: one `tf.image.cropAndResize` call (any backend). The sampling grid runs from
 * the centre of the box's first pixel to the centre of its last one (the box's x1 and x2 − 1 in
 * pixel-index coordinates, i.e. cropAndResize's normalized x1 / (W − 1), (x2 − 1) / (W − 1); a box
 * under one pixel wide samples the column x1 only), so a box of whole pixels is sampled exactly at
 * its border pixels. Returns [K, h, w, C] float32.
 * @throws for a bad image rank / batch, size, or contextPadding, and for degenerate boxes
 *   (non-finite, x2 <= x1 or y2 <= y1; the message names the proposal index).
 */
export function warpRegions(image: tf.Tensor, boxes: ArrayLike<number>, size: number | [number, number],
    options: WarpOptions = {}): tf.Tensor4D {
  const [oh, ow] = size2(size, 'warpRegions');
  const p = options.contextPadding ?? 0;
  if (!(p >= 0 && 2 * p < Math.min(oh, ow))) {
    throw new Error(`warpRegions: contextPadding must be >= 0 and leave size - 2p >= 1, got ${p} for size [${oh}, ${ow}]`);
  }
  const k = checkBoxes('warpRegions', boxes);
  return tf.tidy(() => {
    const img = oneImage('warpRegions', image);
    const [, H, W, C] = img.shape;
    if (k === 0) return tf.zeros([0, oh, ow, C]) as tf.Tensor4D;
    const b = p > 0 ? dilateForContext(boxes, [oh, ow], p) : boxes;
    const norm = new Float32Array(k * 4);
    const sy = H > 1 ? 1 / (H - 1) : 0, sx = W > 1 ? 1 / (W - 1) : 0;
    for (let i = 0; i < k; i++) {
      norm[i * 4] = b[i * 4 + 1] * sy;            // y1
      norm[i * 4 + 1] = b[i * 4] * sx;            // x1
      norm[i * 4 + 2] = Math.max(b[i * 4 + 3] - 1, b[i * 4 + 1]) * sy;  // y2: centre of the last pixel row
      norm[i * 4 + 3] = Math.max(b[i * 4 + 2] - 1, b[i * 4]) * sx;      // x2 (a box under 1 px: one column)
    }
    const x = img.dtype === 'float32' ? img : tf.cast(img, 'float32');
    return tf.image.cropAndResize(x, tf.tensor2d(norm, [k, 4]), tf.zeros([k], 'int32') as tf.Tensor1D,
      [oh, ow], 'bilinear', options.fill ?? 0);
  });
}

/** Options of `detectionsFromScores`. */
export interface PostprocessOptions {
  /** Keep a (box, class) only when its probability is > this. Default 0.05 (torchvision's box_score_thresh). */
  scoreThresh?: number;
  /** Per-class NMS IoU threshold. Default 0.3 (R-CNN's). */
  nmsThresh?: number;
  /** At most this many detections, best first. Default 100. */
  detectionsPerImage?: number;
}

/**
 * Per-class post-processing of region scores: probs Float32Array [K, numClasses] (class 0 =
 * background), boxes [K, 4] pixels → for every class c >= 1 and box with probs[k, c] >
 * scoreThresh a candidate (box k, label c, score); greedy NMS within each class (`batchedNms`:
 * boxes of different classes never suppress each other); the best `detectionsPerImage` by score.
 * As torchvision's `RoIHeads.postprocess_detections` without box regression / small-box removal.
 * @throws when the lengths disagree or numClasses < 2.
 */
export function detectionsFromScores(boxes: ArrayLike<number>, probs: ArrayLike<number>, numClasses: number,
    options: PostprocessOptions = {}): Detections {
  const k = boxes.length / 4;
  if (!(Number.isInteger(numClasses) && numClasses >= 2)) throw new Error(`detectionsFromScores: numClasses must be >= 2 (background + 1), got ${numClasses}`);
  if (!Number.isInteger(k) || probs.length !== k * numClasses) {
    throw new Error(`detectionsFromScores: ${boxes.length / 4} boxes but ${probs.length} scores for ${numClasses} classes`);
  }
  const thr = options.scoreThresh ?? 0.05;
  const iou = options.nmsThresh ?? 0.3;
  const maxDet = options.detectionsPerImage ?? 100;
  const cb: number[] = [], cs: number[] = [], cl: number[] = [];
  for (let i = 0; i < k; i++) {
    for (let c = 1; c < numClasses; c++) {
      const s = probs[i * numClasses + c];
      if (s > thr) {
        cb.push(boxes[i * 4], boxes[i * 4 + 1], boxes[i * 4 + 2], boxes[i * 4 + 3]);
        cs.push(s);
        cl.push(c);
      }
    }
  }
  const candBoxes = Float32Array.from(cb), candScores = Float32Array.from(cs);
  const keep = batchedNms(candBoxes, candScores, cl, iou).subarray(0, Math.max(0, maxDet));
  const out: Detections = { boxes: new Float32Array(keep.length * 4), labels: new Int32Array(keep.length), scores: new Float32Array(keep.length) };
  keep.forEach((j, t) => {
    out.boxes.set(candBoxes.subarray(j * 4, j * 4 + 4), t * 4);
    out.labels[t] = cl[j];
    out.scores[t] = candScores[j];
  });
  return out;
}

/** Runs `net` on chunks of the proposals and returns the softmax probabilities [K, numClasses]. */
function classifyChunks(op: string, k: number, batchSize: number, logitsOf: (start: number, end: number) => tf.Tensor): { probs: Float32Array; numClasses: number } {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`${op}: batchSize must be an integer >= 1, got ${batchSize}`);
  let probs: Float32Array | null = null;
  let numClasses = 0;
  for (let s = 0; s < k; s += batchSize) {
    const e = Math.min(k, s + batchSize);
    const chunk = tf.tidy(() => {
      const logits = logitsOf(s, e);
      if (logits.rank !== 2 || logits.shape[0] !== e - s || (logits.shape[1] as number) < 2) {
        throw new Error(`${op}: the classifier must return logits [${e - s}, numClasses >= 2] (class 0 = background), got shape [${logits.shape.join(', ')}]`);
      }
      return tf.softmax(logits as tf.Tensor2D);
    });
    try {
      if (probs === null) { numClasses = chunk.shape[1]; probs = new Float32Array(k * numClasses); }
      if (chunk.shape[1] !== numClasses) throw new Error(`${op}: the classifier returned ${chunk.shape[1]} classes, earlier ${numClasses}`);
      probs.set(chunk.dataSync() as Float32Array, s * numClasses);
    } finally {
      chunk.dispose();
    }
  }
  return { probs: probs ?? new Float32Array(0), numClasses };
}

/** Options of `rcnnDetect`. */
export interface RcnnOptions extends PostprocessOptions {
  /** The classifier: warps [B, h, w, C] → logits [B, numClasses] (class 0 = background). */
  classifier: Net;
  /** Proposals [K, 4] pixels. Default: slidingWindowProposals(image size, `proposals`). */
  boxes?: ArrayLike<number>;
  /** Options of the default sliding-window proposals. */
  proposals?: SlidingWindowOptions;
  /** Warp size [h, w] (or one number). Default 227 (R-CNN's, AlexNet's input). */
  warpSize?: number | [number, number];
  /** Context padding in warped pixels (R-CNN's p). Default: round(16 · min(h, w) / 227), 16 at 227. */
  contextPadding?: number;
  /** Fill value outside the image. Default 0. */
  fill?: number;
  /** Applied to each batch of warps before the classifier (e.g. mean/std normalisation). */
  preprocess?: (warps: tf.Tensor4D) => tf.Tensor;
  /** Warps classified per batch (bounds memory). Default 64. */
  batchSize?: number;
}

/**
 * R-CNN detection of one image (see the module doc): proposals → context-dilated bilinear warps
 * → classifier → softmax → per-class threshold and NMS. image [1, H, W, C] or [H, W, C] (what the
 * classifier expects: e.g. normalised RGB). No proposals give empty detections.
 * Returns `Detections` (boxes are the undilated proposals). No tensors are left behind.
 * @throws for a bad image, degenerate proposals (index named), bad sizes, or a classifier
 *   output that is not [B, numClasses >= 2].
 */
export function rcnnDetect(image: tf.Tensor, options: RcnnOptions): Detections {
  if (options == null || options.classifier == null) throw new Error('rcnnDetect: options.classifier is required');
  const img = oneImage('rcnnDetect', image);
  try {
    const [, H, W] = img.shape;
    const boxes = options.boxes ?? slidingWindowProposals([H, W], options.proposals);
    const k = checkBoxes('rcnnDetect', boxes);
    const size = size2(options.warpSize ?? 227, 'rcnnDetect warpSize');
    const p = options.contextPadding ?? Math.round(16 * Math.min(...size) / 227);
    const { probs, numClasses } = classifyChunks('rcnnDetect', k, options.batchSize ?? 64, (s, e) => {
      const warps = warpRegions(img, Array.prototype.slice.call(boxes, s * 4, e * 4), size, { contextPadding: p, fill: options.fill });
      return callNet(options.classifier, options.preprocess ? options.preprocess(warps) : warps);
    });
    if (k === 0) return { boxes: new Float32Array(0), labels: new Int32Array(0), scores: new Float32Array(0) };
    return detectionsFromScores(boxes, probs, numClasses, options);
  } finally {
    if (img !== image) img.dispose();
  }
}

// ---- SPP-net / Fast R-CNN ----------------------------------------------------------------------

/** Options of `roiSpatialPyramidPool`. */
export interface RoiSppOptions {
  /** Pyramid levels (l × l bins each). Default [1, 2, 3, 6] (SPP-net's detection pyramid). */
  levels?: number[];
  /** Feature pixels per image pixel (1 / stride). Default 1. */
  spatialScale?: number;
}

/**
 * Spatial pyramid pooling of every box's window on a feature map: features [1, h, w, C] (NHWC),
 * boxes [K, 4] image pixels → [K, C·Σ l²], per level l `roiPool(features, boxes, {outputSize: l,
 * spatialScale})` (max over l × l bins of the window; torchvision roi_pool's corner rounding and
 * bins, native on simd) flattened in PyTorch's NCHW order, levels concatenated. SPP-net's
 * detection layer; with levels [7], Fast R-CNN's RoI pooling (flattened).
 * @throws as `roiPool` (bad boxes, scale), for bad levels, or features that are not [1, h, w, C].
 */
export function roiSpatialPyramidPool(features: tf.Tensor, boxes: ArrayLike<number>, options: RoiSppOptions = {}): tf.Tensor2D {
  const levels = sppLevels(options.levels ?? [1, 2, 3, 6], 'roiSpatialPyramidPool');
  if (features.rank !== 4 || features.shape[0] !== 1) {
    throw new Error(`roiSpatialPyramidPool: features must be NHWC [1, h, w, C], got shape [${features.shape.join(', ')}]`);
  }
  const k = checkBoxes('roiSpatialPyramidPool', boxes);
  const c = features.shape[3];
  if (k === 0) return tf.zeros([0, (c as number) * levels.reduce((a, l) => a + l * l, 0)]) as tf.Tensor2D;
  const idx = new Int32Array(k);
  return tf.tidy(() => flattenPyramid(levels.map((l) => roiPool(features, boxes, { outputSize: l, spatialScale: options.spatialScale ?? 1, boxIndices: idx }))));
}

/** Options of `sppNetDetect`. */
export interface SppNetOptions extends PostprocessOptions {
  /** Convolutional trunk: image [1, H, W, C] → features [1, h, w, C'], run once. */
  backbone: Net;
  /** Fully connected head: pyramids [B, C'·Σ l²] → logits [B, numClasses] (class 0 = background). */
  head: Net;
  /** Proposals [K, 4] pixels. Default: slidingWindowProposals(image size, `proposals`). */
  boxes?: ArrayLike<number>;
  proposals?: SlidingWindowOptions;
  /** Pyramid levels. Default [1, 2, 3, 6]. [7] = Fast R-CNN's RoI pooling. */
  levels?: number[];
  /** Feature pixels per image pixel. Default: feature width / image width. */
  spatialScale?: number;
  /** Dilate each window by this fraction of its width/height on every side first. Default 0. */
  contextRatio?: number;
  /** Windows per head batch. Default 256. */
  batchSize?: number;
}

/**
 * SPP-net detection of one image (see the module doc): backbone once → per proposal window a
 * spatial pyramid max pooling on the feature map → head → softmax → per-class threshold and NMS.
 * A window [x1, x2) × [y1, y2) of image pixels is pooled over the feature pixels
 * [round(x1·scale), round(x2·scale) − 1] (roi_pool's inclusive end; see the code).
 * image [1, H, W, C] or [H, W, C]. Returns `Detections` (boxes are the undilated proposals).
 * @throws for a bad image, degenerate proposals, a backbone output that is not [1, h, w, C'],
 *   bad levels, or a head output that is not [B, numClasses >= 2].
 */
export function sppNetDetect(image: tf.Tensor, options: SppNetOptions): Detections {
  if (options == null || options.backbone == null || options.head == null) throw new Error('sppNetDetect: options.backbone and options.head are required');
  const img = oneImage('sppNetDetect', image);
  let feats: tf.Tensor | null = null;
  try {
    const [, H, W] = img.shape;
    const boxes = options.boxes ?? slidingWindowProposals([H, W], options.proposals);
    const k = checkBoxes('sppNetDetect', boxes);
    const ratio = options.contextRatio ?? 0;
    if (!(ratio >= 0)) throw new Error(`sppNetDetect: contextRatio must be >= 0, got ${ratio}`);
    const windows = ratio > 0 ? Float32Array.from(boxes, (v, i) => {
      const b = i - (i % 4);
      const ext = i % 2 === 0 ? boxes[b + 2] - boxes[b] : boxes[b + 3] - boxes[b + 1];
      return i % 4 < 2 ? v - ratio * ext : v + ratio * ext;
    }) : boxes;
    if (k === 0) return { boxes: new Float32Array(0), labels: new Int32Array(0), scores: new Float32Array(0) };
    feats = tf.tidy(() => callNet(options.backbone, img));
    if (feats.rank !== 4 || feats.shape[0] !== 1) {
      throw new Error(`sppNetDetect: the backbone must return NHWC features [1, h, w, C], got shape [${feats.shape.join(', ')}]`);
    }
    const scale = options.spatialScale ?? (feats.shape[2] as number) / W;
    if (!(Number.isFinite(scale) && scale > 0)) throw new Error(`sppNetDetect: spatialScale must be a finite number > 0, got ${scale}`);
    // roi_pool counts the end corner as an inclusive feature pixel (size = end − start + 1); a
    // window [x1, x2) of image pixels ends on the feature pixel x2·scale − 1: pass x2 − 1/scale
    // (never below x1), so a window of whole feature pixels is pooled exactly (SPP-net maps
    // window corners the same way: right/bottom = ceil(x·scale) − 1).
    const inclusive = Float32Array.from(windows, (v, i) => (i % 4 < 2 ? v : Math.max(v - 1 / scale, windows[i - 2])));
    const f = feats;
    const { probs, numClasses } = classifyChunks('sppNetDetect', k, options.batchSize ?? 256, (s, e) =>
      callNet(options.head, roiSpatialPyramidPool(f, inclusive.subarray(s * 4, e * 4), { levels: options.levels, spatialScale: scale })));
    return detectionsFromScores(boxes, probs, numClasses, options);
  } finally {
    if (feats != null && feats !== img && feats !== image) feats.dispose();
    if (img !== image) img.dispose();
  }
}
