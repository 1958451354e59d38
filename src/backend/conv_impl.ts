/**
 * Forward convolution glue shared by Conv2D and FusedConv2D: NHWC input [N, H, W, Cin] ×
 * HWIO filter [kh, kw, Cin, Cout] → NHWC output, geometry from
 * `backend_util.computeConv2DInfo` (so strides, dilations, 'same'/'valid'/numeric/explicit
 * padding and dimRoundingMode are exactly tfjs-backend-cpu's).
 *
 * Method (XNNPACK convolution-nhwc.c): the filter, viewed as B [kh·kw·Cin, Cout], is packed
 * once per filter tensor into 8-column panels (cached with `backend.packedFor`, freed with the
 * filter). A 1×1, stride-1, unpadded convolution is a plain GEMM on the input buffer
 * (assembly/gemm.ts gemm_f32). Every other one is an indirect GEMM (assembly/conv.ts): an
 * indirection buffer of input offsets per (4 output pixels, tap) — a zero row stands in for
 * taps in the padding, taps wholly in the padding are skipped, horizontally adjacent in-image
 * taps are merged into one contiguous run — built per chunk of output pixels in scratch
 * memory, then conv2d_f32 over it. A convolution with a short kernel row of input values
 * (kw·Cin ≤ convTuning.directMaxRow: Cin = 1…6 with 5×5 filters, the 7×7 RGB stem) skips the
 * indirection buffer: conv2d_direct_f32 walks each pixel's window in place, clipped to the
 * image (useDirect). Bias and activation are fused into the epilogue (gemm_impl.ts
 * planEpilogue).
 *
 * Numerics: sums run in a different order than tfjs-backend-cpu's (bias first, taps grouped),
 * so results agree to float32 rounding, not bit for bit. Padding taps of a tile with at least
 * one in-image pixel multiply the zero row, which with a non-finite filter weight (Inf/NaN)
 * would give NaN where cpu, which skips padding taps, stays finite (XNNPACK/tfjs-wasm have this
 * difference): the kernels ask `zeroRowUnsafe` and delegate those rare calls to cpu. The direct
 * path reads no zero row (it skips padding taps as cpu does), so it is never delegated.
 */
import { backend_util, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from './backend_simd';
import { wasmFn } from './kernel_utils';
import { EpiloguePlan, fillWithEpilogue, gemm, NR, packedMatrix, writeEpilogueParams } from './gemm_impl';

/** Output pixels per indirection chunk (a multiple of 4), and the chunk's buffer size bound
 * (≤ 1 + 24·taps bytes per pixel: 2048 pixels of a 3×3 filter take 110 KiB, in L2). */
const PIXELS_PER_CHUNK = 2048;
const INDIRECTION_BYTES = 4 << 20;

/**
 * Which convolutions the direct kernel (assembly/conv.ts conv2d_direct_f32) computes instead of
 * the indirect GEMM: those whose kernel row of input values, kw·cin floats, is at most
 * `directMaxRow` (LeNet's Cin = 1 and 6 with 5×5 filters, the 7×7 RGB stem). For them the
 * indirection buffer, built per 4 pixels and tap run, costs as much as the multiply-adds.
 * Mutable for tests and benchmarks (0 sends every convolution to the indirect GEMM).
 */
export const convTuning = { directMaxRow: 32 };

/** Whether conv2dImpl takes the direct path for input depth cin and filter width kw. */
export function useDirect(cin: number, kw: number): boolean {
  return cin * kw <= convTuning.directMaxRow;
}

/**
 * True when this convolution has padding and its filter holds a non-finite value (then 0·w in
 * the zero row would be NaN, unlike cpu's skipped taps). The filter scan runs once per filter
 * tensor: its result is cached next to the packed filter and freed with it.
 */
export function zeroRowUnsafe(backend: BackendSimd, filter: TensorInfo, info: backend_util.Conv2DInfo): boolean {
  const { top, bottom, left, right } = info.padInfo;
  if (top === 0 && bottom === 0 && left === 0 && right === 0) return false;
  if (useDirect(info.inChannels, info.filterWidth)) return false; // skips padding taps, as cpu
  const flag = backend.packedFor(filter.dataId, 'conv-filter-finite', 4, ptr => {
    const w = backend.view(filter) as Float32Array;
    let finite = 1;
    for (let i = 0; i < w.length; i++) {
      if (w[i] - w[i] !== 0) { finite = 0; break; } // NaN for ±Inf and NaN
    }
    backend.heap.i32()[ptr >>> 2] = finite;
  });
  return backend.heap.i32()[flag >>> 2] === 0;
}

/**
 * y = epilogue(conv2d(x, filter)) as described above, for float32 NHWC tensors already
 * validated by the calling kernel (x rank 4 with x.shape[3] = filter.shape[2], filter rank 4).
 * Returns a new tensor of shape convInfo.outShape; frees every scratch block (and the output
 * on error).
 */
export function conv2dImpl(backend: BackendSimd, x: TensorInfo, filter: TensorInfo,
    info: backend_util.Conv2DInfo, plan: EpiloguePlan): TensorInfo {
  const {
    batchSize, inHeight, inWidth, inChannels: cin, outHeight, outWidth, outChannels: n,
    filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw,
    dilationHeight: dh, dilationWidth: dw, padInfo,
  } = info;
  const y = backend.makeOutput(info.outShape, 'float32');
  const m = batchSize * outHeight * outWidth;
  if (m * n === 0) return y;
  const k = kh * kw * cin;
  const scratch: number[] = [];
  try {
    if (k === 0 || util.sizeFromShape(x.shape) === 0) {
      // No input values reach the output: it is act(bias) everywhere.
      fillWithEpilogue(backend, y, m, n, plan);
      return y;
    }
    const xPtr = backend.ptr(x), yPtr = backend.ptr(y);
    const w = packedMatrix(backend, filter, backend.ptr(filter), k, n, false);
    const params = writeEpilogueParams(backend, plan, n);
    scratch.push(params);
    const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 &&
        padInfo.top === 0 && padInfo.left === 0 && padInfo.bottom === 0 && padInfo.right === 0;
    if (pointwise) {
      gemm(backend, m, n, cin, xPtr, cin, w, params, plan, yPtr, n);
      return y;
    }
    if (useDirect(cin, kw)) {
      const args = [inHeight, inWidth, cin, outHeight, outWidth, kh, kw, sh, sw, dh, dw, padInfo.top, padInfo.left,
        n, xPtr, w, k * NR * 4, params, params + Math.ceil(n / NR) * NR * 4, yPtr, plan.act, Math.fround(plan.lo),
        Math.fround(plan.hi)];
      if (backend.threads !== null && backend.threads.conv2dDirect(batchSize * outHeight, 2 * m * n * k, args)) {
        return y; // split over worker threads in ranges of output rows (threads.ts)
      }
      wasmFn(backend, 'conv2d_direct_f32')(batchSize, ...args);
      return y;
    }
    const taps = kh * kw;
    const fit = Math.floor(INDIRECTION_BYTES / (1 + 24 * taps) / 4) * 4;
    const chunk = Math.min(m, Math.max(4, Math.min(PIXELS_PER_CHUNK, fit)));
    const indirectionBytes = (wasmFn(backend, 'conv2d_indirection_bytes')(chunk, taps) as number) >>> 0;
    const indirection = backend.scratch(indirectionBytes);
    scratch.push(indirection);
    const zero = backend.scratch(cin * 4);
    scratch.push(zero);
    backend.heap.f32().fill(0, zero >>> 2, (zero >>> 2) + cin);
    const build = wasmFn(backend, 'conv2d_indirection');
    const run = wasmFn(backend, 'conv2d_f32');
    const np = Math.ceil(n / NR) * NR;
    const zeroRel = (zero - xPtr) >>> 0; // the kernel adds x back, modulo 2^32
    if (backend.threads !== null && backend.threads.conv2d(info, m, n, k, chunk, indirectionBytes, xPtr, w, params,
        yPtr, zeroRel, indirection, plan)) return y; // split over worker threads (threads.ts)
    for (let m0 = 0; m0 < m; m0 += chunk) {
      const count = Math.min(chunk, m - m0);
      build(inHeight, inWidth, cin, outHeight, outWidth, kh, kw, sh, sw, dh, dw, padInfo.top, padInfo.left,
          m0, count, zeroRel, indirection);
      run(count, n, indirection, xPtr, w, k * NR * 4, params, params + np * 4, yPtr + m0 * n * 4, n * 4,
          plan.act, Math.fround(plan.lo), Math.fround(plan.hi));
    }
    return y;
  } catch (e) {
    backend.disposeIntermediateTensorInfo(y);
    throw e;
  } finally {
    for (const p of scratch) backend.freeScratch(p);
  }
}
