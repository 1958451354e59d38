/**
 * 2-D pooling on the `simd` backend, given a pooling geometry (`backend_util.Conv2DInfo`, as
 * made by `backend_util.computePool2DInfo`): the glue between the tfjs kernels
 * (kernels/MaxPool.ts, AvgPool.ts, MaxPoolGrad.ts, AvgPoolGrad.ts), simdnet's own
 * PyTorch-semantics ops (src/ops/: count_include_pad) and the wasm exports of
 * assembly/pool.ts (`maxPool2d`, `avgPool2d`, `maxPoolGrad2d`, `avgPoolGrad2d`).
 *
 * Layout: NHWC float32 only (`convInfo.dataFormat === 'channelsLast'`). A window of output
 * (oh, ow) covers input rows oh*strideHeight - padInfo.top + i*dilationHeight (0 <= i <
 * filterHeight) and likewise columns; taps outside the input are padding and skipped.
 * Every function validates its tensors and the geometry in JS before allocating (errors
 * name the caller, the tensor and expected vs actual), so no shape can make the wasm trap;
 * tensors with zero elements are handled here without calling wasm.
 */
import { backend_util, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from './backend_simd';
import { wasmFn } from './kernel_utils';

/** Pooling geometry: tfjs' `Conv2DInfo` from `backend_util.computePool2DInfo`. */
export type PoolInfo = backend_util.Conv2DInfo;

/**
 * What an average divides by:
 * - `'valid'`: the number of in-bounds taps (tfjs `avgPool`; PyTorch count_include_pad=False);
 * - `'padded'`: the taps inside the padded input, i.e. the window clipped to
 *   [-pad.top, inHeight + pad.bottom) × [-pad.left, inWidth + pad.right) (PyTorch
 *   count_include_pad=True, including its clipping of ceil_mode windows);
 * - `'filter'`: filterHeight × filterWidth (tfjs-backend-cpu `AvgPoolGrad`).
 */
export type AvgDivisor = 'valid' | 'padded' | 'filter';

/** `mode` argument of the wasm exports (assembly/pool.ts AVG_COUNT_*). */
const DIVISOR_MODE: Record<AvgDivisor, number> = { valid: 0, padded: 1, filter: 2 };

const I32_MAX = 2 ** 31 - 1;

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/**
 * Checks that `info` is a geometry the wasm kernels accept: NHWC, integer sizes (outputs
 * >= 0; filter, strides, dilations >= 1), integer pads, and window coordinates that fit i32.
 * Throws `Error("<kernel>: ...")` naming the offending field and its value.
 */
export function checkPoolInfo(kernel: string, info: PoolInfo): void {
  if (info.dataFormat !== 'channelsLast') {
    throw new Error(`${kernel}: only NHWC (channelsLast) pooling is native, got dataFormat '${info.dataFormat}'`);
  }
  const nonNeg = { batchSize: info.batchSize, inHeight: info.inHeight, inWidth: info.inWidth,
    inChannels: info.inChannels, outHeight: info.outHeight, outWidth: info.outWidth };
  for (const [k, v] of Object.entries(nonNeg)) {
    if (!isInt(v) || v < 0) {
      throw new Error(`${kernel}: ${k} must be an integer >= 0, got ${v} (input [${info.inShape}], ` +
          `output [${info.outShape}]; is the filter larger than the padded input?)`);
    }
  }
  const positive = { filterHeight: info.filterHeight, filterWidth: info.filterWidth,
    strideHeight: info.strideHeight, strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight, dilationWidth: info.dilationWidth };
  for (const [k, v] of Object.entries(positive)) {
    if (!isInt(v) || v < 1) throw new Error(`${kernel}: ${k} must be an integer >= 1, got ${v}`);
  }
  const { top, bottom, left, right } = info.padInfo;
  for (const [k, v] of Object.entries({ top, bottom, left, right })) {
    if (!isInt(v)) throw new Error(`${kernel}: pad ${k} must be an integer, got ${v}`);
  }
  if (info.outChannels !== info.inChannels) {
    throw new Error(`${kernel}: pooling keeps the channel count, but convInfo has inChannels ` +
        `${info.inChannels} and outChannels ${info.outChannels}`);
  }
  // Window coordinates (and padded extents) are i32 in the wasm kernels.
  const reachH = Math.max(0, info.outHeight - 1) * info.strideHeight + Math.abs(top) + Math.abs(bottom) +
      (info.filterHeight - 1) * info.dilationHeight + info.inHeight;
  const reachW = Math.max(0, info.outWidth - 1) * info.strideWidth + Math.abs(left) + Math.abs(right) +
      (info.filterWidth - 1) * info.dilationWidth + info.inWidth;
  if (!(reachH < I32_MAX && reachW < I32_MAX && info.filterHeight * info.filterWidth <= I32_MAX)) {
    throw new Error(`${kernel}: pooling geometry too large for 32-bit window coordinates ` +
        `(input [${info.inShape}], filter ${info.filterHeight}x${info.filterWidth}, strides ` +
        `${info.strideHeight}x${info.strideWidth}, pads ${top}/${bottom}/${left}/${right})`);
  }
}

/** Throws unless `t` is a rank-4 float32 tensor of shape `want`. */
function checkTensor(kernel: string, name: string, t: TensorInfo | undefined, want: number[]): TensorInfo {
  if (t == null) throw new Error(`${kernel}: input '${name}' is missing`);
  if (t.dtype !== 'float32') throw new Error(`${kernel}: ${name} must have dtype float32, got ${t.dtype}`);
  if (!util.arraysEqual(t.shape, want)) {
    throw new Error(`${kernel}: ${name} must have shape [${want}] (NHWC), got [${t.shape}]`);
  }
  return t;
}

/**
 * Throws unless dy is float32 [batch, >= outHeight, >= outWidth, channels]. A dy larger than
 * the output is accepted and only its leading outHeight × outWidth block is read, as
 * tfjs-backend-cpu does: tfjs' MaxPool/AvgPool gradients recompute the geometry without
 * `dimRoundingMode`, which can shrink the output by a row/column relative to the forward dy.
 */
function checkDy(kernel: string, dy: TensorInfo | undefined, info: PoolInfo): TensorInfo {
  if (dy == null) throw new Error(`${kernel}: input 'dy' is missing`);
  if (dy.dtype !== 'float32') throw new Error(`${kernel}: dy must have dtype float32, got ${dy.dtype}`);
  const s = dy.shape;
  if (s.length !== 4 || s[0] !== info.batchSize || s[3] !== info.inChannels ||
      !(s[1] >= info.outHeight) || !(s[2] >= info.outWidth)) {
    throw new Error(`${kernel}: dy must have shape [${info.outShape}] (the pooled output, NHWC), got [${s}]`);
  }
  return dy;
}

/** Number of taps k in [0, f) with 0 <= corner + k*d < n (JS twin of assembly tapBegin/tapEnd). */
function tapCount(corner: number, d: number, f: number, n: number): number {
  const begin = corner >= 0 ? 0 : Math.floor((d - 1 - corner) / d);
  const end = corner >= n ? 0 : Math.min(f, Math.floor((n - 1 - corner) / d) + 1);
  return Math.max(0, end - begin);
}

/** Geometry arguments shared by the wasm exports, after (batch, inH, inW, C, outH, outW). */
function windowArgs(info: PoolInfo): number[] {
  return [info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth,
    info.dilationHeight, info.dilationWidth];
}

/**
 * Max pooling (tfjs `MaxPool` semantics, tfjs-backend-cpu utils/pool_utils.ts `pool`):
 * x [N, inH, inW, C] float32 → [N, outH, outW, C] = convInfo.outShape. NaN inputs are ignored;
 * a window whose taps are all NaN / -Infinity, or that has no in-bounds tap (explicit padding
 * larger than the filter), gives -Infinity. No identity shortcut here (kernels/MaxPool.ts has
 * cpu's). SIMD over channels (assembly/pool.ts `maxPool2d`, XNNPACK f32-maxpool technique).
 * @throws Error if x is not float32 of shape convInfo.inShape, or the geometry is invalid.
 */
export function maxPoolImpl(backend: BackendSimd, x: TensorInfo, convInfo: PoolInfo): TensorInfo {
  const kernel = 'MaxPool';
  checkPoolInfo(kernel, convInfo);
  checkTensor(kernel, 'x', x, convInfo.inShape);
  const out = backend.makeOutput(convInfo.outShape, 'float32');
  if (util.sizeFromShape(convInfo.outShape) === 0) return out;
  if (util.sizeFromShape(x.shape) === 0) {
    backend.view(out).fill(-Infinity);  // inH or inW is 0: every window is empty
    return out;
  }
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, padInfo } = convInfo;
  const args = [backend.ptr(x), backend.ptr(out), batchSize, inHeight, inWidth, inChannels,
    outHeight, outWidth, ...windowArgs(convInfo), padInfo.top, padInfo.left];
  // Split over worker threads in ranges of output rows where enabled (threads.ts).
  if (backend.threads === null || !backend.threads.maxPool2d(args)) wasmFn(backend, 'maxPool2d')(...args);
  return out;
}

/** Options of `avgPoolImpl`. */
export interface AvgPoolOptions {
  /**
   * PyTorch `count_include_pad`: true divides by the window clipped to the padded input
   * (divisor `'padded'`), false (default, tfjs semantics) by the in-bounds taps (`'valid'`).
   */
  countIncludePad?: boolean;
}

/**
 * Average pooling: x [N, inH, inW, C] float32 → convInfo.outShape, each output = (sum of the
 * window's in-bounds taps) × 1/divisor. Default divisor: the in-bounds tap count (tfjs
 * `AvgPool`, tfjs-backend-cpu pool_utils.ts; PyTorch count_include_pad=False; a window
 * without in-bounds taps gives NaN = 0/0, as on cpu). `{countIncludePad: true}`: PyTorch
 * `avg_pool2d(count_include_pad=True)`: the divisor counts taps inside the padded input
 * (rows [-pad.top, inH + pad.bottom), columns likewise), so zero padding lowers border
 * averages; windows that ceil rounding pushes past the padded input are clipped like PyTorch
 * clips them. For PyTorch padding p, pass explicit pads [[0,0],[p,p],[p,p],[0,0]].
 * SIMD over channels (assembly/pool.ts `avgPool2d`). Used by kernels/AvgPool.ts and src/ops/.
 * @throws Error if x is not float32 of shape convInfo.inShape, or the geometry is invalid.
 */
export function avgPoolImpl(backend: BackendSimd, x: TensorInfo, convInfo: PoolInfo,
    { countIncludePad = false }: AvgPoolOptions = {}): TensorInfo {
  const kernel = 'AvgPool';
  checkPoolInfo(kernel, convInfo);
  checkTensor(kernel, 'x', x, convInfo.inShape);
  const divisor: AvgDivisor = countIncludePad ? 'padded' : 'valid';
  const out = backend.makeOutput(convInfo.outShape, 'float32');
  if (util.sizeFromShape(convInfo.outShape) === 0) return out;
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, padInfo } = convInfo;
  if (util.sizeFromShape(x.shape) === 0) {
    // inH or inW is 0: every sum is 0; 0/0 = NaN unless the padded window has taps.
    const y = backend.view(out) as Float32Array;
    let o = 0;
    for (let b = 0; b < batchSize; b++) {
      for (let oh = 0; oh < outHeight; oh++) {
        const pr = tapCount(oh * convInfo.strideHeight, convInfo.dilationHeight, convInfo.filterHeight,
            inHeight + padInfo.top + padInfo.bottom);
        for (let ow = 0; ow < outWidth; ow++) {
          const pc = tapCount(ow * convInfo.strideWidth, convInfo.dilationWidth, convInfo.filterWidth,
              inWidth + padInfo.left + padInfo.right);
          y.fill(divisor === 'padded' && pr * pc > 0 ? 0 : NaN, o, o + inChannels);
          o += inChannels;
        }
      }
    }
    return out;
  }
  wasmFn(backend, 'avgPool2d')(backend.ptr(x), backend.ptr(out), batchSize, inHeight, inWidth, inChannels,
      outHeight, outWidth, ...windowArgs(convInfo), padInfo.top, padInfo.left, padInfo.bottom, padInfo.right,
      DIVISOR_MODE[divisor]);
  return out;
}

/**
 * Gradient of max pooling (tfjs `MaxPoolGrad`, tfjs-backend-cpu kernels/MaxPoolGrad.ts with
 * pool_utils.ts `maxPoolPositions`): dx has x's shape, zero except that each output pixel's dy
 * goes to the FIRST tap in window scan order (row-major) holding the window max (strict `>`
 * scan, NaN ignored); windows whose max is -Infinity pass nothing. Contributions of
 * overlapping windows add up. dy: [N, outH, outW, C] (a larger dy is read in its leading
 * outH × outW block, as cpu does). SIMD over channels (assembly/pool.ts `maxPoolGrad2d`).
 * @throws Error if x / dy have the wrong dtype or shape, or the geometry is invalid.
 */
export function maxPoolGradImpl(backend: BackendSimd, dy: TensorInfo, x: TensorInfo, convInfo: PoolInfo): TensorInfo {
  const kernel = 'MaxPoolGrad';
  checkPoolInfo(kernel, convInfo);
  checkTensor(kernel, 'input', x, convInfo.inShape);
  checkDy(kernel, dy, convInfo);
  if (util.sizeFromShape(x.shape) * 4 > I32_MAX) {  // argmax tap offsets are i32 in the kernel
    throw new Error(`${kernel}: input [${x.shape}] exceeds the 2 GiB the native kernel addresses`);
  }
  const dx = backend.makeOutput(convInfo.inShape, 'float32');
  if (util.sizeFromShape(convInfo.inShape) === 0) return dx;
  if (util.sizeFromShape(convInfo.outShape) === 0) {
    backend.view(dx).fill(0);
    return dx;
  }
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, padInfo } = convInfo;
  wasmFn(backend, 'maxPoolGrad2d')(backend.ptr(x), backend.ptr(dy), backend.ptr(dx), batchSize, inHeight,
      inWidth, inChannels, outHeight, outWidth, dy.shape[1], dy.shape[2], ...windowArgs(convInfo),
      padInfo.top, padInfo.left);
  return dx;
}

/** Options of `avgPoolGradImpl`. */
export interface AvgPoolGradOptions {
  /**
   * Divisor of each window (see `AvgDivisor`). Default `'filter'` = tfjs-backend-cpu
   * `AvgPoolGrad`; `'valid'` is the exact gradient of `avgPoolImpl` default,
   * `'padded'` that of `avgPoolImpl(..., {countIncludePad: true})`.
   */
  divisor?: AvgDivisor;
}

/**
 * Gradient of average pooling: dx [N, inH, inW, C] = convInfo.inShape, zero, plus for every
 * output pixel dy × 1/divisor added to each in-bounds tap of its window. The default divisor,
 * filterHeight × filterWidth, is tfjs-backend-cpu `AvgPoolGrad`'s (kernels/AvgPoolGrad.ts:
 * `avgMultiplier = 1 / (filterHeight * filterWidth)`, even for border windows the forward
 * divided by fewer taps). dy: [N, outH, outW, C] (a larger dy is read in its leading block).
 * SIMD over channels (assembly/pool.ts `avgPoolGrad2d`).
 * @throws Error if dy has the wrong dtype or shape, or the geometry is invalid.
 */
export function avgPoolGradImpl(backend: BackendSimd, dy: TensorInfo, convInfo: PoolInfo,
    { divisor = 'filter' }: AvgPoolGradOptions = {}): TensorInfo {
  const kernel = 'AvgPoolGrad';
  checkPoolInfo(kernel, convInfo);
  checkDy(kernel, dy, convInfo);
  if (!(divisor in DIVISOR_MODE)) {
    throw new Error(`${kernel}: divisor must be 'valid', 'padded' or 'filter', got '${divisor}'`);
  }
  const dx = backend.makeOutput(convInfo.inShape, 'float32');
  if (util.sizeFromShape(convInfo.inShape) === 0) return dx;
  if (util.sizeFromShape(convInfo.outShape) === 0) {
    backend.view(dx).fill(0);
    return dx;
  }
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, padInfo } = convInfo;
  wasmFn(backend, 'avgPoolGrad2d')(backend.ptr(dy), backend.ptr(dx), batchSize, inHeight, inWidth, inChannels,
      outHeight, outWidth, dy.shape[1], dy.shape[2], ...windowArgs(convInfo),
      padInfo.top, padInfo.left, padInfo.bottom, padInfo.right, DIVISOR_MODE[divisor]);
  return dx;
}
