/**
 * The two convolution gradients on the simd heap, shared by kernels/Conv2DBackpropInput.ts and
 * kernels/Conv2DBackpropFilter.ts: shape checks against tfjs' `Conv2DInfo`, the zero-padded
 * copies that keep bounds tests out of the SIMD loops (spatial borders, channels to the tile
 * widths), the calls into assembly/conv_backprop.ts, and the cleanup of every temporary.
 * Layouts are tfjs' NHWC activations and HWIO filters ([kh, kw, inC, outC]).
 */
import { backend_util, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from './backend_simd';
import { wasmFn } from './kernel_utils';

const ceilTo = (v: number, m: number) => Math.ceil(v / m) * m;
const fmt = (s: readonly number[]) => `[${s.join(',')}]`;

/**
 * Checks what `backend_util.computeConv2DInfo` does not: positive integer strides, non-negative
 * output sizes, integer pads. Throws `Error("<kernel>: ...")`.
 */
export function checkConvInfo(kernel: string, info: backend_util.Conv2DInfo): void {
  const { strideHeight: sh, strideWidth: sw, outHeight, outWidth, padInfo } = info;
  if (!(Number.isInteger(sh) && sh >= 1 && Number.isInteger(sw) && sw >= 1)) {
    throw new Error(`${kernel}: strides must be positive integers, got [${sh},${sw}]`);
  }
  if (!(Number.isInteger(padInfo.top) && Number.isInteger(padInfo.left))) {
    throw new Error(`${kernel}: pads must be integers, got top ${padInfo.top}, left ${padInfo.left}`);
  }
  if (!(outHeight >= 0 && outWidth >= 0)) {
    throw new Error(`${kernel}: the convolution has no valid output size (${outHeight}×${outWidth}) for input ` +
        `${info.inHeight}×${info.inWidth}, filter ${info.filterHeight}×${info.filterWidth}, ` +
        `strides [${sh},${sw}] and pad ${JSON.stringify(padInfo)}`);
  }
}

/**
 * Checks dy against the convolution `info` describes: [N, outH', outW', outC] with
 * outH' ≥ outH and outW' ≥ outW. A larger dy is read through its top-left outH×outW window, as
 * tfjs-backend-cpu does (tfjs-core's conv2dTranspose spec "input=8x8x8,output=4x4x8" relies on it).
 * Throws `Error("<kernel>: dy must have shape [...] ..., got [...]")` otherwise.
 */
export function checkDy(kernel: string, info: backend_util.Conv2DInfo, dy: TensorInfo): void {
  const { batchSize: n, outHeight, outWidth, outChannels: co } = info;
  const [dn, dh, dw, dc] = dy.shape;
  if (!(dy.shape.length === 4 && dn === n && dc === co && dh >= outHeight && dw >= outWidth)) {
    throw new Error(`${kernel}: dy must have shape ${fmt([n, outHeight, outWidth, co])} (the output of the ` +
        `convolution; larger heights/widths are cropped as on cpu), got ${fmt(dy.shape)}`);
  }
}

/** Allocates an output, runs `fill(out)`, and frees the output again if `fill` throws. */
function withOutput(backend: BackendSimd, shape: number[], fill: (out: TensorInfo) => void): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  try {
    fill(out);
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  }
  return out;
}

/** Zeroes `floats` floats at heap offset `ptr`. */
function zeroFill(backend: BackendSimd, ptr: number, floats: number): void {
  if (floats > 0) new Float32Array(backend.heap.memory.buffer, ptr, floats).fill(0);
}

/**
 * Columns of dy (in the conv's output coordinates) that conv2dBackpropInputNhwc reads for a dx
 * row: per phase px < min(sw, w) with taps, the runs of adjacent dy pixels from
 * (px + pl − rx)/sw − (nkx − 1) to (px + pl − rx)/sw + (pixels of the phase − 1).
 * Returns [first, last], or null when no phase meets a tap.
 */
function dyColumnsRead(w: number, kw: number, sw: number, pl: number): [number, number] | null {
  let first = Infinity, last = -Infinity;
  for (let px = 0; px < Math.min(sw, w); px++) {
    const rx = ((px + pl) % sw + sw) % sw;
    const nkx = rx < kw ? Math.ceil((kw - rx) / sw) : 0;
    if (nkx === 0) continue;
    const base = (px + pl - rx) / sw;
    first = Math.min(first, base - (nkx - 1));
    last = Math.max(last, base + Math.ceil((w - px) / sw) - 1);
  }
  return first <= last ? [first, last] : null;
}

/**
 * dx = ∂(conv2d(x, filter))/∂x contracted with dy, as float32 NHWC [N, H, W, inC]; also the
 * forward of conv2dTranspose. `dy` [N, outH', outW', outC] and `filter` [kh, kw, inC, outC] must be
 * float32 and already checked against `info` (checkConvInfo, checkDy; filter's inC/outC).
 * The filter is packed once per filter tensor and strides (taps grouped by stride phase,
 * transposed to [inC/8][…][outC][8] panels; cached with `backend.packedFor`, freed with the
 * filter). dy is copied with zero columns on the sides only when a phase's taps reach past
 * its edges. dilations are 1 (tfjs' kernel has none).
 * Algorithm: sub-convolutions per stride phase (assembly/conv_backprop.ts conv2dBackpropInputNhwc).
 */
export function conv2dBackpropInputImpl(backend: BackendSimd, dy: TensorInfo, filter: TensorInfo,
    info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo,
    outChannels: co, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top: pt, left: pl } = info.padInfo;
  const shape = [n, h, w, ci];
  const dxSize = util.sizeFromShape(shape);
  return withOutput(backend, shape, dx => {
    if (dxSize === 0) return;
    if (co === 0 || kh === 0 || kw === 0 || ho === 0 || wo === 0) {
      zeroFill(backend, backend.ptr(dx), dxSize);
      return;
    }
    const ciP = ceilTo(ci, 8);
    const wp = backend.packedFor(filter.dataId, `Conv2DBackpropInput:${sh}x${sw}:${fmt(filter.shape)}`,
        kh * kw * ciP * co * 4,
        ptr => wasmFn(backend, 'convBackpropPackFilterPhases')(backend.ptr(filter), ptr, kh, kw, ci, co, sh, sw));
    const [, dyH, dyW] = dy.shape;
    const cols = dyColumnsRead(w, kw, sw, pl) ?? [0, 0];
    const left = Math.max(0, -cols[0]);
    const padDy = left > 0 || cols[1] > wo - 1;
    const dyWp = left + Math.max(wo, cols[1] + 1);
    const padDx = ciP !== ci;
    let dyp = 0, dxp = 0;
    try {
      dyp = padDy ? backend.scratch(n * ho * dyWp * co * 4) : backend.ptr(dy);
      dxp = padDx ? backend.scratch(n * h * w * ciP * 4) : backend.ptr(dx);
      if (padDy) {
        wasmFn(backend, 'convBackpropPadSpatial')(backend.ptr(dy), dyH, dyW, dyp, n, co, ho, wo, ho, dyWp, 0, left);
      }
      const args = [dyp, padDy ? ho : dyH, padDy ? dyWp : dyW, padDy ? left : 0, wp, dxp, n, h, w, ciP, ho, co,
        kh, kw, sh, sw, pt, pl];
      // Split over worker threads in ranges of dx rows where enabled (threads.ts).
      const flops = 2 * n * h * w * ciP * kh * kw * co / (sh * sw);
      if (backend.threads === null || !backend.threads.conv2dBackpropInput(args, flops)) {
        wasmFn(backend, 'conv2dBackpropInputNhwc')(...args);
      }
      if (padDx) {
        wasmFn(backend, 'convBackpropCropChannels')(dxp, backend.ptr(dx), 1, n * h * w, n * h * w, ci, ciP);
      }
    } finally {
      if (padDy) backend.freeScratch(dyp);
      if (padDx) backend.freeScratch(dxp);
    }
  });
}

/**
 * dw = ∂(conv2d(x, w))/∂w contracted with dy, as float32 HWIO [kh, kw, inC, outC]. `x`
 * [N, H, W, inC] and `dy` [N, outH', outW', outC] must be float32 and already checked against
 * `info` (checkConvInfo, checkDy). x is copied zero-padded by the conv's pads (unless no pad is
 * needed and kw·inC is a multiple of 4), dy with outC padded to a multiple of 8 (unless it is one).
 * Algorithm: per filter row, a (kw·inC) × outC GEMM over the output pixels in 4×8 register
 * tiles (assembly/conv_backprop.ts conv2dBackpropFilterNhwc).
 */
export function conv2dBackpropFilterImpl(backend: BackendSimd, x: TensorInfo, dy: TensorInfo,
    info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo,
    outChannels: co, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top: pt, left: pl } = info.padInfo;
  const shape = [kh, kw, ci, co];
  const dwSize = util.sizeFromShape(shape);
  return withOutput(backend, shape, dw => {
    if (dwSize === 0) return;
    if (n * h * w === 0 || ho * wo === 0) {
      zeroFill(backend, backend.ptr(dw), dwSize);
      return;
    }
    const m = kw * ci, mP = ceilTo(m, 4), coP = ceilTo(co, 8);
    // rows/columns of padded x the conv reads
    const hp = (ho - 1) * sh + kh, wpx = (wo - 1) * sw + kw;
    const padX = pt !== 0 || pl !== 0 || hp > h || wpx > w || mP !== m;
    const padDy = coP !== co, padDw = mP !== m || coP !== co;
    const [, dyH, dyW] = dy.shape;
    const xBytes = n * hp * wpx * ci * 4;
    let xp = 0, dyp = 0, dwp = 0;
    try {
      xp = padX ? backend.scratch(xBytes + 16) : backend.ptr(x);  // +16: the last 4-row tile may read past M
      dyp = padDy ? backend.scratch(n * dyH * dyW * coP * 4) : backend.ptr(dy);
      dwp = padDw ? backend.scratch(kh * mP * coP * 4) : backend.ptr(dw);
      if (padX) {
        wasmFn(backend, 'convBackpropPadSpatial')(backend.ptr(x), h, w, xp, n, ci, h, w, hp, wpx, pt, pl);
        zeroFill(backend, xp + xBytes, 4);
      }
      if (padDy) wasmFn(backend, 'convBackpropPadChannels')(backend.ptr(dy), dyp, n * dyH * dyW, co, coP);
      const args = [xp, padX ? hp : h, padX ? wpx : w, dyp, dyH, dyW, dwp, n, ci, ho, wo, coP, kh, kw, sh, sw, 0, mP];
      // Split over worker threads in ranges of dw rows (kw·inC) where enabled (threads.ts).
      if (backend.threads === null || !backend.threads.conv2dBackpropFilter(args, 2 * n * ho * wo * kh * m * co)) {
        wasmFn(backend, 'conv2dBackpropFilterNhwc')(...args);
      }
      if (padDw) wasmFn(backend, 'convBackpropCropChannels')(dwp, backend.ptr(dw), kh, m, mP, co, coP);
    } finally {
      if (padX) backend.freeScratch(xp);
      if (padDy) backend.freeScratch(dyp);
      if (padDw) backend.freeScratch(dwp);
    }
  });
}
