/**
 * Shared glue of the GEMM-based kernels (BatchMatMul, _FusedMatMul, Conv2D, FusedConv2D):
 * the fused epilogue (bias + activation) plan and its parameter block, B packing, and the
 * batched matrix product itself. The wasm side is assembly/gemm.ts (+ the generated
 * micro-kernels in assembly/gen/gemm_kernels.ts).
 *
 * Epilogue: the micro-kernels start their accumulators from an 8-padded per-column bias array
 * and apply `act` before storing (0 linear, 1 clamp [lo, hi] = relu/relu6, 2 prelu with an
 * 8-padded per-column slope array = leakyrelu/prelu). What they cannot express (a bias or
 * prelu slope that is not per-column or scalar, elu, sigmoid) is applied afterwards by the
 * `simd` kernels of the same name (native or delegated to tfjs-backend-cpu), in tfjs' order:
 * bias, then activation (tfjs-backend-cpu/src/utils/fused_utils.ts applyActivation).
 */
import { backend_util, getKernel, NamedAttrMap, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from './backend_simd';
import { runOnCpu } from './cpu_fallback';
import { wasmFn } from './kernel_utils';

/** Columns per packed B panel (the micro-kernels' NR). */
export const NR = 8;

/** Bytes of the packed form of B [k, n]: ceil(n/8) panels of k·8 floats. */
export function packedBytes(k: number, n: number): number {
  return Math.ceil(n / NR) * k * NR * 4;
}

/** The part of a fused bias + activation that runs inside the GEMM epilogue, and the rest. */
export interface EpiloguePlan {
  /** Per-column (or scalar, broadcast) bias applied natively; null = none. */
  bias: TensorInfo | null;
  /** 0 linear, 1 clamp to [lo, hi], 2 prelu/leakyrelu with `slope`. */
  act: 0 | 1 | 2;
  lo: number;
  hi: number;
  /** Slope source for act 2: a per-column / scalar tensor, or a number (leakyrelu). */
  slope: TensorInfo | number | null;
  /** Applied after the GEMM when not expressible natively. */
  postBias: TensorInfo | null;
  postActivation: string | null;
}

/** No bias, no activation: the plan of the unfused kernels (Conv2D, BatchMatMul). */
export const LINEAR: EpiloguePlan = {
  bias: null, act: 0, lo: -Infinity, hi: Infinity, slope: null, postBias: null, postActivation: null,
};

const KNOWN_ACTIVATIONS = ['linear', 'relu', 'relu6', 'leakyrelu', 'prelu', 'elu', 'sigmoid'];

/** True when `t` broadcast against `outShape` (last dim n) is one value per column or one value. */
function perColumnOrScalar(t: TensorInfo, outShape: number[], n: number): boolean {
  if (t.shape.length > outShape.length) return false; // broadcasting would grow the output rank
  const size = util.sizeFromShape(t.shape);
  if (size === 1) return true;
  return size === n && t.shape[t.shape.length - 1] === n;
}

/**
 * Decides how a fused op's bias/activation runs for an output of shape `outShape` (last dim
 * = n columns). Throws for an unknown activation, or 'prelu' without weights, naming `kernel`.
 */
export function planEpilogue(kernel: string, outShape: number[], bias: TensorInfo | null | undefined,
    activation: string | undefined, prelu: TensorInfo | null | undefined,
    leakyreluAlpha: number | undefined): EpiloguePlan {
  const n = outShape[outShape.length - 1];
  const act = activation ?? 'linear';
  if (!KNOWN_ACTIVATIONS.includes(act)) {
    throw new Error(`${kernel}: activation '${act}' is not supported (expected one of ${KNOWN_ACTIVATIONS.join(', ')})`);
  }
  if (act === 'prelu' && prelu == null) {
    throw new Error(`${kernel}: activation 'prelu' needs preluActivationWeights`);
  }
  const plan: EpiloguePlan = { ...LINEAR };
  if (bias != null) {
    if (perColumnOrScalar(bias, outShape, n)) plan.bias = bias;
    else {
      // A bias of another shape broadcasts (maybe growing the output): add it, then activate.
      plan.postBias = bias;
      plan.postActivation = act === 'linear' ? null : act;
      return plan;
    }
  }
  switch (act) {
    case 'linear': break;
    case 'relu': plan.act = 1; plan.lo = 0; plan.hi = Infinity; break;
    case 'relu6': plan.act = 1; plan.lo = 0; plan.hi = 6; break;
    case 'leakyrelu': plan.act = 2; plan.slope = leakyreluAlpha ?? 0.2; break;
    case 'prelu':
      if (perColumnOrScalar(prelu!, outShape, n)) { plan.act = 2; plan.slope = prelu!; }
      else plan.postActivation = act;
      break;
    default: plan.postActivation = act; // elu, sigmoid
  }
  return plan;
}

/**
 * Allocates (scratch, caller frees) and fills the epilogue parameter block for n columns:
 * bias [ceil(n/8)·8] then slope [ceil(n/8)·8], zero-padded. Returns its offset.
 */
export function writeEpilogueParams(backend: BackendSimd, plan: EpiloguePlan, n: number): number {
  const np = Math.ceil(n / NR) * NR;
  const ptr = backend.scratch(2 * np * 4);
  const f32 = backend.heap.f32();
  const base = ptr >>> 2;
  f32.fill(0, base, base + 2 * np);
  const fill = (src: TensorInfo | number | null, at: number) => {
    if (src === null) return;
    if (typeof src === 'number') { f32.fill(src, at, at + n); return; }
    const v = backend.view(src) as Float32Array;
    if (v.length === 1) f32.fill(v[0], at, at + n);
    else f32.set(v, at);
  };
  fill(plan.bias, base);
  if (plan.act === 2) fill(plan.slope, base + np);
  return ptr;
}

/** The `simd` kernel `name` (native or cpu-delegated) applied to `inputs`. */
function runSimdKernel(backend: BackendSimd, name: string, inputs: Record<string, TensorInfo>,
    attrs: NamedAttrMap = {}): TensorInfo {
  const config = getKernel(name, 'simd');
  const out = config !== undefined
    ? config.kernelFunc({ inputs, attrs, backend })
    : runOnCpu(name, inputs, attrs, backend);
  return (Array.isArray(out) ? out[0] : out) as TensorInfo;
}

/**
 * Applies the parts of `plan` that ran outside the GEMM (postBias, postActivation) to `y`,
 * disposing each intermediate; returns the final tensor (y itself when nothing is left).
 */
export function finishEpilogue(backend: BackendSimd, y: TensorInfo, plan: EpiloguePlan,
    prelu: TensorInfo | null | undefined, leakyreluAlpha: number | undefined): TensorInfo {
  const step = (f: () => TensorInfo) => {
    const old = y;
    try {
      y = f();
    } catch (e) {
      backend.disposeIntermediateTensorInfo(old);
      throw e;
    }
    backend.disposeIntermediateTensorInfo(old);
  };
  if (plan.postBias !== null) step(() => runSimdKernel(backend, 'Add', { a: y, b: plan.postBias! }));
  switch (plan.postActivation) {
    case null: case 'linear': break;
    case 'relu': step(() => runSimdKernel(backend, 'Relu', { x: y })); break;
    case 'relu6': step(() => runSimdKernel(backend, 'Relu6', { x: y })); break;
    case 'elu': step(() => runSimdKernel(backend, 'Elu', { x: y })); break;
    case 'sigmoid': step(() => runSimdKernel(backend, 'Sigmoid', { x: y })); break;
    case 'leakyrelu':
      step(() => runSimdKernel(backend, 'LeakyRelu', { x: y }, { alpha: leakyreluAlpha ?? 0.2 }));
      break;
    case 'prelu': step(() => runSimdKernel(backend, 'Prelu', { x: y, alpha: prelu! })); break;
    default: throw new Error(`simd epilogue: unknown activation ${plan.postActivation}`);
  }
  return y;
}

/** act(bias) for every row of y [rows, n] (a product with k = 0), computed in JS. */
export function fillWithEpilogue(backend: BackendSimd, y: TensorInfo, rows: number, n: number,
    plan: EpiloguePlan): void {
  const params = writeEpilogueParams(backend, plan, n);
  try {
    const f32 = backend.heap.f32();
    const np = Math.ceil(n / NR) * NR;
    const bias = f32.subarray(params >>> 2, (params >>> 2) + n);
    const slope = f32.subarray((params >>> 2) + np, (params >>> 2) + np + n);
    const row = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      const v = bias[j];
      row[j] = plan.act === 1 ? Math.min(Math.max(v, plan.lo), plan.hi)
        : plan.act === 2 ? (v < 0 ? slope[j] * v : v) : v;
    }
    const out = backend.view(y) as Float32Array;
    for (let r = 0; r < rows; r++) out.set(row, r * n);
  } finally {
    backend.freeScratch(params);
  }
}

/**
 * Offset of B [k, n] packed into 8-column panels (pack_gemm_b, or pack_gemm_bt when B is
 * given transposed as [n, k]) for one matrix at byte offset `src` inside tensor `owner`,
 * cached per tensor (tensors are immutable): a weight used again is not packed again, a
 * reshaped view of it (same dataId) shares the pack, and the pack is freed with the tensor.
 */
export function packedMatrix(backend: BackendSimd, owner: TensorInfo, src: number, k: number, n: number,
    transposed: boolean): number {
  const key = `gemm-b/${k}x${n}/${transposed ? 't' : 'n'}@${src - backend.ptr(owner)}`;
  return backend.packedFor(owner.dataId, key, packedBytes(k, n), dst => packMatrix(backend, src, k, n, transposed, dst));
}

/** Packs one B matrix at `src` into panels at `dst` (see packedMatrix). */
export function packMatrix(backend: BackendSimd, src: number, k: number, n: number, transposed: boolean,
    dst: number): void {
  if (k === 0 || n === 0) return;
  if (transposed) wasmFn(backend, 'pack_gemm_bt')(k, n, src, k * 4, dst);
  else wasmFn(backend, 'pack_gemm_b')(k, n, src, n * 4, dst);
}

/** Converts an activation clamp bound for the wasm f32 parameter (±Infinity pass through). */
const f32 = (v: number) => Math.fround(v);

/**
 * One GEMM call: C [m, n] (ldc = n) = epilogue(A [m, k] (lda = k) · Bpacked) with the
 * parameter block of writeEpilogueParams. Sizes must be ≥ 1 (k ≥ 0).
 */
export function gemm(backend: BackendSimd, m: number, n: number, k: number, a: number, lda: number,
    w: number, params: number, plan: EpiloguePlan, c: number, ldc: number): void {
  if (backend.threads !== null && backend.threads.gemm(m, n, k, a, lda, w, params, plan, c, ldc)) return;
  const np = Math.ceil(n / NR) * NR;
  wasmFn(backend, 'gemm_f32')(m, n, k, a, lda * 4, w, params, params + np * 4, c, ldc * 4,
      plan.act, f32(plan.lo), f32(plan.hi));
}

/** Index into a broadcast operand's batch for output batch `bi` (numpy broadcasting). */
function broadcastBatchIndex(bi: number, outDims: number[], dims: number[]): number {
  let idx = 0, stride = 1, rest = bi;
  const off = outDims.length - dims.length;
  for (let d = outDims.length - 1; d >= 0; d--) {
    const coord = rest % outDims[d];
    rest = Math.floor(rest / outDims[d]);
    const dd = d - off;
    if (dd >= 0) {
      if (dims[dd] !== 1) idx += coord * stride;
      stride *= dims[dd];
    }
  }
  return idx;
}

/** Throws `<kernel>: <name> must have rank ≥ 2 ...` for a missing operand or one of rank < 2. */
export function assertMatrix(kernel: string, name: string, t: TensorInfo | undefined): void {
  if (t == null) throw new Error(`${kernel}: input '${name}' is missing`);
  if (t.shape.length < 2) {
    throw new Error(`${kernel}: ${name} must have rank ≥ 2 ([...batch, rows, cols]), got rank ${t.shape.length} (shape [${t.shape}])`);
  }
}

/** The broadcast of two batch shapes (numpy rules); throws naming `kernel` when they do not broadcast. */
export function broadcastBatches(kernel: string, outerA: number[], outerB: number[]): number[] {
  try {
    return backend_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    throw new Error(`${kernel}: batch dimensions [${outerA}] of a and [${outerB}] of b do not broadcast`);
  }
}

/**
 * tfjs BatchMatMul (+ _FusedMatMul's epilogue): a [...batchA, M, K] (or [..., K, M] with
 * transposeA) × b [...batchB, K, N] (or [..., N, K] with transposeB) → [...batch, M, N],
 * batch = broadcast(batchA, batchB) (numpy rules, backend_util.assertAndGetBroadcastShape).
 * float32 only (the kernels delegate other dtypes). Throws, naming `kernel`, for ranks < 2 and
 * mismatched inner dimensions. A single B (a weight) is packed once per tensor and cached, also
 * for M = 1; a batch of B matrices is packed per call, except for M = 1, where matrix-vector
 * kernels stream each B as it is (gemv_f32 / gemv_t_f32). Aᵀ is transposed into scratch.
 */
export function batchMatMulImpl(backend: BackendSimd, kernel: string, a: TensorInfo, b: TensorInfo,
    transposeA: boolean, transposeB: boolean, plan: EpiloguePlan): TensorInfo {
  const aRank = a.shape.length, bRank = b.shape.length;
  assertMatrix(kernel, 'a', a);
  assertMatrix(kernel, 'b', b);
  const k = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const kb = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  if (k !== kb) {
    throw new Error(`${kernel}: inner shapes (${k}) and (${kb}) of tensors with shapes [${a.shape}] and ` +
        `[${b.shape}] and transposeA=${transposeA} and transposeB=${transposeB} must match`);
  }
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const outer = broadcastBatches(kernel, outerA, outerB);
  const outShape = [...outer, m, n];
  const batch = util.sizeFromShape(outer);
  const batchA = util.sizeFromShape(outerA), batchB = util.sizeFromShape(outerB);

  const y = backend.makeOutput(outShape, 'float32');
  if (batch * m * n === 0) return y;
  const scratch: number[] = [];
  try {
    if (k === 0) {
      fillWithEpilogue(backend, y, batch * m, n, plan);
      return y;
    }
    const params = writeEpilogueParams(backend, plan, n);
    scratch.push(params);
    const matB = k * n * 4, matA = m * k * 4, panelsB = packedBytes(k, n);
    const yPtr = backend.ptr(y), aPtr = backend.ptr(a), bPtr = backend.ptr(b);
    const index = (bi: number, count: number, dims: number[]) =>
      count === 1 ? 0 : count === batch ? bi : broadcastBatchIndex(bi, outer, dims);
    if (m === 1 && batchB > 1) {
      // Matrix-vector products against a batch of B matrices: each B is streamed as it is (no
      // pack, no copy). With m = 1, A and Aᵀ have the same memory layout. A single B (a Linear
      // weight) takes the packed path below, like every GEMM: packed once and cached per tensor,
      // its 8-column panels are one sequential stream each, which the memory system serves
      // faster than gemv's 4 rows of B at a time (VGG fc6: 0.96× tfjs wasm's time against 1.44×).
      const np = Math.ceil(n / NR) * NR;
      const gemv = wasmFn(backend, transposeB ? 'gemv_t_f32' : 'gemv_f32');
      for (let bi = 0; bi < batch; bi++) {
        gemv(k, n, aPtr + index(bi, batchA, outerA) * matA, bPtr + index(bi, batchB, outerB) * matB,
            (transposeB ? k : n) * 4, params, params + np * 4, yPtr + bi * n * 4, plan.act,
            Math.fround(plan.lo), Math.fround(plan.hi));
      }
      return y;
    }
    // B panels: cached for a single matrix, packed into scratch for a batch of them.
    let wBase: number;
    if (batchB === 1) {
      wBase = packedMatrix(backend, b, bPtr, k, n, transposeB);
    } else {
      wBase = backend.scratch(batchB * panelsB);
      scratch.push(wBase);
      for (let i = 0; i < batchB; i++) packMatrix(backend, bPtr + i * matB, k, n, transposeB, wBase + i * panelsB);
    }
    let aBase = aPtr;
    if (transposeA) {
      const t = backend.scratch(batchA * matA);
      scratch.push(t);
      const transpose = wasmFn(backend, 'transpose_f32');
      for (let i = 0; i < batchA; i++) transpose(k, m, aPtr + i * matA, t + i * matA);
      aBase = t;
    }
    for (let bi = 0; bi < batch; bi++) {
      gemm(backend, m, n, k, aBase + index(bi, batchA, outerA) * matA, k, wBase + index(bi, batchB, outerB) * panelsB,
          params, plan, yPtr + bi * m * n * 4, n);
    }
    return y;
  } catch (e) {
    backend.disposeIntermediateTensorInfo(y);
    throw e;
  } finally {
    for (const p of scratch) backend.freeScratch(p);
  }
}
