/**
 * Region Proposal Network of torchvision 0.14 (torchvision/models/detection/rpn.py), inference
 * path, with torchvision's state-dict keys:
 *
 * - {@link RPNHead}: `conv.0.0.weight/bias` (3×3, padding 1, + ReLU: torchvision's
 *   Sequential(Conv2dNormActivation) with conv_depth 1), `cls_logits` (1×1, A outputs),
 *   `bbox_pred` (1×1, 4A outputs), shared over all FPN levels.
 * - {@link RegionProposalNetwork}: anchors ({@link AnchorGenerator}), decode ({@link BoxCoder}
 *   weights 1,1,1,1), per-level top-k on the objectness logits, sigmoid, clip, remove small
 *   boxes, score threshold, NMS per level, top post_nms_top_n. Boxes are (x1, y1, x2, y2) in
 *   pixels of the (padded) input batch; everything after the head runs on typed arrays in
 *   float32 arithmetic like torch on CPU (src/detection/boxes.ts).
 *
 * Layout: feature maps NHWC [N, h, w, C]. The head's NHWC outputs flatten as (y, x, anchor) —
 * exactly torchvision's `permute_and_flatten` order (and the anchors' order).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module, Sequential, getRng, normal, withSeed } from '../nn/index.js';
import { AnchorGenerator, BoxCoder, batchedNms, clipBoxesToImage, nms, removeSmallBoxes } from './boxes.js';

const f = Math.fround;

/** One 3×3 or 1×1 conv with torchvision's RPNHead init: normal(std 0.01), bias 0. */
function headConv(inC: number, outC: number, k: number): Conv2d {
  const conv = new Conv2d(inC, outC, k, { padding: (k - 1) / 2 });
  const rng = getRng();
  tf.tidy(() => {
    conv.weight.assign(normal([k, k, inC, outC], 0, 0.01, rng) as tf.Tensor4D);
    conv.bias?.assign(tf.zeros([outC]));
  });
  return conv;
}

/** What {@link RPNHead.forward} returns per level: NHWC logits [N, h, w, A], deltas [N, h, w, 4A]. */
export type RpnHeadOutput = {
  objectness: tf.Tensor4D[];
  deltas: tf.Tensor4D[];
};

/**
 * torchvision `RPNHead(in_channels, num_anchors, conv_depth=1)`: per level
 * t = relu(conv(x)); objectness = cls_logits(t) [N, h, w, A]; deltas = bbox_pred(t)
 * [N, h, w, 4A] (channel a·4 + k holds code k of anchor a, as torchvision's view(N, A, 4, h, w)).
 */
export class RPNHead extends Module<tf.Tensor4D[], RpnHeadOutput> {
  conv: Sequential;
  cls_logits: Conv2d;
  bbox_pred: Conv2d;
  readonly numAnchors: number;

  /** @throws when a count is not a positive integer. */
  constructor(inChannels: number, numAnchors: number, opts: { seed?: number } = {}) {
    super();
    for (const c of [inChannels, numAnchors]) if (!Number.isInteger(c) || c < 1) throw new Error(`RPNHead: bad count ${c}`);
    this.numAnchors = numAnchors;
    const [conv, cls, bbox] = withSeed(opts.seed, () => [
      headConv(inChannels, inChannels, 3), headConv(inChannels, numAnchors, 1), headConv(inChannels, numAnchors * 4, 1)]);
    this.conv = new Sequential(new Sequential(conv));
    this.cls_logits = cls;
    this.bbox_pred = bbox;
  }

  forward(features: tf.Tensor4D[]): RpnHeadOutput {
    const conv = (this.conv.at(0) as Sequential).at(0) as Conv2d;
    const objectness: tf.Tensor4D[] = [], deltas: tf.Tensor4D[] = [];
    for (const x of features) {
      const t = tf.relu(conv.forward(x));
      objectness.push(this.cls_logits.forward(t) as tf.Tensor4D);
      deltas.push(this.bbox_pred.forward(t) as tf.Tensor4D);
    }
    return { objectness, deltas };
  }
}

/** Inference settings of {@link RegionProposalNetwork} (torchvision's testing values by default). */
export interface RpnOptions {
  /** Per level, anchors kept by objectness before NMS (torchvision testing: 1000). */
  preNmsTopN?: number;
  /** Proposals kept per image after NMS (testing: 1000). */
  postNmsTopN?: number;
  /** IoU threshold of the per-level NMS (0.7). */
  nmsThresh?: number;
  /** Boxes with sigmoid score < scoreThresh are dropped (0.0). */
  scoreThresh?: number;
  /** Boxes narrower or lower than this (pixels) are dropped (1e-3). */
  minSize?: number;
  /** Anchor sizes per level (default ((32,), (64,), (128,), (256,), (512,))). */
  anchorSizes?: number[][];
  /** Aspect ratios per level (default (0.5, 1, 2) on every level). */
  aspectRatios?: number[][];
  seed?: number;
}

/** Proposals of one image: boxes [P, 4] (x1, y1, x2, y2) pixels, sigmoid scores [P], FPN level [P]. */
export interface Proposals {
  boxes: Float32Array;
  scores: Float32Array;
  levels: Int32Array;
}

/** Indices of the k largest values of v[lo, hi) (relative to lo), descending; ties: lower index first. */
function topK(v: Float32Array, lo: number, hi: number, k: number): Int32Array {
  const idx = new Int32Array(hi - lo);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  idx.sort((a, b) => {
    const va = v[lo + a], vb = v[lo + b];
    return va === vb ? a - b : Number.isNaN(va) ? -1 : Number.isNaN(vb) ? 1 : vb > va ? 1 : -1;
  });
  return idx.subarray(0, Math.min(k, idx.length));
}

/**
 * torchvision's `batched_nms` for boxes [N, 4], scores, integer categories: the coordinate-trick
 * path (≤ 1000 boxes on CPU, as torchvision: `boxes.numel() > 4000` switches) via
 * {@link batchedNms}, else the vanilla path: `nms` per category, the union of the keeps in index
 * order, then sorted by score descending (ties: lower index first; torch's sort there is not
 * documented stable, so equal-score keeps of different levels may be ordered differently).
 */
export function batchedNmsTorchvision(boxes: Float32Array, scores: Float32Array, idxs: Int32Array, iouThreshold: number): Int32Array {
  const n = scores.length;
  if (n * 4 <= 4000) return batchedNms(boxes, scores, idxs, iouThreshold);
  const keepMask = new Uint8Array(n);
  const classes = [...new Set(idxs)].sort((a, b) => a - b);
  for (const c of classes) {
    const cur: number[] = [];
    for (let i = 0; i < n; i++) if (idxs[i] === c) cur.push(i);
    const b = new Float32Array(cur.length * 4), s = new Float32Array(cur.length);
    cur.forEach((i, j) => { b.set(boxes.subarray(i * 4, i * 4 + 4), j * 4); s[j] = scores[i]; });
    for (const k of nms(b, s, iouThreshold)) keepMask[cur[k]] = 1;
  }
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (keepMask[i]) keep.push(i);
  keep.sort((a, b) => (scores[a] === scores[b] ? a - b : scores[b] > scores[a] ? 1 : -1));
  return Int32Array.from(keep);
}

/**
 * torchvision `RegionProposalNetwork` (eval): `head` = {@link RPNHead}(256, 3) (keys `head.*`,
 * `rpn.head.*` inside Faster R-CNN), anchors from {@link AnchorGenerator}, codes decoded by
 * BoxCoder(1, 1, 1, 1). Defaults are fasterrcnn_resnet50_fpn's testing values.
 */
export class RegionProposalNetwork extends Module<tf.Tensor4D[], RpnHeadOutput> {
  head: RPNHead;
  readonly anchorGenerator: AnchorGenerator;
  readonly boxCoder = new BoxCoder([1, 1, 1, 1]);
  readonly preNmsTopN: number;
  readonly postNmsTopN: number;
  readonly nmsThresh: number;
  readonly scoreThresh: number;
  readonly minSize: number;

  constructor(inChannels = 256, opts: RpnOptions = {}) {
    super();
    const sizes = opts.anchorSizes ?? [[32], [64], [128], [256], [512]];
    this.anchorGenerator = new AnchorGenerator(sizes, opts.aspectRatios ?? sizes.map(() => [0.5, 1, 2]));
    const a = this.anchorGenerator.numAnchorsPerLocation();
    if (a.some((x) => x !== a[0])) throw new Error(`RegionProposalNetwork: the head needs the same number of anchors on every level, got ${a}`);
    this.head = new RPNHead(inChannels, a[0], { seed: opts.seed });
    this.preNmsTopN = opts.preNmsTopN ?? 1000;
    this.postNmsTopN = opts.postNmsTopN ?? 1000;
    this.nmsThresh = opts.nmsThresh ?? 0.7;
    this.scoreThresh = opts.scoreThresh ?? 0.0;
    this.minSize = opts.minSize ?? 1e-3;
  }

  /** The head on every level (NHWC in, NHWC out); see {@link RPNHead}. */
  forward(features: tf.Tensor4D[]): RpnHeadOutput {
    return this.head.forward(features);
  }

  /**
   * Proposals per image, as torchvision's `RegionProposalNetwork.forward` in eval mode.
   * @param features FPN maps NHWC [N, h_l, w_l, C], one per anchor level (in level order).
   * @param batchSize [H, W] of the padded input batch (anchor strides = ⌊H/h_l⌋, ⌊W/w_l⌋).
   * @param imageSizes per image [h, w] before padding (clipping bounds); default batchSize each.
   * Steps per image: logits and decoded boxes in (level, y, x, anchor) order; per level the
   * top preNmsTopN by logit (descending, ties lower index first); concatenated by level;
   * sigmoid; clip to the image; drop boxes with side < minSize and scores < scoreThresh;
   * batched NMS by level ({@link batchedNmsTorchvision}); first postNmsTopN.
   * @throws when the number of maps differs from the anchor levels or a batch size differs.
   */
  async proposals(features: tf.Tensor4D[], batchSize: [number, number], imageSizes?: [number, number][]): Promise<Proposals[]> {
    const sizes = this.checkFeatures(features, batchSize, imageSizes);
    const out = this.call(features);
    let obj: Float32Array[], del: Float32Array[];
    try {
      obj = (await Promise.all(out.objectness.map((t) => t.data()))) as Float32Array[];
      del = (await Promise.all(out.deltas.map((t) => t.data()))) as Float32Array[];
    } finally {
      tf.dispose([...out.objectness, ...out.deltas]);
    }
    return this.proposalsFromHead(obj, del, features, batchSize, sizes);
  }

  /**
   * {@link proposals} with synchronous downloads (`dataSync`: blocking on GPU backends), for
   * callers that run inside one synchronous forward (Faster R-CNN's).
   */
  proposalsSync(features: tf.Tensor4D[], batchSize: [number, number], imageSizes?: [number, number][]): Proposals[] {
    const sizes = this.checkFeatures(features, batchSize, imageSizes);
    const out = this.call(features);
    let obj: Float32Array[], del: Float32Array[];
    try {
      obj = out.objectness.map((t) => t.dataSync() as Float32Array);
      del = out.deltas.map((t) => t.dataSync() as Float32Array);
    } finally {
      tf.dispose([...out.objectness, ...out.deltas]);
    }
    return this.proposalsFromHead(obj, del, features, batchSize, sizes);
  }

  /** Validates the maps against the anchor levels; returns the per-image clipping sizes. */
  private checkFeatures(features: tf.Tensor4D[], batchSize: [number, number], imageSizes?: [number, number][]): [number, number][] {
    const L = this.anchorGenerator.cellAnchors.length;
    if (features.length !== L) throw new Error(`RegionProposalNetwork: ${features.length} feature maps but ${L} anchor levels`);
    const n = features[0].shape[0];
    if (features.some((x) => x.shape[0] !== n)) throw new Error('RegionProposalNetwork: feature maps with different batch sizes');
    const sizes = imageSizes ?? Array.from({ length: n }, () => batchSize);
    if (sizes.length !== n) throw new Error(`RegionProposalNetwork: ${sizes.length} image sizes for a batch of ${n}`);
    return sizes;
  }

  /** Per image, {@link filterProposals} on its slice of the downloaded head outputs. */
  private proposalsFromHead(obj: Float32Array[], del: Float32Array[], features: tf.Tensor4D[], batchSize: [number, number],
      sizes: [number, number][]): Proposals[] {
    const n = features[0].shape[0];
    const featureSizes = features.map((x) => [x.shape[1], x.shape[2]] as [number, number]);
    return sizes.map((size, img) => this.filterProposals(
      obj.map((o) => o.subarray(img * o.length / n, (img + 1) * o.length / n)),
      del.map((d) => d.subarray(img * d.length / n, (img + 1) * d.length / n)),
      batchSize, featureSizes, size));
  }

  /**
   * The post-head part for one image on typed arrays: objectness logits per level (flat
   * (y, x, a) order, length h·w·A) and deltas per level (h·w·A·4), anchors for `batchSize` and
   * `featureSizes`, clipping to `imageSize` [h, w]. Mirrors decode + `filter_proposals`.
   */
  filterProposals(objectness: Float32Array[], deltas: Float32Array[], batchSize: [number, number],
      featureSizes: [number, number][], imageSize: [number, number]): Proposals {
    const anchors = this.anchorGenerator.anchors(batchSize, featureSizes);
    const counts = objectness.map((o) => o.length);
    const total = counts.reduce((a, b) => a + b, 0);
    if (anchors.length !== total * 4) throw new Error(`RegionProposalNetwork: ${total} logits but ${anchors.length / 4} anchors`);
    const logits = new Float32Array(total), codes = new Float32Array(total * 4);
    let off = 0;
    objectness.forEach((o, l) => {
      if (deltas[l].length !== o.length * 4) throw new Error(`RegionProposalNetwork: level ${l} has ${o.length} logits but ${deltas[l].length} deltas`);
      logits.set(o, off); codes.set(deltas[l], off * 4); off += o.length;
    });
    // torchvision decodes every anchor, then selects; decoding only the selected is the same per box.
    const sel: number[] = [], lvl: number[] = [];
    off = 0;
    counts.forEach((c, l) => {
      for (const i of topK(logits, off, off + c, this.preNmsTopN)) { sel.push(off + i); lvl.push(l); }
      off += c;
    });
    const m = sel.length;
    const selCodes = new Float32Array(m * 4), selAnchors = new Float32Array(m * 4);
    sel.forEach((i, j) => { selCodes.set(codes.subarray(i * 4, i * 4 + 4), j * 4); selAnchors.set(anchors.subarray(i * 4, i * 4 + 4), j * 4); });
    const boxes = clipBoxesToImage(this.boxCoder.decode(selCodes, selAnchors), imageSize);
    // torch compares float32 tensors with the Python floats min_size and score_thresh cast to
    // float32 (type promotion): removeSmallBoxes casts minSize, the score threshold is cast here.
    const keep: number[] = [];
    const thr = f(this.scoreThresh);
    for (const i of removeSmallBoxes(boxes, this.minSize)) {
      const s = f(1 / f(1 + f(Math.exp(-logits[sel[i]]))));
      if (s >= thr) keep.push(i);
    }
    const kb = new Float32Array(keep.length * 4), ks = new Float32Array(keep.length), kl = new Int32Array(keep.length);
    keep.forEach((i, j) => {
      kb.set(boxes.subarray(i * 4, i * 4 + 4), j * 4);
      ks[j] = f(1 / f(1 + f(Math.exp(-logits[sel[i]]))));
      kl[j] = lvl[i];
    });
    const k = batchedNmsTorchvision(kb, ks, kl, this.nmsThresh).subarray(0, this.postNmsTopN);
    const res: Proposals = { boxes: new Float32Array(k.length * 4), scores: new Float32Array(k.length), levels: new Int32Array(k.length) };
    k.forEach((i, j) => { res.boxes.set(kb.subarray(i * 4, i * 4 + 4), j * 4); res.scores[j] = ks[i]; res.levels[j] = kl[i]; });
    return res;
  }
}
