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
  if (scores instanceof Float32Array && n <= INDEX_SPAN) return orderByScoreF32(scores, n);
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

const INDEX_SPAN = 2 ** 21;
const keyView = new DataView(new ArrayBuffer(4));

/**
 * orderByScore for float32 scores, by one native numeric sort of Float64Array keys
 * (descending-score rank · 2^21 + index, exact below 2^53) instead of a comparator sort: the rank
 * is the float32 bit pattern mapped to an order-preserving unsigned key and reversed; −0 counts as
 * +0 and every NaN as above +∞ (first, as torch's descending sort), ties keep the lower index.
 */
function orderByScoreF32(scores: Float32Array, n: number): Int32Array {
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    let rank: number;
    if (s !== s) rank = 0;
    else {
      keyView.setFloat32(0, s + 0);  // −0 + 0 = +0
      const u = keyView.getUint32(0);
      const asc = u >= 0x80000000 ? 0xffffffff - u : u + 0x80000000;  // ascending in s
      rank = 0xffffffff - asc + 1;  // descending, 0 reserved for NaN
    }
    keys[i] = rank * INDEX_SPAN + i;
  }
  keys.sort();
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = keys[i] % INDEX_SPAN;
  return order;
}

/**
 * Greedy non-maximum suppression. boxes: Float32Array [N, 4] (x1, y1, x2, y2) pixels, scores
 * [N]. Visits boxes by score descending (stable: equal scores keep the lower index first), keeps
 * a box unless an already kept box overlaps it with IoU > iouThreshold (strictly greater).
 * Areas (x2−x1)·(y2−y1), no +1. Returns the kept indices (Int32Array), by score descending.
 * Precomputed areas; for thresholds >= 0 a grid limits the IoU tests to kept boxes that can reach
 * IoU > threshold (see greedyGrid), otherwise O(N·K) for K kept boxes. Mirrors `torchvision.ops.nms` (CPU kernel).
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
 * The same greedy pass for thr >= 0, with a grid that only offers a box the kept boxes that can
 * reach IoU > thr with it. For boxes A, B of positive size, IoU > t implies (t >= 0):
 *   inter > t·union >= t·wA·hA and inter <= iw·hA, so the x-overlap iw > t·max(wA, wB); and
 *   iw <= w_first − d with d = |x1A − x1B| (w_first: the box that starts first), so
 *   d < (1 − t)·max(wA, wB); likewise along y.
 * Kept boxes are linked into the grid cell of their top-left corner (one cell each: no duplicate
 * visits); a box looks at the cells whose corners lie within (1 − t')·max(its size, the largest
 * grid box size) of its own corner, t' = t − 1e-4 (a margin for float32 rounding of the exact
 * test). Cell side ≈ (1 − t)·largest size (at most 256 cells per side), so a high threshold
 * looks at a small neighbourhood (IoU 0.7: corners within 0.3 box sizes), a low one at about the
 * boxes that intersect. Boxes more than 4× the mean size (or with infinite corners) are kept in a
 * separate list that every box checks, so one huge box does not widen every query. Boxes with a
 * NaN corner or without positive width and height cannot reach IoU > t >= 0 with anything
 * (their intersection is 0 or NaN): never suppressed, never suppressing.
 * Before the exact float32 IoU, two cheaper exact rejections: no positive intersection, and an
 * area ratio min/max <= t' (IoU <= inter / max area <= min / max area).
 * Whether a box is suppressed does not depend on the order in which the kept boxes are checked,
 * so the result equals greedyLinear's exactly. Allocation-free inside the loop (flat Int32Array
 * linked lists: head per cell, next per box).
 */
function greedyGrid(x1: Float32Array, y1: Float32Array, x2: Float32Array, y2: Float32Array, area: Float32Array,
    thr: number, keptPos: Int32Array): number {
  const n = x1.length;
  // Mean size of the regular (finite, positive) boxes; their extent.
  let sw = 0, sh = 0, m = 0;
  for (let k = 0; k < n; k++) {
    const w = x2[k] - x1[k], h = y2[k] - y1[k];
    if (w > 0 && h > 0 && w < Infinity && h < Infinity) { sw += w; sh += h; m++; }
  }
  if (m === 0) return greedyLinear(x1, y1, x2, y2, area, thr, keptPos);
  const bigW = 4 * sw / m, bigH = 4 * sh / m;
  // 0: regular grid box, 1: big (separate list), 2: inert (NaN or non-positive size)
  const kind = new Uint8Array(n);
  let maxW = 0, maxH = 0, minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let k = 0; k < n; k++) {
    const w = x2[k] - x1[k], h = y2[k] - y1[k];
    if (!(w > 0 && h > 0)) { kind[k] = 2; continue; }  // also NaN
    if (!(w <= bigW && h <= bigH)) { kind[k] = 1; continue; }  // also infinite
    maxW = Math.max(maxW, w); maxH = Math.max(maxH, h);
    minX = Math.min(minX, x1[k]); maxX = Math.max(maxX, x1[k]);
    minY = Math.min(minY, y1[k]); maxY = Math.max(maxY, y1[k]);
  }
  const reach = 1 - thr + 1e-4;  // (1 − t') of the bound above
  const gx = Math.max(1, Math.min(256, Math.ceil((maxX - minX) / (reach * maxW)) || 1));
  const gy = Math.max(1, Math.min(256, Math.ceil((maxY - minY) / (reach * maxH)) || 1));
  const cw = (maxX - minX) / gx || 1, ch = (maxY - minY) / gy || 1;
  const head = new Int32Array(gx * gy).fill(-1);
  const next = new Int32Array(n);
  const big = new Int32Array(n);
  let nBig = 0;
  const ratio = Math.max(thr - 1e-4, 0);  // area-ratio reject at or below this
  let nk = 0;
  for (let k = 0; k < n; k++) {
    const kk = kind[k];
    if (kk === 2) { keptPos[nk++] = k; continue; }
    const kx1 = x1[k], ky1 = y1[k], kx2 = x2[k], ky2 = y2[k], ka = area[k];
    let suppressed = false;
    for (let t = 0; t < nBig && !suppressed; t++) suppressed = overlaps(x1, y1, x2, y2, area, k, big[t], thr);
    if (!suppressed && maxW > 0) {
      const rx = reach * Math.max(kx2 - kx1, maxW), ry = reach * Math.max(ky2 - ky1, maxH);
      // cell range of corners within (rx, ry) of this corner (empty when beyond the grid)
      const ax0 = Math.max(Math.floor((kx1 - rx - minX) / cw), 0), ax1 = Math.min(Math.floor((kx1 + rx - minX) / cw), gx - 1);
      const ay0 = Math.max(Math.floor((ky1 - ry - minY) / ch), 0), ay1 = Math.min(Math.floor((ky1 + ry - minY) / ch), gy - 1);
      // cells nearest to the box's own cell first (an early suppressor ends the search sooner)
      const oy = Math.min(Math.max(Math.floor((ky1 - minY) / ch), ay0), ay1), ox = Math.min(Math.max(Math.floor((kx1 - minX) / cw), ax0), ax1);
      const ny = 2 * Math.max(oy - ay0, ay1 - oy) + 1, nx = 2 * Math.max(ox - ax0, ax1 - ox) + 1;
      for (let a = 0; a < ny && !suppressed; a++) {
        const cy = oy + ((a & 1) !== 0 ? -((a + 1) >> 1) : a >> 1);
        if (cy < ay0 || cy > ay1) continue;
        for (let b = 0; b < nx; b++) {
          const cx = ox + ((b & 1) !== 0 ? -((b + 1) >> 1) : b >> 1);
          if (cx < ax0 || cx > ax1) continue;
          let j = head[cy * gx + cx];
          for (; j >= 0; j = next[j]) {
            const jx1 = x1[j], jy1 = y1[j], jx2 = x2[j], jy2 = y2[j];
            // exact reject: no positive intersection (float a − b > 0 iff a > b)
            if (!(jx1 < kx2 && kx1 < jx2 && jy1 < ky2 && ky1 < jy2)) continue;
            const ja = area[j];
            if (ka < ja ? ka <= ratio * ja : ja <= ratio * ka) continue;
            const w = f(Math.min(kx2, jx2) - Math.max(kx1, jx1));
            const h = f(Math.min(ky2, jy2) - Math.max(ky1, jy1));
            const inter = f(w * h);
            if (f(inter / f(f(ka + ja) - inter)) > thr) break;
          }
          if (j >= 0) { suppressed = true; break; }
        }
      }
    }
    if (suppressed) continue;
    keptPos[nk++] = k;
    if (kk === 1) big[nBig++] = k;
    else {
      const c = Math.min(Math.floor((kx1 - minX) / cw), gx - 1) + gx * Math.min(Math.floor((ky1 - minY) / ch), gy - 1);
      next[k] = head[c]; head[c] = k;
    }
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
 * Indices (ascending) of the boxes [N, 4] (x1, y1, x2, y2) pixels whose width and height are
 * both >= minSize pixels. Mirrors `torchvision.ops.remove_small_boxes` (ops/boxes.py:
 * `keep = (ws >= min_size) & (hs >= min_size)`) on float32 boxes: the sides are float32
 * differences, and the Python float `min_size` is cast to float32 before comparing (PyTorch's
 * type promotion: a float32 tensor vs a Python scalar computes in float32). So with minSize 1e-2
 * a side of exactly float32(0.01) = 0.0099999998 is kept, as in torch (a float64 comparison
 * would drop it); for 1e-3, float32(1e-3) is above 1e-3 and both rules agree.
 * @throws when boxes does not hold N·4 values.
 */
export function removeSmallBoxes(boxes: ArrayLike<number>, minSize: number): Int32Array {
  const n = boxCount(boxes, 'removeSmallBoxes');
  const keep: number[] = [];
  const m = f(minSize);
  for (let i = 0; i < n; i++) {
    const ws = f(boxes[i * 4 + 2] - boxes[i * 4]), hs = f(boxes[i * 4 + 3] - boxes[i * 4 + 1]);
    if (ws >= m && hs >= m) keep.push(i);
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
