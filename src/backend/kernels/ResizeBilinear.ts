import { KernelConfig, KernelFunc, NamedAttrMap, ResizeBilinear, ResizeBilinearAttrs, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { assertRank, wasmFn } from '../kernel_utils';

/**
 * Source taps of bilinear resize along one axis, one entry per output index: `lo` / `hi` the
 * two source indices (floor clamped to >= 0, ceil clamped to <= inSize-1) and `frac` the
 * weight of `hi` (source coordinate minus `lo`). Computed in f64 exactly as
 * tfjs-backend-cpu kernels/ResizeBilinear.ts: src = ratio*(dst+0.5)-0.5 with halfPixelCenters,
 * else ratio*dst; ratio = (in-1)/(out-1) with alignCorners and out > 1, else in/out.
 * `ratioOverride` replaces the ratio (PyTorch's scale_factor rule uses 1/scale; src/ops/interpolate.ts).
 * @throws Error if a size is not a non-negative integer.
 */
export function bilinearTaps(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean,
    ratioOverride?: number): { lo: Int32Array; hi: Int32Array; frac: Float64Array } {
  for (const [k, v] of [['inSize', inSize], ['outSize', outSize]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`ResizeBilinear: ${k} must be an integer >= 0, got ${v}`);
  }
  const ratio = ratioOverride ?? ((alignCorners && outSize > 1) ? (inSize - 1) / (outSize - 1) : inSize / outSize);
  const lo = new Int32Array(outSize), hi = new Int32Array(outSize), frac = new Float64Array(outSize);
  for (let d = 0; d < outSize; d++) {
    const src = halfPixelCenters ? ratio * (d + 0.5) - 0.5 : ratio * d;
    const f = Math.max(0, Math.floor(src));
    lo[d] = f;
    frac[d] = src - f;
    hi[d] = Math.min(inSize - 1, Math.ceil(src));
  }
  return { lo, hi, frac };
}

/**
 * `ResizeBilinear` (tf.image.resizeBilinear): images [N, H, W, C] (NHWC) → [N, newH, newW, C]
 * float32, with tfjs' alignCorners / halfPixelCenters semantics (tfjs-backend-cpu
 * kernels/ResizeBilinear.ts; see {@link bilinearTaps}). float32 runs natively (assembly/resize.ts
 * `resizeBilinear`, f32x4, weights from per-row / per-column tables: unless rows shrink by more
 * than ~1.25, source rows are interpolated horizontally once into a 2-row cache and output rows
 * blended vertically as contiguous loops, else each output pixel is blended from its 4 source
 * pixels; see {@link resizeBilinearNative}); other dtypes, and an empty input with a non-empty output, go
 * to cpu (which gives NaN there).
 * @throws Error if images is not rank 4 or size is not two integers >= 0.
 */
export function resizeBilinear(args: { inputs: { images: TensorInfo }; backend: BackendSimd; attrs: ResizeBilinearAttrs }): TensorInfo {
  const { inputs: { images }, backend, attrs } = args;
  assertRank(ResizeBilinear, 'images', images, 4);
  const { alignCorners, halfPixelCenters, size } = attrs;
  const [outH, outW] = size;
  const [batch, inH, inW, C] = images.shape;
  const outSize = batch * outH * outW * C;
  if (images.dtype !== 'float32' || (util.sizeFromShape(images.shape) === 0 && outSize > 0)) {
    return runOnCpu(ResizeBilinear, { images }, attrs as unknown as NamedAttrMap, backend) as TensorInfo;
  }
  const rowsT = bilinearTaps(inH, outH, alignCorners, halfPixelCenters);
  const colsT = bilinearTaps(inW, outW, alignCorners, halfPixelCenters);
  return resizeBilinearNative(backend, images, rowsT, colsT);
}

/**
 * Runs the wasm `resizeBilinear` with precomputed row / column taps (from {@link bilinearTaps}):
 * x float32 [N, H, W, C] → new float32 [N, rows.lo.length, cols.lo.length, C]. The taps must
 * index inside [0, H) / [0, W) (checked). `path` picks the kernel's path: 'auto' (default) the
 * separable 2-row-cache one where output rows share source rows ({@link rowCachePays}), else the
 * per-pixel one; 'pixel' / 'rows' force one (for tests: both give the same bits).
 * @throws Error if a tap indexes outside the input.
 */
export function resizeBilinearNative(backend: BackendSimd, x: TensorInfo,
    rows: { lo: Int32Array; hi: Int32Array; frac: Float64Array }, cols: { lo: Int32Array; hi: Int32Array; frac: Float64Array },
    path: 'auto' | 'pixel' | 'rows' = 'auto'): TensorInfo {
  const [batch, inH, inW, C] = x.shape;
  const outH = rows.lo.length, outW = cols.lo.length;
  if (batch * outH * outW * C === 0) return backend.makeOutput([batch, outH, outW, C], 'float32');
  const check = (t: { lo: Int32Array; hi: Int32Array }, n: number, what: string) => {
    for (let i = 0; i < t.lo.length; i++) {
      if (!(t.lo[i] >= 0 && t.lo[i] < n && t.hi[i] >= 0 && t.hi[i] < n)) {
        throw new Error(`ResizeBilinear: ${what} tap ${i} (${t.lo[i]}, ${t.hi[i]}) outside [0, ${n})`);
      }
    }
  };
  check(rows, inH, 'row');
  check(cols, inW, 'column');
  // Separable 2-row-cache path when output rows share source rows (upsampling, same size);
  // its scratch holds two horizontally interpolated rows of outW·C floats.
  const separable = path === 'rows' || (path === 'auto' && rowCachePays(rows.lo, rows.hi));
  const tables = backend.scratch(12 * (outH + outW));
  let rowsScratch = 0;
  try {
    rowsScratch = separable ? backend.scratch(8 * outW * C) : 0;
    const out = backend.makeOutput([batch, outH, outW, C], 'float32');
    const buf = backend.heap.memory.buffer;
    const i32 = new Int32Array(buf, tables, 3 * (outH + outW));
    const f32 = new Float32Array(buf, tables, 3 * (outH + outW));
    for (let i = 0; i < outW; i++) {
      i32[3 * i] = cols.lo[i]; i32[3 * i + 1] = cols.hi[i]; f32[3 * i + 2] = cols.frac[i];
    }
    const r0 = 3 * outW;
    for (let i = 0; i < outH; i++) {
      i32[r0 + 3 * i] = rows.lo[i]; i32[r0 + 3 * i + 1] = rows.hi[i]; f32[r0 + 3 * i + 2] = rows.frac[i];
    }
    wasmFn(backend, 'resizeBilinear')(backend.ptr(x), backend.ptr(out), batch, inH, inW, C, outH, outW,
        tables, tables + 12 * outW, rowsScratch);
    return out;
  } finally {
    backend.freeScratch(rowsScratch);
    backend.freeScratch(tables);
  }
}

/**
 * Whether the separable path of assembly/resize.ts pays for these row taps (lo / hi per output
 * row): it interpolates each source row it loads once, then blends runs of output rows vertically
 * as contiguous loops, where the per-pixel path does 3 blends per output element. It is taken
 * when a 2-row cache loads fewer than 1.25 source rows per output row (upsampling, same size,
 * slight downscaling). Measured on the dev VM (x86-64, Node 20, load average 6 on 2 cores; time
 * separable ÷ per pixel, one square image, half-pixel centers, 3 runs): 33→129 ×256 channels
 * 0.45–0.48, 65→513 ×21 0.27–0.30, 64→256 ×3 0.20, 33→33 ×64 0.91; downscaling 129→100 ×64
 * (1.29 loads per output row) 0.99–1.01, 129→86 (1.5) 1.10, 129→75 (1.72) 1.2, 129→64 ×64 and
 * 129→33 ×256 (2.0) 1.2–1.35.
 */
function rowCachePays(lo: Int32Array, hi: Int32Array): boolean {
  let loads = 0, a = -1, b = -1;
  for (let i = 0; i < lo.length; i++) {
    if (lo[i] !== a && lo[i] !== b) { loads++; a = b; b = lo[i]; }
    if (hi[i] !== a && hi[i] !== b) { loads++; a = b; b = hi[i]; }
  }
  return loads < 1.25 * lo.length;
}

/** Registers `resizeBilinear` above as the `simd` backend's `ResizeBilinear` kernel. */
export const resizeBilinearConfig: KernelConfig = {
  kernelName: ResizeBilinear,
  backendName: 'simd',
  kernelFunc: resizeBilinear as unknown as KernelFunc,
};
