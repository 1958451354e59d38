/**
 * Box utilities of torchvision's detection stack on plain typed arrays (no tfjs): IoU, NMS,
 * batched NMS, clipping, small-box removal, the Faster R-CNN `BoxCoder` and `AnchorGenerator`.
 *
 * Conventions: a box list is a Float32Array of N·4 values, row-major [N, 4], each row
 * (x1, y1, x2, y2) in pixels of the input image. Float arithmetic reproduces torch's float32
 * CPU results (every intermediate is rounded with `Math.fround` where torch rounds to float32),
 * so kept-index lists match torchvision exactly, including on ties.
 */

const f = Math.fround;

/** Throws unless `boxes` is a Float32Array-like of length N·4; returns N. */
function boxCount(boxes: ArrayLike<number>, what: string): number {
  if (boxes == null || typeof boxes.length !== 'number' || boxes.length % 4 !== 0) {
    throw new Error(`${what}: boxes must be a flat array of N*4 values (x1,y1,x2,y2), got length ${boxes?.length}`);
  }
  return boxes.length / 4;
}

/**
 * Pairwise IoU. a: [N, 4], b: [M, 4] (x1, y1, x2, y2) pixels → Float32Array [N, M] row-major.
 * Areas (x2−x1)·(y2−y1) without +1; intersection widths clamped at 0; 0/0 (two empty boxes) gives
 * NaN as in torch. Mirrors `torchvision.ops.box_iou`.
 * @throws when a length is not a multiple of 4.
 */
export function boxIou(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  const n = boxCount(a, 'boxIou'), m = boxCount(b, 'boxIou');
  const out = new Float32Array(n * m);
  const areaB = new Float32Array(m);
  for (let j = 0; j < m; j++) areaB[j] = f(f(b[j * 4 + 2] - b[j * 4]) * f(b[j * 4 + 3] - b[j * 4 + 1]));
  for (let i = 0; i < n; i++) {
    const ax1 = a[i * 4], ay1 = a[i * 4 + 1], ax2 = a[i * 4 + 2], ay2 = a[i * 4 + 3];
    const areaA = f(f(ax2 - ax1) * f(ay2 - ay1));
    for (let j = 0; j < m; j++) {
      const w = Math.max(f(Math.min(ax2, b[j * 4 + 2]) - Math.max(ax1, b[j * 4])), 0);
      const h = Math.max(f(Math.min(ay2, b[j * 4 + 3]) - Math.max(ay1, b[j * 4 + 1])), 0);
      const inter = f(w * h);
      out[i * m + j] = inter / f(f(areaA + areaB[j]) - inter);
    }
  }
  return out;
}

/**
 * Indices 0..n−1 sorted by score descending; ties keep the lower index first (torchvision's CPU
 * kernel uses a stable descending sort: verified on tied scores with torchvision 0.14).
 */
function orderByScore(scores: ArrayLike<number>, n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // NaN scores: torch's descending sort puts NaN first; keep that (NaN treated as +inf-above).
  order.sort((i, j) => {
    const si = scores[i], sj = scores[j];
    if (si === sj) return i - j;
    if (Number.isNaN(si)) return Number.isNaN(sj) ? i - j : -1;
    if (Number.isNaN(sj)) return 1;
    return sj > si ? 1 : -1;
  });
  return order;
}

/**
 * Greedy non-maximum suppression. boxes: Float32Array [N, 4] (x1, y1, x2, y2) pixels, scores
 * [N]. Visits boxes by score descending (stable: equal scores keep the lower index first), keeps
 * a box unless an already kept box overlaps it with IoU > iouThreshold (strictly greater).
 * Areas (x2−x1)·(y2−y1), no +1. Returns the kept indices (Int32Array), by score descending.
 * Precomputed areas; for thresholds >= 0 a uniform grid limits the IoU tests to boxes that can
 * intersect (5,000 boxes in a few ms), otherwise O(N·K) for K kept boxes. Mirrors `torchvision.ops.nms` (CPU kernel).
 * @throws when the lengths disagree or boxes is not N·4 long.
 */
export function nms(boxes: ArrayLike<number>, scores: ArrayLike<number>, iouThreshold: number): Int32Array {
  const n = boxCount(boxes, 'nms');
  if (scores.length !== n) throw new Error(`nms: ${n} boxes but ${scores.length} scores`);
  if (n === 0) return new Int32Array(0);
  const thr = f(iouThreshold);
  const order = orderByScore(scores, n);
  // Sorted copies: coordinates and areas contiguous in visiting order.
  const x1 = new Float32Array(n), y1 = new Float32Array(n), x2 = new Float32Array(n), y2 = new Float32Array(n);
  const area = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[k] * 4;
    x1[k] = boxes[i]; y1[k] = boxes[i + 1]; x2[k] = boxes[i + 2]; y2[k] = boxes[i + 3];
    area[k] = f(f(x2[k] - x1[k]) * f(y2[k] - y1[k]));
  }
  const keptPos = new Int32Array(n);
  const nk = thr >= 0 && n > 64
    ? greedyGrid(x1, y1, x2, y2, area, thr, keptPos)
    : greedyLinear(x1, y1, x2, y2, area, thr, keptPos);
  const keep = new Int32Array(nk);
  for (let t = 0; t < nk; t++) keep[t] = order[keptPos[t]];
  return keep;
}

/** IoU(k, j) > thr for boxes in visiting order (torchvision's float32 formula). */
function overlaps(x1: Float32Array, y1: Float32Array, x2: Float32Array, y2: Float32Array, area: Float32Array,
    k: number, j: number, thr: number): boolean {
  const w = f(Math.min(x2[k], x2[j]) - Math.max(x1[k], x1[j]));
  const h = f(Math.min(y2[k], y2[j]) - Math.max(y1[k], y1[j]));
  const inter = f(Math.max(w, 0) * Math.max(h, 0));
  return f(inter / f(f(area[k] + area[j]) - inter)) > thr;
}

/** Plain greedy pass: each box against every kept box (any threshold). Returns the kept count. */
function greedyLinear(x1: Float32Array, y1: Float32Array, x2: Float32Array, y2: Float32Array, area: Float32Array,
    thr: number, keptPos: Int32Array): number {
  let nk = 0;
  for (let k = 0; k < x1.length; k++) {
    let suppressed = false;
    for (let t = 0; t < nk && !suppressed; t++) suppressed = overlaps(x1, y1, x2, y2, area, k, keptPos[t], thr);
    if (!suppressed) keptPos[nk++] = k;
  }
  return nk;
}

/**
 * The same greedy pass for thr >= 0, where only boxes with a positive intersection can suppress
 * each other: kept boxes are bucketed in a uniform grid (cells of the mean box size, at most
 * 256 × 256 over the boxes' extent; boxes spanning more than 36 cells go to a list every box checks), and each box is checked only
 * against the kept boxes of the cells it touches. Whether a box is suppressed does not depend on
 * the order the kept boxes are checked in, so the result equals greedyLinear's exactly.
 */
function greedyGrid(x1: Float32Array, y1: Float32Array, x2: Float32Array, y2: Float32Array, area: Float32Array,
    thr: number, keptPos: Int32Array): number {
  const n = x1.length;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let k = 0; k < n; k++) {
    if (Number.isFinite(x1[k])) minX = Math.min(minX, x1[k]);
    if (Number.isFinite(y1[k])) minY = Math.min(minY, y1[k]);
    if (Number.isFinite(x2[k])) maxX = Math.max(maxX, x2[k]);
    if (Number.isFinite(y2[k])) maxY = Math.max(maxY, y2[k]);
  }
  if (!(maxX > minX && maxY > minY)) return greedyLinear(x1, y1, x2, y2, area, thr, keptPos);
  // Cells about the mean box size (so a typical box touches 1-4 cells), at most 256 per side.
  let sw = 0, sh = 0, m = 0;
  for (let k = 0; k < n; k++) {
    const w = x2[k] - x1[k], h = y2[k] - y1[k];
    if (w > 0 && h > 0 && w < Infinity && h < Infinity) { sw += w; sh += h; m++; }
  }
  const cw = Math.max(m > 0 ? sw / m : 0, (maxX - minX) / 256), ch = Math.max(m > 0 ? sh / m : 0, (maxY - minY) / 256);
  const gx = Math.max(1, Math.ceil((maxX - minX) / cw)), gy = Math.max(1, Math.ceil((maxY - minY) / ch));
  const cell = (v: number, lo: number, size: number, g: number) => Math.min(Math.max(Math.floor((v - lo) / size), 0), g - 1);
  const cells: number[][] = Array.from({ length: gx * gy }, () => []);
  const big: number[] = [];
  const seen = new Int32Array(n).fill(-1);
  let nk = 0;
  for (let k = 0; k < n; k++) {
    const cx0 = cell(x1[k], minX, cw, gx), cx1 = cell(x2[k], minX, cw, gx);
    const cy0 = cell(y1[k], minY, ch, gy), cy1 = cell(y2[k], minY, ch, gy);
    // NaN corners give NaN ranges: no cells, and such a box can neither suppress nor be suppressed.
    const isBig = (cx1 - cx0 + 1) * (cy1 - cy0 + 1) > 36;
    const kx1 = x1[k], ky1 = y1[k], kx2 = x2[k], ky2 = y2[k];
    let suppressed = false;
    for (let t = 0; t < big.length && !suppressed; t++) suppressed = overlaps(x1, y1, x2, y2, area, k, big[t], thr);
    if (isBig) {
      for (let t = 0; t < nk && !suppressed; t++) suppressed = overlaps(x1, y1, x2, y2, area, k, keptPos[t], thr);
    } else {
      for (let cy = cy0; cy <= cy1 && !suppressed; cy++) {
        for (let cx = cx0; cx <= cx1 && !suppressed; cx++) {
          const list = cells[cy * gx + cx];
          for (let t = 0; t < list.length && !suppressed; t++) {
            const j = list[t];
            if (seen[j] === k) continue;  // already tested via another cell
            seen[j] = k;
            // exact reject: no positive intersection (float a − b > 0 iff a > b)
            if (!(x1[j] < kx2 && kx1 < x2[j] && y1[j] < ky2 && ky1 < y2[j])) continue;
            suppressed = overlaps(x1, y1, x2, y2, area, k, j, thr);
          }
        }
      }
    }
    if (suppressed) continue;
    keptPos[nk++] = k;
    if (isBig) big.push(k);
    else for (let cy = cy0; cy <= cy1; cy++) for (let cx = cx0; cx <= cx1; cx++) cells[cy * gx + cx].push(k);
  }
  return nk;
}

/**
 * NMS within each category: boxes [N, 4] pixels, scores [N], idxs [N] (integer category per
 * box). Boxes of different categories never suppress each other. torchvision's coordinate trick:
 * every box is shifted by idx · (max coordinate + 1) (in float32) and one `nms` runs over all.
 * Returns kept indices by score descending. Mirrors `torchvision.ops.batched_nms` (its
 * `_batched_nms_coordinate_trick` path, used by torchvision on CPU up to 1,000 boxes; the
 * per-class path it takes above that can order equal-score keeps differently).
 * @throws when the lengths disagree.
 */
export function batchedNms(boxes: ArrayLike<number>, scores: ArrayLike<number>, idxs: ArrayLike<number>, iouThreshold: number): Int32Array {
  const n = boxCount(boxes, 'batchedNms');
  if (scores.length !== n || idxs.length !== n) throw new Error(`batchedNms: ${n} boxes, ${scores.length} scores, ${idxs.length} idxs`);
  if (n === 0) return new Int32Array(0);
  let max = -Infinity;
  for (let i = 0; i < boxes.length; i++) if (boxes[i] > max) max = boxes[i];
  const step = f(max + 1);
  const shifted = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const off = f(f(idxs[i]) * step);
    for (let c = 0; c < 4; c++) shifted[i * 4 + c] = f(boxes[i * 4 + c] + off);
  }
  return nms(shifted, scores, iouThreshold);
}

/**
 * Clamps x to [0, width] and y to [0, height] (pixels); returns a new Float32Array
 * [N, 4]. imageSize = [height, width] pixels. Mirrors `torchvision.ops.clip_boxes_to_image`.
 */
export function clipBoxesToImage(boxes: ArrayLike<number>, imageSize: [number, number]): Float32Array {
  const n = boxCount(boxes, 'clipBoxesToImage');
  const [h, w] = imageSize;
  const out = new Float32Array(n * 4);
  for (let i = 0; i < n * 4; i += 4) {
    out[i] = Math.min(Math.max(boxes[i], 0), w);
    out[i + 1] = Math.min(Math.max(boxes[i + 1], 0), h);
    out[i + 2] = Math.min(Math.max(boxes[i + 2], 0), w);
    out[i + 3] = Math.min(Math.max(boxes[i + 3], 0), h);
  }
  return out;
}

/**
 * Indices (ascending) of the boxes [N, 4] whose width and height are both >= minSize pixels.
 * Mirrors `torchvision.ops.remove_small_boxes`.
 */
export function removeSmallBoxes(boxes: ArrayLike<number>, minSize: number): Int32Array {
  const n = boxCount(boxes, 'removeSmallBoxes');
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    const ws = f(boxes[i * 4 + 2] - boxes[i * 4]), hs = f(boxes[i * 4 + 3] - boxes[i * 4 + 1]);
    if (ws >= minSize && hs >= minSize) keep.push(i);
  }
  return Int32Array.from(keep);
}

/** torchvision's `bbox_xform_clip` default, log(1000 / 16): the clamp on decoded dw, dh. */
export const BBOX_XFORM_CLIP = Math.log(1000 / 16);

/**
 * Faster R-CNN box parametrisation (torchvision `det_utils.BoxCoder`): a box relative to a
 * reference box is (wx·dx/w, wy·dy/h, ww·log(w'/w), wh·log(h'/h)) with centre offsets dx, dy.
 * weights: (1,1,1,1) for the RPN, (10,10,5,5) for the RoI heads. Float32 arithmetic as torch.
 */
export class BoxCoder {
  readonly weights: [number, number, number, number];
  readonly bboxXformClip: number;

  /** @param weights (wx, wy, ww, wh); @param bboxXformClip clamp on dw/dh before exp (default log(1000/16)). */
  constructor(weights: [number, number, number, number], bboxXformClip = BBOX_XFORM_CLIP) {
    if (!Array.isArray(weights) || weights.length !== 4 || weights.some((w) => !(w > 0))) {
      throw new Error(`BoxCoder: weights must be 4 positive numbers, got ${JSON.stringify(weights)}`);
    }
    this.weights = [weights[0], weights[1], weights[2], weights[3]];
    this.bboxXformClip = bboxXformClip;
  }

  /**
   * Encodes boxes [N, 4] (e.g. matched ground truth) relative to reference boxes [N, 4]
   * (proposals / anchors), pixels → codes [N, 4]. Mirrors `BoxCoder.encode_single(
   * reference_boxes=boxes, proposals=reference)` (torchvision's argument names are swapped:
   * its `reference_boxes` are the targets).
   * @throws when the counts differ.
   */
  encode(boxes: ArrayLike<number>, reference: ArrayLike<number>): Float32Array {
    const n = boxCount(boxes, 'BoxCoder.encode');
    if (boxCount(reference, 'BoxCoder.encode') !== n) throw new Error(`BoxCoder.encode: ${n} boxes but ${reference.length / 4} reference boxes`);
    const [wx, wy, ww, wh] = this.weights.map(f);
    const out = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) {
      const p = i * 4;
      const exW = f(reference[p + 2] - reference[p]), exH = f(reference[p + 3] - reference[p + 1]);
      const exX = f(reference[p] + f(0.5 * exW)), exY = f(reference[p + 1] + f(0.5 * exH));
      const gtW = f(boxes[p + 2] - boxes[p]), gtH = f(boxes[p + 3] - boxes[p + 1]);
      const gtX = f(boxes[p] + f(0.5 * gtW)), gtY = f(boxes[p + 1] + f(0.5 * gtH));
      out[p] = f(f(wx * f(gtX - exX)) / exW);
      out[p + 1] = f(f(wy * f(gtY - exY)) / exH);
      out[p + 2] = f(ww * f(Math.log(f(gtW / exW))));
      out[p + 3] = f(wh * f(Math.log(f(gtH / exH))));
    }
    return out;
  }

  /**
   * Decodes codes [N, 4·K] (K boxes per reference, e.g. one per class) against reference boxes
   * [N, 4] pixels → boxes [N, 4·K] (x1, y1, x2, y2). dw, dh are clamped to `bboxXformClip`
   * before exp. Mirrors `BoxCoder.decode_single`.
   * @throws when codes is not N·4·K long.
   */
  decode(codes: ArrayLike<number>, reference: ArrayLike<number>): Float32Array {
    const n = boxCount(reference, 'BoxCoder.decode');
    if (n === 0 ? codes.length !== 0 : codes.length % (n * 4) !== 0) {
      throw new Error(`BoxCoder.decode: codes length ${codes.length} is not a multiple of 4 * ${n} reference boxes`);
    }
    const k = n === 0 ? 0 : codes.length / (n * 4);
    const [wx, wy, ww, wh] = this.weights.map(f);
    const clip = f(this.bboxXformClip);
    const out = new Float32Array(codes.length);
    for (let i = 0; i < n; i++) {
      const p = i * 4;
      const w = f(reference[p + 2] - reference[p]), h = f(reference[p + 3] - reference[p + 1]);
      const cx = f(reference[p] + f(0.5 * w)), cy = f(reference[p + 1] + f(0.5 * h));
      for (let j = 0; j < k; j++) {
        const q = (i * k + j) * 4;
        const dx = f(codes[q] / wx), dy = f(codes[q + 1] / wy);
        const dw = Math.min(f(codes[q + 2] / ww), clip), dh = Math.min(f(codes[q + 3] / wh), clip);
        const px = f(f(dx * w) + cx), py = f(f(dy * h) + cy);
        const pw = f(f(Math.exp(dw)) * w), ph = f(f(Math.exp(dh)) * h);
        const hw = f(0.5 * pw), hh = f(0.5 * ph);
        out[q] = f(px - hw);
        out[q + 1] = f(py - hh);
        out[q + 2] = f(px + hw);
        out[q + 3] = f(py + hh);
      }
    }
    return out;
  }
}

/** torch.round on float32: round half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Anchor boxes of torchvision's `AnchorGenerator` (Faster R-CNN RPN). One feature level per
 * entry of `sizes` / `aspectRatios`. Per level, the cell anchors are, for each aspect ratio r
 * (outer) and size s (inner): h_ratio = √r, w_ratio = 1/h_ratio, ws = w_ratio·s, hs = h_ratio·s,
 * (−ws/2, −hs/2, ws/2, hs/2) rounded half-to-even (torch.round), all in float32.
 */
export class AnchorGenerator {
  readonly sizes: number[][];
  readonly aspectRatios: number[][];
  /** Per level, the A = |ratios|·|sizes| zero-centred cell anchors, Float32Array [A, 4]. */
  readonly cellAnchors: Float32Array[];

  /**
   * @param sizes per level, anchor sizes in pixels (torchvision default ((32,64,128,256,512),)).
   * @param aspectRatios per level, height/width ratios (default ((0.5,1,2),) per level).
   * @throws when the level counts differ or a value is not positive.
   */
  constructor(sizes: number[][] = [[32, 64, 128, 256, 512]], aspectRatios: number[][] = sizes.map(() => [0.5, 1, 2])) {
    if (sizes.length !== aspectRatios.length) {
      throw new Error(`AnchorGenerator: ${sizes.length} levels of sizes but ${aspectRatios.length} of aspect ratios`);
    }
    for (const v of [...sizes.flat(), ...aspectRatios.flat()]) {
      if (!(v > 0)) throw new Error(`AnchorGenerator: sizes and aspect ratios must be positive, got ${v}`);
    }
    this.sizes = sizes.map((s) => s.slice());
    this.aspectRatios = aspectRatios.map((r) => r.slice());
    this.cellAnchors = sizes.map((s, l) => AnchorGenerator.generateAnchors(s, aspectRatios[l]));
  }

  /** Zero-centred base anchors [|ratios|·|scales|, 4] (ratio-major). Mirrors `generate_anchors`. */
  static generateAnchors(scales: number[], aspectRatios: number[]): Float32Array {
    const out = new Float32Array(scales.length * aspectRatios.length * 4);
    let k = 0;
    for (const r of aspectRatios) {
      const hr = f(Math.sqrt(f(r)));
      const wr = f(1 / hr);
      for (const s of scales) {
        const ws = f(wr * f(s)), hs = f(hr * f(s));
        out[k++] = roundHalfEven(f(-ws / 2));
        out[k++] = roundHalfEven(f(-hs / 2));
        out[k++] = roundHalfEven(f(ws / 2));
        out[k++] = roundHalfEven(f(hs / 2));
      }
    }
    return out;
  }

  /** Number of anchors per feature-map cell at each level. Mirrors `num_anchors_per_location`. */
  numAnchorsPerLocation(): number[] {
    return this.sizes.map((s, l) => s.length * this.aspectRatios[l].length);
  }

  /**
   * Anchors of one image: for each level l with feature map [gh, gw], stride
   * [floor(H/gh), floor(W/gw)] (integer division as torchvision), anchors ordered
   * (row y, column x, cell anchor a): shift (x·sw, y·sh, x·sw, y·sh) + cell anchor a; levels
   * concatenated. imageSize = [H, W] of the (padded) batch in pixels. Returns Float32Array [A, 4].
   * Mirrors `AnchorGenerator.forward` (+ `grid_anchors`) for one image.
   * @throws when the number of feature maps differs from the number of levels.
   */
  anchors(imageSize: [number, number], featureSizes: [number, number][]): Float32Array {
    if (featureSizes.length !== this.cellAnchors.length) {
      throw new Error(`AnchorGenerator: ${featureSizes.length} feature maps but ${this.cellAnchors.length} anchor levels`);
    }
    let total = 0;
    featureSizes.forEach(([gh, gw], l) => { total += gh * gw * this.cellAnchors[l].length; });
    const out = new Float32Array(total);
    let k = 0;
    featureSizes.forEach(([gh, gw], l) => {
      const sh = Math.floor(imageSize[0] / gh), sw = Math.floor(imageSize[1] / gw);
      const base = this.cellAnchors[l];
      for (let y = 0; y < gh; y++) {
        for (let x = 0; x < gw; x++) {
          const ox = x * sw, oy = y * sh;
          for (let a = 0; a < base.length; a += 4) {
            out[k++] = f(ox + base[a]);
            out[k++] = f(oy + base[a + 1]);
            out[k++] = f(ox + base[a + 2]);
            out[k++] = f(oy + base[a + 3]);
          }
        }
      }
    });
    return out;
  }
}
