/**
 * The box branch of torchvision 0.14's Faster R-CNN RoI heads (inference path), with
 * torchvision's state-dict keys (`roi_heads.*` inside Faster R-CNN):
 *
 * - {@link MultiScaleRoIAlign} (torchvision/ops/poolers.py): FPN level per RoI by the FPN paper's
 *   eq. 1 (`LevelMapper`: k0 = 4, canonical size 224, eps 1e-6, levels from the map scales),
 *   `roi_align` 7×7, sampling_ratio 2, aligned=False on that level. No keys.
 * - {@link TwoMLPHead} (faster_rcnn.py): `fc6` (256·7·7 → 1024) and `fc7` (1024 → 1024), ReLU.
 * - {@link FastRCNNPredictor} (faster_rcnn.py): `cls_score` (1024 → classes) and `bbox_pred`
 *   (1024 → 4·classes).
 * - {@link RoIHeads} (roi_heads.py): keys `box_head.*`, `box_predictor.*`; `postprocess_detections`
 *   (softmax, BoxCoder (10, 10, 5, 5) decode, clip, drop background, score threshold, small boxes,
 *   batched NMS per class, top detections) on typed arrays in float32 arithmetic like torch on CPU.
 *
 * Layout: feature maps NHWC [N, h, w, C]; pooled RoIs NHWC [K, 7, 7, C]. torchvision flattens
 * its pooled NCHW [K, 256, 7, 7] in (C, H, W) order before fc6, so the pooled NHWC tensor is
 * transposed to NCHW before flattening ({@link Flatten}), and fc6's PyTorch weight loads as it is.
 * Boxes: (x1, y1, x2, y2) in pixels of the transformed (resized) image.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Flatten, Linear, Module, withSeed } from '../nn/index.js';
import { roiAlign, roiAlignAsync } from '../ops/roi.js';
import { BoxCoder, clipBoxesToImage, removeSmallBoxes } from './boxes.js';
import { batchedNmsTorchvision } from './rpn.js';

const f = Math.fround;

/** Detections of one image: boxes [N, 4] (x1, y1, x2, y2) pixels, scores [N], labels [N] (class index). */
export type Detection = {
  boxes: Float32Array;
  scores: Float32Array;
  labels: Int32Array;
};

/**
 * torchvision's `_infer_scale`: the power of two nearest (in log2, rounded half to even on a
 * float32) to featureSize / imageSize of the first (height) dimension. Returns e.g. 0.25.
 */
export function inferScale(featureSize: number, imageSize: number): number {
  const l = Math.log2(f(featureSize / imageSize));
  const r = Math.round(l);
  return 2 ** (Math.abs(l % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r);
}

/**
 * FPN level of each box by the FPN paper's eq. 1, torchvision's `LevelMapper`:
 * floor(k0 + log2(√area / s0) + eps) clamped to [kMin, kMax], returned minus kMin (so 0 = the
 * first pooled map). boxes [N, 4] pixels; float32 arithmetic as torch. Returns Int32Array [N].
 */
export function mapLevels(boxes: ArrayLike<number>, kMin: number, kMax: number, canonicalScale = 224,
    canonicalLevel = 4, eps = 1e-6): Int32Array {
  if (boxes.length % 4 !== 0) throw new Error(`mapLevels: boxes must hold N*4 values, got length ${boxes.length}`);
  const n = boxes.length / 4;
  const out = new Int32Array(n);
  const s0 = f(canonicalScale), e = f(eps);
  for (let i = 0; i < n; i++) {
    const area = f(f(boxes[i * 4 + 2] - boxes[i * 4]) * f(boxes[i * 4 + 3] - boxes[i * 4 + 1]));
    const s = f(Math.sqrt(area));
    const lvl = Math.floor(f(f(canonicalLevel + f(Math.log2(f(s / s0)))) + e));
    // A zero-area box gives log2(0) = -inf: the first level, as torch. A negative area (an inverted
    // box) gives NaN, which torch casts to an undefined level; here the first level (roiAlign then
    // rejects the inverted box with an error).
    out[i] = (Number.isNaN(lvl) ? kMin : Math.min(Math.max(lvl, kMin), kMax)) - kMin;
  }
  return out;
}

/** {@link MultiScaleRoIAlign}'s pooling plan: RoI count, channels, per-level groups, scales, RoI order. */
interface RoiPlan {
  k: number;
  c: number;
  groups: { level: number; rois: Float32Array; imgIdx: Int32Array }[];
  scales: number[];
  /** Row of each RoI in the level-grouped result; null: one group already in RoI order. */
  inv: Int32Array | null;
}

/** Input of {@link MultiScaleRoIAlign.forward}. */
export interface MultiScaleRoIAlignInput {
  /** The pooled feature maps NHWC [N, h_l, w_l, C], in {@link MultiScaleRoIAlign.featmapNames} order. */
  features: tf.Tensor4D[];
  /** Per image, boxes [K_i, 4] (x1, y1, x2, y2) in image pixels. */
  boxes: ArrayLike<number>[];
  /** Per image, [h, w] of the (resized, unpadded) image: sets the scales. */
  imageShapes: [number, number][];
}

/**
 * torchvision `MultiScaleRoIAlign(featmap_names, output_size, sampling_ratio)` (canonical_scale
 * 224, canonical_level 4). forward: RoIs of all images (image order, then box order) →
 * [K, PH, PW, C] NHWC. Scales per map: {@link inferScale}(h_l, max image height); level range
 * kMin = −log2(scale of the first map), kMax = −log2(scale of the last); each RoI is pooled by
 * `roiAlign` (aligned false) on its {@link mapLevels} level. torchvision caches the scales of its
 * first call; they are recomputed on every call here (the same unless the image sizes change the
 * nearest power of two).
 */
export class MultiScaleRoIAlign extends Module<MultiScaleRoIAlignInput, tf.Tensor4D> {
  readonly featmapNames: string[];
  readonly outputSize: [number, number];
  readonly samplingRatio: number;
  readonly canonicalScale: number;
  readonly canonicalLevel: number;

  /** @throws when outputSize or samplingRatio is not an integer or there are no map names. */
  constructor(featmapNames: string[], outputSize: number | [number, number], samplingRatio: number,
      opts: { canonicalScale?: number; canonicalLevel?: number } = {}) {
    super();
    if (!Array.isArray(featmapNames) || featmapNames.length === 0) throw new Error('MultiScaleRoIAlign: featmapNames must be a non-empty list');
    const os: [number, number] = typeof outputSize === 'number' ? [outputSize, outputSize] : [outputSize[0], outputSize[1]];
    if (!os.every((v) => Number.isInteger(v) && v >= 1)) throw new Error(`MultiScaleRoIAlign: bad outputSize ${JSON.stringify(outputSize)}`);
    if (!Number.isInteger(samplingRatio)) throw new Error(`MultiScaleRoIAlign: samplingRatio must be an integer, got ${samplingRatio}`);
    this.featmapNames = featmapNames.slice();
    this.outputSize = os;
    this.samplingRatio = samplingRatio;
    this.canonicalScale = opts.canonicalScale ?? 224;
    this.canonicalLevel = opts.canonicalLevel ?? 4;
  }

  /** Scales of the maps and the level range for these image shapes (torchvision `_setup_scales`). */
  setupScales(featureHeights: number[], imageShapes: [number, number][]): { scales: number[]; kMin: number; kMax: number } {
    if (imageShapes.length === 0) throw new Error('MultiScaleRoIAlign: images list should not be empty');
    const maxH = Math.max(...imageShapes.map((s) => s[0]));
    const scales = featureHeights.map((h) => inferScale(h, maxH));
    return { scales, kMin: Math.trunc(-Math.log2(scales[0])), kMax: Math.trunc(-Math.log2(scales[scales.length - 1])) };
  }

  /**
   * Validation and the level assignment: all RoIs [K, 4] with their image index, and per level
   * with RoIs the boxes and image indices to pool there; `order` lists the RoIs level by level.
   */
  private plan({ features, boxes, imageShapes }: MultiScaleRoIAlignInput): RoiPlan {
    if (features.length !== this.featmapNames.length) {
      throw new Error(`MultiScaleRoIAlign: ${features.length} feature maps for ${this.featmapNames.length} names (${this.featmapNames.join(', ')})`);
    }
    const n = features[0].shape[0], c = features[0].shape[3];
    if (boxes.length !== n || imageShapes.length !== n) {
      throw new Error(`MultiScaleRoIAlign: batch of ${n} but ${boxes.length} box lists and ${imageShapes.length} image shapes`);
    }
    const { scales, kMin, kMax } = this.setupScales(features.map((x) => x.shape[1]), imageShapes);
    let k = 0;
    for (const b of boxes) {
      if (b.length % 4 !== 0) throw new Error(`MultiScaleRoIAlign: a box list has length ${b.length}, not a multiple of 4`);
      k += b.length / 4;
    }
    const all = new Float32Array(k * 4), img = new Int32Array(k);
    let o = 0;
    boxes.forEach((b, i) => { all.set(b, o * 4); img.fill(i, o, o + b.length / 4); o += b.length / 4; });
    if (k === 0 || features.length === 1) return { k, c, groups: k === 0 ? [] : [{ level: 0, rois: all, imgIdx: img }], scales, inv: null };
    const levels = mapLevels(all, kMin, kMax, this.canonicalScale, this.canonicalLevel);
    const groups: RoiPlan['groups'] = [];
    const order: number[] = [];
    features.forEach((_, l) => {
      const idx: number[] = [];
      for (let i = 0; i < k; i++) if (levels[i] === l) idx.push(i);
      if (idx.length === 0) return;
      const rois = new Float32Array(idx.length * 4), imgIdx = new Int32Array(idx.length);
      idx.forEach((i, j) => { rois.set(all.subarray(i * 4, i * 4 + 4), j * 4); imgIdx[j] = img[i]; });
      groups.push({ level: l, rois, imgIdx });
      order.push(...idx);
    });
    // rows are grouped by level: inv puts them back in RoI order
    const inv = new Int32Array(k);
    order.forEach((i, j) => { inv[i] = j; });
    return { k, c, groups, scales, inv };
  }

  /** roiAlign options of one level group. */
  private roiOptions(plan: RoiPlan, g: RoiPlan['groups'][number]) {
    return { outputSize: this.outputSize, samplingRatio: this.samplingRatio, aligned: false, spatialScale: plan.scales[g.level], boxIndices: g.imgIdx };
  }

  /** Level groups (in level order) back to one [K, PH, PW, C] tensor in RoI order (new tensor). */
  private assemble(parts: tf.Tensor4D[], inv: Int32Array): tf.Tensor4D {
    return tf.tidy(() => {
      const cat = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
      return tf.gather(cat, tf.tensor1d(inv, 'int32'), 0) as tf.Tensor4D;
    });
  }

  /** @throws when the number of maps differs from featmapNames, or boxes / imageShapes differ in count from the batch. */
  forward(input: MultiScaleRoIAlignInput): tf.Tensor4D {
    const plan = this.plan(input);
    const [ph, pw] = this.outputSize;
    if (plan.k === 0) return tf.zeros([0, ph, pw, plan.c]);
    const parts = plan.groups.map((g) => roiAlign(input.features[g.level], g.rois, this.roiOptions(plan, g)));
    if (plan.inv == null) return parts[0];
    try {
      return this.assemble(parts, plan.inv);
    } finally {
      tf.dispose(parts);
    }
  }

  /**
   * {@link forward} without blocking downloads ({@link roiAlignAsync}: off `simd` the maps are read
   * with `await data()`, not dataSync), for GPU backends and async pipelines. Same result; the
   * caller owns it; nothing else is left, also when it rejects.
   * @throws (rejects) as {@link forward}.
   */
  async forwardAsync(input: MultiScaleRoIAlignInput): Promise<tf.Tensor4D> {
    const plan = this.plan(input);
    const [ph, pw] = this.outputSize;
    if (plan.k === 0) return tf.zeros([0, ph, pw, plan.c]);
    const parts: tf.Tensor4D[] = [];
    try {
      for (const g of plan.groups) parts.push(await roiAlignAsync(input.features[g.level], g.rois, this.roiOptions(plan, g)));
      if (plan.inv == null) return parts.pop()!;
      return this.assemble(parts, plan.inv);
    } finally {
      tf.dispose(parts);
    }
  }

  override extraRepr(): string {
    return `featmap_names=[${this.featmapNames.map((s) => `'${s}'`).join(', ')}], output_size=(${this.outputSize.join(', ')}), sampling_ratio=${this.samplingRatio}`;
  }
}

/**
 * torchvision `TwoMLPHead(in_channels, representation_size)`: pooled RoIs NHWC [K, 7, 7, 256] →
 * flatten in PyTorch's (C, H, W) order → relu(fc6) → relu(fc7) → [K, representation_size].
 * Keys `fc6.weight` [1024, 12544], `fc6.bias`, `fc7.weight` [1024, 1024], `fc7.bias`.
 */
export class TwoMLPHead extends Module {
  fc6: Linear;
  fc7: Linear;
  private readonly _flatten = new Flatten();

  constructor(inChannels: number, representationSize: number, opts: { seed?: number } = {}) {
    super();
    [this.fc6, this.fc7] = withSeed(opts.seed, () => [new Linear(inChannels, representationSize), new Linear(representationSize, representationSize)]);
  }

  /** x: NHWC [K, h, w, C] with h·w·C = inFeatures of fc6 (or already flat [K, C·h·w] in PyTorch order). */
  forward(x: tf.Tensor): tf.Tensor2D {
    const flat = x.rank === 4 ? this._flatten.forward(x) : x;
    return tf.relu(this.fc7.forward(tf.relu(this.fc6.forward(flat)))) as tf.Tensor2D;
  }
}

/** What {@link FastRCNNPredictor.forward} returns: class logits [K, classes], box codes [K, 4·classes]. */
export type BoxPredictions = { classLogits: tf.Tensor2D; boxRegression: tf.Tensor2D };

/**
 * torchvision `FastRCNNPredictor(in_channels, num_classes)`: `cls_score` (Linear in → classes)
 * and `bbox_pred` (Linear in → 4·classes; codes of class j in columns 4j..4j+3).
 */
export class FastRCNNPredictor extends Module<tf.Tensor, BoxPredictions> {
  cls_score: Linear;
  bbox_pred: Linear;

  constructor(inChannels: number, numClasses: number, opts: { seed?: number } = {}) {
    super();
    if (!Number.isInteger(numClasses) || numClasses < 2) throw new Error(`FastRCNNPredictor: numClasses must be an integer >= 2 (background included), got ${numClasses}`);
    [this.cls_score, this.bbox_pred] = withSeed(opts.seed, () => [new Linear(inChannels, numClasses), new Linear(inChannels, numClasses * 4)]);
  }

  /** x [K, in] (rank 4 inputs are flattened from dim 1, as torchvision) → {classLogits, boxRegression}. */
  forward(x: tf.Tensor): BoxPredictions {
    const flat = x.rank === 2 ? x : tf.reshape(x, [x.shape[0], -1]);
    return { classLogits: this.cls_score.forward(flat) as tf.Tensor2D, boxRegression: this.bbox_pred.forward(flat) as tf.Tensor2D };
  }
}

/** Inference settings of {@link RoIHeads} (torchvision's fasterrcnn_resnet50_fpn defaults). */
export interface RoIHeadsOptions {
  /** Detections with score <= this are dropped (box_score_thresh, 0.05). */
  scoreThresh?: number;
  /** IoU threshold of the per-class NMS (box_nms_thresh, 0.5). */
  nmsThresh?: number;
  /** Detections kept per image (box_detections_per_img, 100). */
  detectionsPerImg?: number;
  /** BoxCoder weights (bbox_reg_weights, (10, 10, 5, 5)). */
  bboxRegWeights?: [number, number, number, number];
}

/** Input of {@link RoIHeads.forward}: FPN maps for the pooler, proposals and image shapes per image. */
export interface RoIHeadsInput {
  /** NHWC maps in `box_roi_pool.featmapNames` order. */
  features: tf.Tensor4D[];
  /** Per image, proposals [P_i, 4] (x1, y1, x2, y2) pixels. */
  proposals: ArrayLike<number>[];
  /** Per image, [h, w] of the resized image (clipping bounds, pooler scales). */
  imageShapes: [number, number][];
}

/**
 * torchvision `RoIHeads` box branch (eval): `box_roi_pool` ({@link MultiScaleRoIAlign}),
 * `box_head` ({@link TwoMLPHead}), `box_predictor` ({@link FastRCNNPredictor}); state-dict keys
 * `box_head.fc6.*`, `box_head.fc7.*`, `box_predictor.cls_score.*`, `box_predictor.bbox_pred.*`.
 * forward: the raw class logits and box codes for all proposals (image-major);
 * {@link postprocessDetections} turns them into detections; {@link detect} does both.
 */
export class RoIHeads extends Module<RoIHeadsInput, BoxPredictions> {
  box_roi_pool: MultiScaleRoIAlign;
  box_head: TwoMLPHead;
  box_predictor: FastRCNNPredictor;
  readonly boxCoder: BoxCoder;
  readonly scoreThresh: number;
  readonly nmsThresh: number;
  readonly detectionsPerImg: number;

  constructor(boxRoiPool: MultiScaleRoIAlign, boxHead: TwoMLPHead, boxPredictor: FastRCNNPredictor, opts: RoIHeadsOptions = {}) {
    super();
    this.box_roi_pool = boxRoiPool;
    this.box_head = boxHead;
    this.box_predictor = boxPredictor;
    this.boxCoder = new BoxCoder(opts.bboxRegWeights ?? [10, 10, 5, 5]);
    this.scoreThresh = opts.scoreThresh ?? 0.05;
    this.nmsThresh = opts.nmsThresh ?? 0.5;
    this.detectionsPerImg = opts.detectionsPerImg ?? 100;
    if (!Number.isInteger(this.detectionsPerImg) || this.detectionsPerImg < 0) {
      throw new Error(`RoIHeads: detectionsPerImg must be an integer >= 0, got ${this.detectionsPerImg}`);
    }
  }

  /** Pool, box head, predictor: {classLogits [ΣP_i, classes], boxRegression [ΣP_i, 4·classes]}. */
  forward({ features, proposals, imageShapes }: RoIHeadsInput): BoxPredictions {
    const pooled = this.box_roi_pool.forward({ features, boxes: proposals, imageShapes });
    return this.box_predictor.forward(this.box_head.forward(pooled));
  }

  /**
   * torchvision `RoIHeads.postprocess_detections` on typed arrays. classLogits [K, C] and
   * boxRegression [K, 4C] row-major for the proposals of all images (image-major), proposals
   * per image [P_i, 4], imageShapes [h, w] per image. Per image: softmax over classes; boxes
   * decoded per class (BoxCoder weights (10, 10, 5, 5)) and clipped; background (class 0)
   * dropped; candidates flattened (proposal-major, class-minor); score > scoreThresh; width and
   * height >= 1e-2; batched NMS per class at nmsThresh (torchvision's path choice:
   * {@link batchedNmsTorchvision}); the first detectionsPerImg by score.
   * @throws when the array lengths disagree.
   */
  postprocessDetections(classLogits: ArrayLike<number>, boxRegression: ArrayLike<number>, proposals: ArrayLike<number>[],
      imageShapes: [number, number][]): Detection[] {
    const counts = proposals.map((p) => p.length / 4);
    const k = counts.reduce((a, b) => a + b, 0);
    if (imageShapes.length !== proposals.length) throw new Error(`RoIHeads: ${proposals.length} proposal lists but ${imageShapes.length} image shapes`);
    if (k === 0) return proposals.map(() => ({ boxes: new Float32Array(0), scores: new Float32Array(0), labels: new Int32Array(0) }));
    if (classLogits.length % k !== 0) throw new Error(`RoIHeads: ${classLogits.length} class logits for ${k} proposals`);
    const nc = classLogits.length / k;
    if (boxRegression.length !== k * nc * 4) throw new Error(`RoIHeads: boxRegression has ${boxRegression.length} values, expected ${k} x ${nc * 4}`);
    const out: Detection[] = [];
    let row = 0;
    proposals.forEach((props, img) => {
      const p = counts[img];
      const codes = toF32(boxRegression, row * nc * 4, (row + p) * nc * 4);
      const boxes = clipBoxesToImage(this.boxCoder.decode(codes, props), imageShapes[img]);
      const scores = softmaxRows(classLogits, row, p, nc);
      // candidates above the threshold, proposal-major then class, background dropped
      const thr = f(this.scoreThresh);
      const cand: number[] = [];
      for (let i = 0; i < p; i++) for (let c = 1; c < nc; c++) if (scores[i * nc + c] > thr) cand.push(i * nc + c);
      const cb = new Float32Array(cand.length * 4), cs = new Float32Array(cand.length), cl = new Int32Array(cand.length);
      cand.forEach((q, j) => { cb.set(boxes.subarray(q * 4, q * 4 + 4), j * 4); cs[j] = scores[q]; cl[j] = q % nc; });
      // remove_small_boxes(min_size=1e-2): torch compares the float32 sides with float32(1e-2)
      // (removeSmallBoxes casts minSize to float32 as torch's type promotion does)
      const small = removeSmallBoxes(cb, 1e-2);
      const sb = new Float32Array(small.length * 4), ss = new Float32Array(small.length), sl = new Int32Array(small.length);
      small.forEach((q, j) => { sb.set(cb.subarray(q * 4, q * 4 + 4), j * 4); ss[j] = cs[q]; sl[j] = cl[q]; });
      const keep = batchedNmsTorchvision(sb, ss, sl, this.nmsThresh).subarray(0, this.detectionsPerImg);
      const det: Detection = { boxes: new Float32Array(keep.length * 4), scores: new Float32Array(keep.length), labels: new Int32Array(keep.length) };
      keep.forEach((q, j) => { det.boxes.set(sb.subarray(q * 4, q * 4 + 4), j * 4); det.scores[j] = ss[q]; det.labels[j] = sl[q]; });
      out.push(det);
      row += p;
    });
    return out;
  }

  /**
   * {@link forward} (in a tidy) + {@link postprocessDetections}: detections per image in resized-image
   * pixels. Downloads the head outputs with dataSync (blocking on GPU backends).
   */
  detect(input: RoIHeadsInput): Detection[] {
    const { classLogits, boxRegression } = this.call(input);
    try {
      return this.postprocessDetections(classLogits.dataSync(), boxRegression.dataSync(), input.proposals, input.imageShapes);
    } finally {
      tf.dispose([classLogits, boxRegression]);
    }
  }

  /**
   * {@link detect} without blocking downloads: the RoIs are pooled by
   * {@link MultiScaleRoIAlign.forwardAsync} and the head outputs read with `await data()`, so on
   * webgl the page is not stalled. Same detections; every tensor it makes is disposed, also when
   * it rejects. Inputs are not disposed.
   */
  async detectAsync(input: RoIHeadsInput): Promise<Detection[]> {
    const pooled = await this.box_roi_pool.forwardAsync({ features: input.features, boxes: input.proposals, imageShapes: input.imageShapes });
    let out: BoxPredictions;
    try {
      out = tf.tidy(() => this.box_predictor.forward(this.box_head.forward(pooled)));
    } finally {
      pooled.dispose();
    }
    try {
      const [logits, codes] = await Promise.all([out.classLogits.data(), out.boxRegression.data()]);
      return this.postprocessDetections(logits, codes, input.proposals, input.imageShapes);
    } finally {
      tf.dispose([out.classLogits, out.boxRegression]);
    }
  }
}

function toF32(a: ArrayLike<number>, lo: number, hi: number): Float32Array {
  return a instanceof Float32Array ? a.subarray(lo, hi) : Float32Array.from(Array.prototype.slice.call(a, lo, hi) as number[]);
}

/**
 * Row-wise softmax of rows [row, row+p) of a [*, nc] array, as torch's CPU kernel: exp(x − max),
 * sum, times 1/sum, in float32 (exp and the sum in float64 then rounded: within an ulp or two
 * of torch's vectorized float32 exp and sum order).
 */
function softmaxRows(x: ArrayLike<number>, row: number, p: number, nc: number): Float32Array {
  const out = new Float32Array(p * nc);
  for (let i = 0; i < p; i++) {
    const base = (row + i) * nc;
    let max = -Infinity;
    for (let c = 0; c < nc; c++) max = Math.max(max, x[base + c]);
    let sum = 0;
    for (let c = 0; c < nc; c++) { const e = f(Math.exp(f(x[base + c] - max))); out[i * nc + c] = e; sum += e; }
    const inv = f(1 / f(sum));
    for (let c = 0; c < nc; c++) out[i * nc + c] = f(out[i * nc + c] * inv);
  }
  return out;
}
