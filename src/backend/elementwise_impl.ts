/**
 * Glue shared by the elementwise, reduction and layout kernels of the `simd` backend
 * (src/backend/kernels/{Add,Sub,…,Sum,Mean,…,Transpose,Concat,…}.ts):
 *
 * - pure planning functions over shapes (`broadcastPlan`, `reducePlan`, `collapsePermutation`)
 *   and over typed arrays (`copyStrided`, `transposeInto`, `binaryNdJs`, `reduceJs`), usable
 *   without a backend;
 * - kernel factories (`unaryFloatKernel`, `binaryKernel`, `compareKernel`, `reduceKernel`,
 *   `argReduceKernel`) and `transposeHeap`/`reduceInto`, which validate inputs, allocate the
 *   output, and call the wasm exports of assembly/elementwise.ts and assembly/reduce.ts with
 *   heap pointers (float32), compute int32 in JS on heap views, and delegate every other
 *   dtype to tfjs-backend-cpu (cpu_fallback.ts).
 *
 * Heap views (`backend.view`) are invalidated by any allocation, so every kernel here
 * allocates its output and scratch first and takes views afterwards.
 */
import {
  backend_util, DataType, KernelFunc, NamedAttrMap, TensorInfo, util,
} from '@tensorflow/tfjs-core';
import type { BackendSimd } from './backend_simd';
import type { ExportName } from './threads';
import { runOnCpu } from './cpu_fallback';
import { wasmFn } from './kernel_utils';

/** A typed array over heap memory (float32, int32 or bool storage). */
export type HeapArray = Float32Array | Int32Array | Uint8Array;

// ---------------------------------------------------------------------------------------------
// Small helpers.

/** Throws `Error("<kernel>: input '<name>' is missing")` when an input is absent. */
export function requireInput(kernel: string, name: string, t: TensorInfo | null | undefined): TensorInfo {
  if (t == null) throw new Error(`${kernel}: input '${name}' is missing`);
  return t;
}

/** Row-major element strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * Runs `f`; if it throws, disposes `outs` (outputs allocated by the caller) before rethrowing,
 * so a failing kernel leaves the heap as it found it.
 */
export function guarded<T>(backend: BackendSimd, outs: TensorInfo[], f: () => T): T {
  try {
    return f();
  } catch (e) {
    for (const o of outs) backend.disposeData(o.dataId);
    throw e;
  }
}

/** Prefixes the message of an error thrown by a tfjs shape helper with the kernel name. */
function withKernelName<T>(kernel: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new Error(`${kernel}: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Strided copies (Transpose, Slice, StridedSlice, PadV2, Concat, Tile, Pack, Unpack, GatherV2).

/**
 * dst[dOff + Σ i_k·dStrides_k] = src[sOff + Σ i_k·sStrides_k] for every index i of `shape`.
 * Strides are in elements and may be 0 (broadcast) or negative (reversed slices). Adjacent
 * dims that are contiguous in both arrays are merged, so a fully contiguous copy is one
 * `TypedArray.set`. Nothing is checked: callers guarantee the index ranges are in bounds.
 */
export function copyStrided(dst: HeapArray, dOff: number, dStrides: readonly number[],
    src: HeapArray, sOff: number, sStrides: readonly number[], shape: readonly number[]): void {
  const n: number[] = [], ds: number[] = [], ss: number[] = [];
  for (let k = 0; k < shape.length; k++) {
    if (shape[k] === 0) return;
    if (shape[k] === 1) continue;
    const last = n.length - 1;
    if (last >= 0 && ds[last] === dStrides[k] * shape[k] && ss[last] === sStrides[k] * shape[k]) {
      n[last] *= shape[k];
      ds[last] = dStrides[k];
      ss[last] = sStrides[k];
    } else {
      n.push(shape[k]);
      ds.push(dStrides[k]);
      ss.push(sStrides[k]);
    }
  }
  if (n.length === 0) {
    dst[dOff] = src[sOff];
    return;
  }
  const r = n.length;
  const len = n[r - 1], di = ds[r - 1], si = ss[r - 1];
  const contiguous = di === 1 && si === 1;
  let outer = 1;
  for (let k = 0; k < r - 1; k++) outer *= n[k];
  const cnt = new Array<number>(r).fill(0);
  let d = dOff, s = sOff;
  for (let o = 0; o < outer; o++) {
    // Measured in V8: subarray + set beats an element loop from ~32 elements on.
    if (contiguous && len > 32) {
      dst.set(src.subarray(s, s + len), d);
    } else {
      for (let i = 0, dj = d, sj = s; i < len; i++, dj += di, sj += si) dst[dj] = src[sj];
    }
    for (let k = r - 2; k >= 0; k--) {
      if (++cnt[k] < n[k]) {
        d += ds[k];
        s += ss[k];
        break;
      }
      cnt[k] = 0;
      d -= ds[k] * (n[k] - 1);
      s -= ss[k] * (n[k] - 1);
    }
  }
}

/** Writes the transpose of `src` (shape `shape`) by `perm` into `dst` (contiguous). */
export function transposeInto(dst: HeapArray, src: HeapArray, shape: readonly number[], perm: readonly number[]): void {
  const xs = stridesOf(shape);
  const outShape = perm.map(p => shape[p]);
  copyStrided(dst, 0, stridesOf(outShape), src, 0, perm.map(p => xs[p]), outShape);
}

/**
 * The smallest equivalent of transposing `shape` by `perm`: size-1 dims dropped, input dims
 * that stay adjacent and in order in the output merged. E.g. [2,56,56,64] by [0,3,1,2] →
 * shape [2, 3136, 64], perm [0, 2, 1]; an identity permutation → perm [0] (or []).
 */
export function collapsePermutation(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  const keptDims = shape.map((_, d) => d).filter(d => shape[d] !== 1);
  const renumber = new Map(keptDims.map((d, i) => [d, i]));
  const sizes = keptDims.map(d => shape[d]);
  // Runs of consecutive (renumbered) input dims, in output order.
  const groups: number[][] = [];
  for (const q of perm.filter(d => shape[d] !== 1).map(d => renumber.get(d)!)) {
    const g = groups[groups.length - 1];
    if (g !== undefined && g[g.length - 1] === q - 1) g.push(q);
    else groups.push([q]);
  }
  const byInput = groups.slice().sort((a, b) => a[0] - b[0]);
  return {
    shape: byInput.map(g => g.reduce((acc, q) => acc * sizes[q], 1)),
    perm: groups.map(g => byInput.indexOf(g)),
  };
}

/**
 * Transposes the tensor data at heap offset `srcPtr` (shape `shape`, `dtype`) by `perm` into
 * the block at `dstPtr` (no overlap). Permutations that collapse to a (batched) 2-D swap of
 * 4-byte elements run the SIMD kernel assembly/elementwise.ts `transpose2d`; an identity is a
 * memcpy; anything else is one strided copy in JS on heap views.
 */
export function transposeHeap(be: BackendSimd, srcPtr: number, dstPtr: number, shape: readonly number[],
    perm: readonly number[], dtype: DataType): void {
  const size = util.sizeFromShape(shape as number[]);
  if (size === 0) return;
  const c = collapsePermutation(shape, perm);
  const bpe = dtype === 'bool' ? 1 : 4;
  const buf = be.heap.memory.buffer;
  if (c.perm.every((p, i) => p === i)) {
    new Uint8Array(buf).copyWithin(dstPtr, srcPtr, srcPtr + size * bpe);
    return;
  }
  if (bpe === 4 && (c.perm.length === 2 || (c.perm.length === 3 && c.perm[0] === 0))) {
    const [batch, rows, cols] = c.perm.length === 2 ? [1, c.shape[0], c.shape[1]] : c.shape;
    wasmFn(be, 'transpose2d')(srcPtr, dstPtr, batch, rows, cols);
    return;
  }
  const Arr = dtype === 'bool' ? Uint8Array : dtype === 'int32' ? Int32Array : Float32Array;
  transposeInto(new Arr(buf, dstPtr, size), new Arr(buf, srcPtr, size), c.shape, c.perm);
}

// ---------------------------------------------------------------------------------------------
// Unary kernels.

/**
 * A unary float32 kernel `y = f(x)` running the wasm export `exportName(xPtr, yPtr, n[, attr])`
 * (assembly/elementwise.ts). `attr` names a numeric attribute passed as the last argument
 * (Step and LeakyRelu: `alpha`). Other dtypes are delegated to tfjs-backend-cpu's kernel of the
 * same name; zero-size tensors never reach wasm.
 */
export function unaryFloatKernel(kernelName: string, exportName: string, attr?: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = backend as BackendSimd;
    const x = requireInput(kernelName, 'x', (inputs as { x?: TensorInfo }).x);
    if (x.dtype !== 'float32') return runOnCpu(kernelName, { x }, attrs as NamedAttrMap, be);
    const extra: number[] = [];
    if (attr !== undefined) {
      const v = (attrs as NamedAttrMap | undefined)?.[attr];
      if (typeof v !== 'number') throw new Error(`${kernelName}: attribute '${attr}' must be a number, got ${String(v)}`);
      extra.push(v);
    }
    const fn = wasmFn(be, exportName);
    const out = be.makeOutput(x.shape, 'float32');
    const n = util.sizeFromShape(x.shape);
    if (n === 0) return out;
    const xp = be.ptr(x), yp = be.ptr(out);
    guarded(be, [out], () => {
      // Large calls are split over worker threads where enabled (threads.ts).
      if (be.threads === null || !be.threads.elementwise(exportName as ExportName, n,
          (s0, count) => [xp + 4 * s0, yp + 4 * s0, count, ...extra])) fn(xp, yp, n, ...extra);
    });
    return out;
  };
}

// ---------------------------------------------------------------------------------------------
// Binary kernels with broadcasting.

/** A broadcast collapsed to `shape` with element strides of a and b (0 = broadcast). */
export interface BroadcastPlan {
  shape: number[];
  aStrides: number[];
  bStrides: number[];
}

/**
 * Collapses the tfjs (numpy) broadcast of `aShape` and `bShape` to `outShape` into as few
 * dims as possible: size-1 output dims are dropped and neighbours that are contiguous (or
 * broadcast) in both inputs are merged. Same-shape → [n] with strides (1,1); tensor+scalar →
 * [n] with (1,0); [N,H,W,C]+[C] → [NHW, C] with a (C,1), b (0,1). The innermost stride of
 * each input is always 0 or 1. Always returns at least one dim.
 */
export function broadcastPlan(aShape: readonly number[], bShape: readonly number[],
    outShape: readonly number[]): BroadcastPlan {
  const r = outShape.length;
  const pad = (s: readonly number[]) => [...new Array<number>(r - s.length).fill(1), ...s];
  const ap = pad(aShape), bp = pad(bShape);
  const as = stridesOf(ap), bs = stridesOf(bp);
  const shape: number[] = [], aStrides: number[] = [], bStrides: number[] = [];
  for (let d = 0; d < r; d++) {
    const n = outShape[d];
    if (n === 1) continue;
    const sa = ap[d] === 1 ? 0 : as[d], sb = bp[d] === 1 ? 0 : bs[d];
    const last = shape.length - 1;
    if (last >= 0 && aStrides[last] === sa * n && bStrides[last] === sb * n) {
      shape[last] *= n;
      aStrides[last] = sa;
      bStrides[last] = sb;
    } else {
      shape.push(n);
      aStrides.push(sa);
      bStrides.push(sb);
    }
  }
  if (shape.length === 0) return { shape: [1], aStrides: [1], bStrides: [1] };
  return { shape, aStrides, bStrides };
}

/** y[i] = op(a[·], b[·]) over a broadcast plan, in JS (int32 path; the typed array of y converts). */
export function binaryNdJs(op: (a: number, b: number) => number, a: HeapArray, b: HeapArray, y: HeapArray,
    plan: BroadcastPlan): void {
  const { shape, aStrides, bStrides } = plan;
  const r = shape.length;
  const n = shape[r - 1], ai = aStrides[r - 1], bi = bStrides[r - 1];
  let outer = 1;
  for (let k = 0; k < r - 1; k++) outer *= shape[k];
  const cnt = new Array<number>(r).fill(0);
  let aOff = 0, bOff = 0, yOff = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < n; i++) y[yOff + i] = op(a[aOff + i * ai], b[bOff + i * bi]);
    yOff += n;
    for (let k = r - 2; k >= 0; k--) {
      if (++cnt[k] < shape[k]) {
        aOff += aStrides[k];
        bOff += bStrides[k];
        break;
      }
      cnt[k] = 0;
      aOff -= aStrides[k] * (shape[k] - 1);
      bOff -= bStrides[k] * (shape[k] - 1);
    }
  }
}

/**
 * A broadcasting binary kernel (inputs a, b; tfjs-backend-cpu semantics: output dtype is
 * a's). float32: the wasm export `exportName(aPtr, bPtr, yPtr, rank, metaPtr)` of
 * assembly/elementwise.ts with the collapsed plan in a scratch table. int32: `jsOp` in JS on
 * heap views (double arithmetic stored into an Int32Array, exactly as cpu does). Mixed,
 * bool, string and complex dtypes are delegated to cpu. Incompatible shapes throw
 * "<kernel>: Operands could not be broadcast together with shapes …".
 */
export function binaryKernel(kernelName: string, exportName: string, jsOp: (a: number, b: number) => number): KernelFunc {
  return ({ inputs, backend }) => {
    const be = backend as BackendSimd;
    const ins = inputs as { a?: TensorInfo; b?: TensorInfo };
    const a = requireInput(kernelName, 'a', ins.a), b = requireInput(kernelName, 'b', ins.b);
    if (a.dtype !== b.dtype || (a.dtype !== 'float32' && a.dtype !== 'int32')) {
      return runOnCpu(kernelName, { a, b }, {}, be);
    }
    const outShape = withKernelName(kernelName, () => backend_util.assertAndGetBroadcastShape(a.shape, b.shape));
    const fn = a.dtype === 'float32' ? wasmFn(be, exportName) : null;
    const out = be.makeOutput(outShape, a.dtype);
    if (util.sizeFromShape(outShape) === 0) return out;
    const plan = broadcastPlan(a.shape, b.shape, outShape);
    return guarded(be, [out], () => {
      if (fn === null) {
        binaryNdJs(jsOp, be.view(a), be.view(b), be.view(out), plan);
        return out;
      }
      if (be.threads !== null && be.threads.binary(exportName as ExportName, plan, be.ptr(a), be.ptr(b), be.ptr(out))) {
        return out; // split over worker threads (threads.ts)
      }
      const rank = plan.shape.length;
      const meta = be.scratch(16 * rank);
      try {
        const m = new Int32Array(be.heap.memory.buffer, meta, 4 * rank);
        m.set(plan.shape, 0);
        m.set(plan.aStrides, rank);
        m.set(plan.bStrides, 2 * rank);
        fn(be.ptr(a), be.ptr(b), be.ptr(out), rank, meta);
      } finally {
        be.freeScratch(meta);
      }
      return out;
    });
  };
}

// ---------------------------------------------------------------------------------------------
// Reductions.

/**
 * A reduction of `shape` over `axes` viewed as x[outer, R, inner]: size-1 dims are ignored,
 * adjacent kept/reduced dims merged. `transpose` is non-null when the reduced axes are not
 * one contiguous run (e.g. axes [0, 2] of a rank-3 tensor with all dims > 1): the caller then
 * transposes by that permutation (reduced axes innermost) and reduces [outer, R, 1].
 */
export interface ReducePlan {
  outer: number;
  R: number;
  inner: number;
  transpose: number[] | null;
}

/**
 * Plans the reduction of a tensor of `shape` over `axes` (non-negative, any order) as
 * [outer, R, inner] (see ReducePlan). E.g. [2,7,7,64] over [1,2] → {2, 49, 64};
 * [3,5,7] over [2] → {15, 7, 1}; [3,5,7] over [0,2] → transpose [1,0,2], {5, 21, 1}.
 */
export function reducePlan(shape: readonly number[], axes: readonly number[]): ReducePlan {
  const red = new Set(axes);
  const groups: { red: boolean; n: number }[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const isRed = red.has(d);
    const last = groups[groups.length - 1];
    if (last !== undefined && last.red === isRed) last.n *= shape[d];
    else groups.push({ red: isRed, n: shape[d] });
  }
  const pattern = groups.map(g => (g.red ? 'R' : 'K')).join('');
  const g = groups.map(x => x.n);
  switch (pattern) {
    case '': return { outer: 1, R: 1, inner: 1, transpose: null };
    case 'K': return { outer: g[0], R: 1, inner: 1, transpose: null };
    case 'R': return { outer: 1, R: g[0], inner: 1, transpose: null };
    case 'KR': return { outer: g[0], R: g[1], inner: 1, transpose: null };
    case 'RK': return { outer: 1, R: g[0], inner: g[1], transpose: null };
    case 'KRK': return { outer: g[0], R: g[1], inner: g[2], transpose: null };
    default: {
      let R = 1;
      for (const a of axes) R *= shape[a];
      const size = util.sizeFromShape(shape as number[]);
      return {
        outer: R === 0 ? 0 : size / R, R, inner: 1,
        transpose: backend_util.getAxesPermutation(axes as number[], shape.length),
      };
    }
  }
}

/** Reduction operators of `reduceJs` and `reduceKernel`. */
export type ReduceOp = 'sum' | 'mean' | 'prod' | 'max' | 'min' | 'argMax' | 'argMin';

/**
 * y[o, i] = op_r x[o, r, i] for x [outer, R, inner], in JS with tfjs-backend-cpu's exact
 * semantics (sum/prod accumulate in double; max/min: NaN wins; argMax/argMin: first index,
 * NaN skipped unless first). Used for int32 inputs; the float32 path is assembly/reduce.ts.
 */
export function reduceJs(op: ReduceOp, x: HeapArray, y: HeapArray, outer: number, R: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * R * inner + i;
      let acc: number;
      if (op === 'argMax' || op === 'argMin') {
        let m = R > 0 ? x[base] : 0;
        acc = 0;
        for (let r = 1; r < R; r++) {
          const v = x[base + r * inner];
          if (op === 'argMax' ? v > m : v < m) { m = v; acc = r; }
        }
      } else if (op === 'max' || op === 'min') {
        acc = R > 0 ? x[base] : NaN;
        for (let r = 1; r < R; r++) {
          const v = x[base + r * inner];
          if (Number.isNaN(v) || (op === 'max' ? v > acc : v < acc)) acc = v;
        }
      } else {
        acc = op === 'prod' ? 1 : 0;
        for (let r = 0; r < R; r++) {
          const v = x[base + r * inner];
          acc = op === 'prod' ? acc * v : acc + (op === 'mean' ? Math.fround(v / R) : v);
        }
      }
      y[o * inner + i] = acc;
    }
  }
}

/** Wasm exports of assembly/reduce.ts per float32 op: [inner kernel, mid kernel]. */
const REDUCE_EXPORTS: Record<ReduceOp, [string, string]> = {
  sum: ['sumInner', 'sumMid'], mean: ['meanInner', 'meanMid'], prod: ['prodInner', 'prodMid'],
  max: ['maxInner', 'maxMid'], min: ['minInner', 'minMid'],
  argMax: ['argMaxInner', 'argMaxMid'], argMin: ['argMinInner', 'argMinMid'],
};

/**
 * Runs reduction `op` of x over `axes` (already parsed, non-negative) into a new tensor of
 * shape `outShape` and dtype `outDtype`. float32 inputs run the SIMD kernels of
 * assembly/reduce.ts (transposing into a scratch block first when the reduced axes are not
 * adjacent); int32 inputs run `reduceJs` on heap views. The caller has validated dtypes.
 */
export function reduceInto(be: BackendSimd, op: ReduceOp, x: TensorInfo, axes: number[], outShape: number[],
    outDtype: DataType): TensorInfo {
  const plan = reducePlan(x.shape, axes);
  const size = util.sizeFromShape(x.shape);
  const [innerName, midName] = REDUCE_EXPORTS[op];
  const fn = x.dtype === 'float32' ? wasmFn(be, plan.inner === 1 ? innerName : midName) : null;
  const out = be.makeOutput(outShape, outDtype);
  const outSize = util.sizeFromShape(outShape);
  if (outSize === 0) return out;
  return guarded(be, [out], () => {
    if (size === 0) {
      // Empty reduction (a reduced dim is 0): cpu gives 0 for sum/mean/arg*, 1 for prod,
      // and for max/min reads past the end: NaN (float32) / 0 (int32).
      be.view(out).fill(op === 'prod' ? 1 : op === 'max' || op === 'min' ? NaN : 0);
      return out;
    }
    const tmp = plan.transpose !== null ? be.scratch(size * 4) : 0;
    try {
      let src = be.ptr(x);
      if (plan.transpose !== null) {
        transposeHeap(be, src, tmp, x.shape, plan.transpose, x.dtype);
        src = tmp;
      }
      if (fn !== null) {
        if (plan.inner === 1) fn(src, be.ptr(out), plan.outer, plan.R);
        else fn(src, be.ptr(out), plan.outer, plan.R, plan.inner);
      } else {
        reduceJs(op, new Int32Array(be.heap.memory.buffer, src, size), be.view(out), plan.outer, plan.R, plan.inner);
      }
    } finally {
      be.freeScratch(tmp);
    }
    return out;
  });
}

/**
 * A tfjs reduction kernel (Sum, Mean, Prod, Max, Min) over attrs `axis`/`reductionIndices`
 * and `keepDims`. Output dtype as on cpu: Sum/Prod upcast to at least int32 (bool → int32),
 * Mean is float32, Max/Min keep x's dtype. float32 and int32 are native (bool too for
 * Sum/Prod, as int32); anything else is delegated to cpu.
 */
export function reduceKernel(kernelName: string, op: 'sum' | 'mean' | 'prod' | 'max' | 'min', axisAttr: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = backend as BackendSimd;
    const x = requireInput(kernelName, 'x', (inputs as { x?: TensorInfo }).x);
    const at = (attrs ?? {}) as NamedAttrMap;
    const native = x.dtype === 'float32' || (x.dtype === 'int32' && op !== 'mean') ||
        (x.dtype === 'bool' && (op === 'sum' || op === 'prod'));
    if (!native) return runOnCpu(kernelName, { x }, at, be);
    const axisVal = at[axisAttr] as number | number[] | null | undefined;
    const axes = withKernelName(kernelName, () => util.parseAxisParam((axisVal ?? null) as number[], x.shape));
    const [outShape0] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const outShape = at.keepDims ? backend_util.expandShapeToKeepDim(outShape0, axes) : outShape0;
    const outDtype: DataType = op === 'mean' ? 'float32'
        : op === 'sum' || op === 'prod' ? (x.dtype === 'float32' ? 'float32' : 'int32') : x.dtype;
    if (x.dtype === 'bool') {
      // Sum/Prod of bool: cpu casts to int32 first; do the same on a scratch copy.
      return reduceBool(be, op, x, axes, outShape);
    }
    return reduceInto(be, op, x, axes, outShape, outDtype);
  };
}

/** Sum/Prod of a bool tensor (values 0/1) as int32, via an int32 scratch tensor. */
function reduceBool(be: BackendSimd, op: ReduceOp, x: TensorInfo, axes: number[], outShape: number[]): TensorInfo {
  const tmp = be.makeOutput(x.shape, 'int32');
  try {
    const n = util.sizeFromShape(x.shape);
    if (n > 0) (be.view(tmp) as Int32Array).set(be.view(x));
    return reduceInto(be, op, tmp, axes, outShape, 'int32');
  } finally {
    be.disposeData(tmp.dataId);
  }
}

/**
 * ArgMax/ArgMin over attr `axis` (a number, or a one-element array): int32 output without
 * that axis. float32 and int32 are native; other dtypes, or several axes, go to cpu.
 */
export function argReduceKernel(kernelName: string, op: 'argMax' | 'argMin'): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const be = backend as BackendSimd;
    const x = requireInput(kernelName, 'x', (inputs as { x?: TensorInfo }).x);
    const at = (attrs ?? {}) as NamedAttrMap;
    const axisVal = at.axis as number | number[] | undefined;
    const single = typeof axisVal === 'number' || (Array.isArray(axisVal) && axisVal.length === 1);
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || !single) return runOnCpu(kernelName, { x }, at, be);
    const axes = withKernelName(kernelName, () => util.parseAxisParam(axisVal, x.shape));
    const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    return reduceInto(be, op, x, axes, outShape, 'int32');
  };
}

/**
 * A broadcasting comparison kernel (inputs a, b of one dtype; output bool, 1 where
 * `op(a, b)`), in JS on heap views with tfjs-backend-cpu's semantics (NaN compares false;
 * Equal is `===`). float32/int32/bool native; mixed, string and complex dtypes delegated.
 */
export function compareKernel(kernelName: string, op: (a: number, b: number) => boolean): KernelFunc {
  const f = (x: number, y: number) => (op(x, y) ? 1 : 0);
  return ({ inputs, backend }) => {
    const be = backend as BackendSimd;
    const ins = inputs as { a?: TensorInfo; b?: TensorInfo };
    const a = requireInput(kernelName, 'a', ins.a), b = requireInput(kernelName, 'b', ins.b);
    if (a.dtype !== b.dtype || a.dtype === 'string' || a.dtype === 'complex64') {
      return runOnCpu(kernelName, { a, b }, {}, be);
    }
    const outShape = withKernelName(kernelName, () => backend_util.assertAndGetBroadcastShape(a.shape, b.shape));
    const out = be.makeOutput(outShape, 'bool');
    if (util.sizeFromShape(outShape) === 0) return out;
    binaryNdJs(f, be.view(a), be.view(b), be.view(out), broadcastPlan(a.shape, b.shape, outShape));
    return out;
  };
}
