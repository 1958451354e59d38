/**
 * RoI feature extraction: torchvision's `roi_align` and `roi_pool` on NHWC feature maps.
 *
 * - `simd` (active backend): native kernels over channels, assembly/roi.ts `roiAlign` /
 *   `roiPool` (f32x4 lanes across C, torchvision's float32 operation order).
 * - elsewhere: `roiAlignImpl` / `roiPoolImpl`, plain-JS loops over the `dataSync()`'d features
 *   (float32 emulated with Math.fround). tfjs's `cropAndResize` cannot express torchvision's
 *   adaptive sampling grid (a per-RoI number of samples per bin, averaged), its "sample outside
 *   [−1, H] → 0" rule or roi_pool's rounded integer bins, so the reference composite is a JS loop
 *   (it downloads the features from GPU backends: fine for tests and CPU, slow on webgl;
 *   `roiAlignAsync` / `roiPoolAsync` download with `await data()`, without blocking).
 *
 * Neither path is differentiable (no gradient is registered): inference only, like the
 * torchvision detection models in eval mode.
 *
 * Boxes: (x1, y1, x2, y2) in input-image pixels; `spatialScale` maps them to feature pixels
 * (1/stride, e.g. 1/16). Input validation happens before any kernel runs: empty box lists give
 * [0, PH, PW, C]; NaN/infinite or inverted corners and batch indices outside [0, N) throw an
 * Error naming the RoI index.
 */
import * as tf from '@tensorflow/tfjs-core';
import { wasmFn } from '../backend/kernel_utils';
import { activeSimd, expectNHWC, fromNative } from './util.js';

/** Options of `roiAlign` / `roiPool`. */
export interface RoiOptions {
  /** Output bins [PH, PW] (or one number for both); integers >= 1. */
  outputSize: number | [number, number];
  /** Feature pixels per image pixel (1 / stride). Default 1. */
  spatialScale?: number;
  /**
   * roiAlign only: bilinear samples per bin side; <= 0 (default −1) = adaptive,
   * ceil(roi size / bins) per RoI (torchvision's `sampling_ratio=-1`).
   */
  samplingRatio?: number;
  /** roiAlign only: shift boxes by −0.5 pixel (pixel-centre model, torchvision `aligned=True`). Default false. */
  aligned?: boolean;
  /**
   * Batch index per box when `boxes` is [K, 4] (tf.image.cropAndResize style). Omit when boxes
   * are [K, 5] (batchIdx, x1, y1, x2, y2) (torchvision's Tensor[K, 5] form).
   */
  boxIndices?: ArrayLike<number> | tf.Tensor;
}

/** Box coordinates beyond this (in feature pixels) are rejected: they cannot be sampled sensibly. */
const MAX_COORD = 1 << 24;
/** roiAlign: at most this many bilinear samples (per channel) over all RoIs of one call. */
const MAX_SAMPLES = 2 ** 31;

interface RoiArgs { ph: number; pw: number; scale: number; sr: number; aligned: boolean; rois: Float32Array; k: number }

function readArray(v: ArrayLike<number> | tf.Tensor): ArrayLike<number> {
  return v instanceof tf.Tensor ? v.dataSync() as ArrayLike<number> : v;
}

/** Validates everything and returns the RoIs as float32 [K, 5] (batchIdx, x1, y1, x2, y2). */
function parseRois(op: string, n: number, boxes: tf.Tensor | ArrayLike<number>, o: RoiOptions): RoiArgs {
  if (o == null || o.outputSize == null) throw new Error(`${op}: options.outputSize is required`);
  const os = typeof o.outputSize === 'number' ? [o.outputSize, o.outputSize] : o.outputSize;
  if (!Array.isArray(os) || os.length !== 2 || !os.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new Error(`${op}: outputSize must be an integer >= 1 or [ph, pw], got ${JSON.stringify(o.outputSize)}`);
  }
  const scale = o.spatialScale ?? 1;
  if (!(Number.isFinite(scale) && scale > 0)) throw new Error(`${op}: spatialScale must be a finite number > 0, got ${scale}`);
  const sr = o.samplingRatio ?? -1;
  if (!Number.isInteger(sr)) throw new Error(`${op}: samplingRatio must be an integer, got ${sr}`);
  const cols = o.boxIndices != null ? 4 : 5;
  let data: ArrayLike<number>;
  if (boxes instanceof tf.Tensor) {
    if (boxes.rank !== 2 || boxes.shape[1] !== cols) {
      throw new Error(`${op}: boxes must be [K, ${cols}]${cols === 5 ? ' (batchIdx, x1, y1, x2, y2)' : ' (x1, y1, x2, y2) with boxIndices'}, got shape [${boxes.shape.join(', ')}]`);
    }
    data = boxes.dataSync() as ArrayLike<number>;
  } else {
    data = boxes;
    if (data == null || data.length % cols !== 0) throw new Error(`${op}: boxes must hold K*${cols} values, got length ${data?.length}`);
  }
  const k = data.length / cols;
  const idx = o.boxIndices != null ? readArray(o.boxIndices) : null;
  if (idx != null && idx.length !== k) throw new Error(`${op}: ${k} boxes but ${idx.length} boxIndices`);
  const rois = new Float32Array(k * 5);
  let samples = 0;
  for (let i = 0; i < k; i++) {
    const b = idx != null ? idx[i] : data[i * 5];
    const c = cols === 5 ? i * 5 + 1 : i * 4;
    const x1 = data[c], y1 = data[c + 1], x2 = data[c + 2], y2 = data[c + 3];
    if (!(Number.isInteger(b) && b >= 0 && b < n)) throw new Error(`${op}: RoI ${i} has batch index ${b}, outside [0, ${n})`);
    if (![x1, y1, x2, y2].every(Number.isFinite)) throw new Error(`${op}: RoI ${i} has a non-finite corner (${x1}, ${y1}, ${x2}, ${y2})`);
    if (x2 < x1 || y2 < y1) throw new Error(`${op}: RoI ${i} is inverted: (x1, y1, x2, y2) = (${x1}, ${y1}, ${x2}, ${y2}) needs x2 >= x1 and y2 >= y1`);
    if (Math.max(Math.abs(x1), Math.abs(y1), Math.abs(x2), Math.abs(y2)) * scale > MAX_COORD) {
      throw new Error(`${op}: RoI ${i} has corners beyond ±2^24 feature pixels (${x1}, ${y1}, ${x2}, ${y2})`);
    }
    rois[i * 5] = b; rois[i * 5 + 1] = x1; rois[i * 5 + 2] = y1; rois[i * 5 + 3] = x2; rois[i * 5 + 4] = y2;
    if (op === 'roiAlign') {
      // Bilinear samples this RoI costs (per channel): a huge samplingRatio, or adaptive sampling
      // on a huge box, would otherwise run for hours.
      const rh = o.aligned ? (y2 - y1) * scale : Math.max((y2 - y1) * scale, 1);
      const rw = o.aligned ? (x2 - x1) * scale : Math.max((x2 - x1) * scale, 1);
      const gh = sr > 0 ? sr : Math.ceil(rh / os[0]), gw = sr > 0 ? sr : Math.ceil(rw / os[1]);
      samples += os[0] * os[1] * gh * gw;
      if (samples > MAX_SAMPLES) {
        throw new Error(`${op}: RoI ${i} brings the bilinear samples to ${samples.toExponential(2)} (limit 2^31): ` +
          `${gh}×${gw} samples per bin (samplingRatio ${sr}${sr > 0 ? '' : ', adaptive: ceil(RoI size / outputSize)'}); ` +
          'lower samplingRatio or the box sizes');
      }
    }
  }
  return { ph: os[0], pw: os[1], scale, sr, aligned: !!o.aligned, rois, k };
}

const f = Math.fround;

/**
 * Pure roi_align over typed arrays: x NHWC [N, H, W, C] float32, rois [K, 5] validated
 * (batchIdx, x1, y1, x2, y2) pixels → [K, PH, PW, C]. Float32 emulated step by step as in
 * torchvision's CPU kernel (roi_align_kernel.cpp). Used by the non-simd path and tests.
 */
export function roiAlignImpl(x: Float32Array, shape: [number, number, number, number], rois: Float32Array,
    ph: number, pw: number, spatialScale: number, samplingRatio: number, aligned: boolean): Float32Array {
  const [, H, W, C] = shape;
  const k = rois.length / 5;
  const out = new Float32Array(k * ph * pw * C);
  const off = aligned ? 0.5 : 0;
  const acc = new Float32Array(C);
  let o = 0;
  for (let r = 0; r < k; r++) {
    const xb = rois[r * 5] * H * W * C;
    const sw = f(rois[r * 5 + 1] * spatialScale - off), sh = f(rois[r * 5 + 2] * spatialScale - off);
    const ew = f(rois[r * 5 + 3] * spatialScale - off), eh = f(rois[r * 5 + 4] * spatialScale - off);
    let rw = f(ew - sw), rh = f(eh - sh);
    if (!aligned) { rw = Math.max(rw, 1); rh = Math.max(rh, 1); }
    const bh = f(rh / ph), bw = f(rw / pw);
    const gh = samplingRatio > 0 ? samplingRatio : Math.ceil(f(rh / ph));
    const gw = samplingRatio > 0 ? samplingRatio : Math.ceil(f(rw / pw));
    const count = Math.max(gh * gw, 1);
    for (let i = 0; i < ph; i++) {
      for (let j = 0; j < pw; j++) {
        acc.fill(0);
        for (let iy = 0; iy < gh; iy++) {
          const y0 = f(f(sh + f(i * bh)) + f(f((iy + 0.5) * bh) / gh));
          for (let ix = 0; ix < gw; ix++) {
            let xx = f(f(sw + f(j * bw)) + f(f((ix + 0.5) * bw) / gw));
            let yy = y0;
            if (yy < -1 || yy > H || xx < -1 || xx > W) continue;
            if (yy <= 0) yy = 0;
            if (xx <= 0) xx = 0;
            let yl = Math.trunc(yy), xl = Math.trunc(xx), yh: number, xh: number;
            if (yl >= H - 1) { yh = yl = H - 1; yy = yl; } else yh = yl + 1;
            if (xl >= W - 1) { xh = xl = W - 1; xx = xl; } else xh = xl + 1;
            const ly = f(yy - yl), lx = f(xx - xl), hy = f(1 - ly), hx = f(1 - lx);
            const w1 = f(hy * hx), w2 = f(hy * lx), w3 = f(ly * hx), w4 = f(ly * lx);
            const p1 = xb + (yl * W + xl) * C, p2 = xb + (yl * W + xh) * C;
            const p3 = xb + (yh * W + xl) * C, p4 = xb + (yh * W + xh) * C;
            for (let c = 0; c < C; c++) {
              const t = f(f(f(f(w1 * x[p1 + c]) + f(w2 * x[p2 + c])) + f(w3 * x[p3 + c])) + f(w4 * x[p4 + c]));
              acc[c] = acc[c] + t;  // Float32Array store rounds
            }
          }
        }
        for (let c = 0; c < C; c++) out[o + c] = acc[c] / count;
        o += C;
      }
    }
  }
  return out;
}

/** std::round: half away from zero. */
function roundAway(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

/**
 * Pure roi_pool over typed arrays: x NHWC [N, H, W, C], rois [K, 5] validated → [K, PH, PW, C].
 * torchvision roi_pool_kernel.cpp: rounded corners, bins floor/ceil, max from −FLT_MAX, empty bin 0.
 */
export function roiPoolImpl(x: Float32Array, shape: [number, number, number, number], rois: Float32Array,
    ph: number, pw: number, spatialScale: number): Float32Array {
  const [, H, W, C] = shape;
  const k = rois.length / 5;
  const out = new Float32Array(k * ph * pw * C);
  const lowest = -3.4028234663852886e38;
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  let o = 0;
  for (let r = 0; r < k; r++) {
    const xb = rois[r * 5] * H * W * C;
    const sw = roundAway(rois[r * 5 + 1] * spatialScale), sh = roundAway(rois[r * 5 + 2] * spatialScale);
    const ew = roundAway(rois[r * 5 + 3] * spatialScale), eh = roundAway(rois[r * 5 + 4] * spatialScale);
    const bh = f(Math.max(eh - sh + 1, 1) / ph), bw = f(Math.max(ew - sw + 1, 1) / pw);
    for (let i = 0; i < ph; i++) {
      const h0 = clamp(Math.floor(f(i * bh)) + sh, H), h1 = clamp(Math.ceil(f((i + 1) * bh)) + sh, H);
      for (let j = 0; j < pw; j++) {
        const w0 = clamp(Math.floor(f(j * bw)) + sw, W), w1 = clamp(Math.ceil(f((j + 1) * bw)) + sw, W);
        if (h1 <= h0 || w1 <= w0) { o += C; continue; }  // zeros
        for (let c = 0; c < C; c++) {
          let m = lowest;
          for (let y = h0; y < h1; y++) {
            for (let xx = w0; xx < w1; xx++) {
              const v = x[xb + (y * W + xx) * C + c];
              if (v > m) m = v;
            }
          }
          out[o + c] = m;
        }
        o += C;
      }
    }
  }
  return out;
}

/** Validated inputs of one roiAlign/roiPool call, before any compute. */
interface RoiCall { x0: tf.Tensor4D; shape: [number, number, number, number]; a: RoiArgs }

/** Validates features and RoIs (box / boxIndices tensors are read with dataSync). */
function prepareRoi(op: 'roiAlign' | 'roiPool', features: tf.Tensor, boxes: tf.Tensor | ArrayLike<number>, options: RoiOptions): RoiCall {
  const x0 = expectNHWC(features, op);
  const a = parseRois(op, x0.shape[0], boxes, options);
  return { x0, shape: x0.shape, a };
}

/** The computation of a prepared call; `data`: the float32 features already downloaded (non-simd). */
function computeRoi(op: 'roiAlign' | 'roiPool', x: tf.Tensor4D, shape: [number, number, number, number], a: RoiArgs,
    data: () => Float32Array): tf.Tensor4D {
  const [n, h, w, c] = shape;
  const backend = activeSimd(x);
  if (backend != null) {
    const roisT = tf.tensor2d(a.rois, [a.k, 5], 'float32');
    try {
      const out = backend.makeOutput([a.k, a.ph, a.pw, c], 'float32');
      if (op === 'roiAlign') {
        wasmFn(backend, 'roiAlign')(backend.ptr(x), backend.ptr(roisT), backend.ptr(out), n, h, w, c, a.k, a.ph, a.pw,
          a.scale, a.sr, a.aligned ? 1 : 0);
      } else {
        wasmFn(backend, 'roiPool')(backend.ptr(x), backend.ptr(roisT), backend.ptr(out), n, h, w, c, a.k, a.ph, a.pw, a.scale);
      }
      return fromNative(out, backend) as tf.Tensor4D;
    } finally {
      roisT.dispose();
    }
  }
  const y = op === 'roiAlign'
    ? roiAlignImpl(data(), shape, a.rois, a.ph, a.pw, a.scale, a.sr, a.aligned)
    : roiPoolImpl(data(), shape, a.rois, a.ph, a.pw, a.scale);
  return tf.tensor4d(y, [a.k, a.ph, a.pw, c]);
}

/** Empty RoI list / no channels: zeros; an empty spatial map with RoIs: an error. Else null. */
function trivialRoi(op: string, { x0, shape: [, h, w, c], a }: RoiCall): tf.Tensor4D | null {
  if (a.k === 0 || c === 0) return tf.zeros([a.k, a.ph, a.pw, c]) as tf.Tensor4D;
  if (h < 1 || w < 1) throw new Error(`${op}: features [${x0.shape.join(', ')}] have an empty spatial dimension`);
  return null;
}

function runRoi(op: 'roiAlign' | 'roiPool', features: tf.Tensor, boxes: tf.Tensor | ArrayLike<number>, options: RoiOptions): tf.Tensor4D {
  const call = prepareRoi(op, features, boxes, options);
  const t = trivialRoi(op, call);
  if (t != null) return t;
  const { x0, shape, a } = call;
  const x = (x0.dtype === 'float32' ? x0 : tf.cast(x0, 'float32')) as tf.Tensor4D;
  try {
    return computeRoi(op, x, shape, a, () => x.dataSync() as Float32Array);
  } finally {
    if (x !== x0) x.dispose();
  }
}

/**
 * runRoi without blocking downloads: box / boxIndices tensors and (off `simd`) the features are
 * read with `await data()`. On `simd` the native kernel reads the features in place.
 */
async function runRoiAsync(op: 'roiAlign' | 'roiPool', features: tf.Tensor, boxes: tf.Tensor | ArrayLike<number>,
    options: RoiOptions): Promise<tf.Tensor4D> {
  expectNHWC(features, op);
  let b: tf.Tensor | ArrayLike<number> = boxes;
  let o = options;
  if (boxes instanceof tf.Tensor) {
    const cols = o?.boxIndices != null ? 4 : 5;
    // a wrong shape throws the synchronous path's error (before anything is read)
    if (boxes.rank !== 2 || boxes.shape[1] !== cols) return runRoi(op, features, boxes, options);
    b = await boxes.data() as ArrayLike<number>;
  }
  if (o?.boxIndices instanceof tf.Tensor) o = { ...o, boxIndices: await o.boxIndices.data() as ArrayLike<number> };
  const call = prepareRoi(op, features, b, o);
  const t = trivialRoi(op, call);
  if (t != null) return t;
  const { x0, shape, a } = call;
  const x = (x0.dtype === 'float32' ? x0 : tf.cast(x0, 'float32')) as tf.Tensor4D;
  try {
    const data = activeSimd(x) != null ? null : await x.data() as Float32Array;
    return computeRoi(op, x, shape, a, () => data!);
  } finally {
    if (x !== x0) x.dispose();
  }
}

/**
 * torchvision `ops.roi_align(input, boxes, output_size, spatial_scale, sampling_ratio, aligned)`
 * on NHWC. features [N, H, W, C]; boxes [K, 5] (batchIdx, x1, y1, x2, y2) image pixels, or [K, 4]
 * with `options.boxIndices` [K]; a tf.Tensor or a flat array. Returns [K, PH, PW, C] float32:
 * each bin averages gridH×gridW bilinear samples at sub-bin centres; samples beyond −1 or H/W
 * count as 0, others are clamped to the map; non-aligned boxes are at least 1×1 feature pixel;
 * an aligned zero-area box gives 0 (no samples), as torchvision.
 * @throws for non-NHWC features, a bad outputSize/spatialScale/samplingRatio, a box with a
 *   non-finite or inverted corner or a batch index outside [0, N) (message names the RoI index),
 *   or more than 2^31 bilinear samples per channel in all (a huge samplingRatio or box).
 */
export function roiAlign(features: tf.Tensor, boxes: tf.Tensor | ArrayLike<number>, options: RoiOptions): tf.Tensor4D {
  return runRoi('roiAlign', features, boxes, options);
}

/**
 * torchvision `ops.roi_pool(input, boxes, output_size, spatial_scale)` on NHWC (Fast R-CNN
 * RoI max pooling). Same inputs as `roiAlign` (samplingRatio / aligned ignored). Box corners are
 * rounded to feature pixels (half away from zero), the RoI is at least 1×1, bin i covers
 * [floor(i·size/P), ceil((i+1)·size/P)) clamped to the map; empty bins give 0.
 * Returns [K, PH, PW, C] float32.
 * @throws as `roiAlign`.
 */
export function roiPool(features: tf.Tensor, boxes: tf.Tensor | ArrayLike<number>, options: RoiOptions): tf.Tensor4D {
  return runRoi('roiPool', features, boxes, options);
}

/**
 * {@link roiAlign} without blocking reads, for GPU backends (webgl) and async pipelines: the same
 * result, but box / boxIndices tensors and, off `simd`, the features are downloaded with
 * `await tensor.data()` instead of `dataSync()` (which stalls a page on webgl). On `simd` it is
 * the native kernel, as roiAlign. Resolves to [K, PH, PW, C] float32 (the caller owns it).
 * @throws (rejects) as `roiAlign`.
 */
export function roiAlignAsync(features: tf.Tensor, boxes: tf.Tensor | ArrayLike<number>, options: RoiOptions): Promise<tf.Tensor4D> {
  return runRoiAsync('roiAlign', features, boxes, options);
}

/** {@link roiPool} without blocking reads (see {@link roiAlignAsync}). @throws (rejects) as `roiAlign`. */
export function roiPoolAsync(features: tf.Tensor, boxes: tf.Tensor | ArrayLike<number>, options: RoiOptions): Promise<tf.Tensor4D> {
  return runRoiAsync('roiPool', features, boxes, options);
}
