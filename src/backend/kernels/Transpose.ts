import { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo, Transpose, TransposeAttrs } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { guarded, requireInput, transposeHeap } from '../elementwise_impl';

/**
 * `Transpose`: y = x permuted by attr `perm` (y.shape[i] = x.shape[perm[i]]), any rank, for
 * float32/int32/bool. The permutation is collapsed first (size-1 dims dropped, dims that stay
 * together merged): a (batched) 2-D swap of 4-byte elements, e.g. NHWC↔NCHW, runs the SIMD
 * kernel assembly/elementwise.ts `transpose2d`; a no-op is one memcpy; anything else one
 * strided copy between heap views. Throws "Transpose: perm …" unless
 * perm is a permutation of 0..rank-1. string/complex64 are delegated to tfjs-backend-cpu.
 * Mirrors tfjs-backend-cpu kernels/Transpose (transposeImpl).
 */
export function transpose(args: { inputs: { x?: TensorInfo }; backend: BackendSimd; attrs: TransposeAttrs }): TensorInfo {
  const { backend: be, attrs: { perm } } = args;
  const x = requireInput(Transpose, 'x', args.inputs.x);
  const rank = x.shape.length;
  const seen = new Set(perm);
  if (!Array.isArray(perm) || perm.length !== rank || seen.size !== rank ||
      perm.some(p => !Number.isInteger(p) || p < 0 || p >= rank)) {
    throw new Error(`Transpose: perm must be a permutation of 0..${rank - 1} for x of shape [${x.shape}], got [${perm}]`);
  }
  if (x.dtype === 'string' || x.dtype === 'complex64') {
    return runOnCpu(Transpose, { x }, { perm } as unknown as NamedAttrMap, be) as TensorInfo;
  }
  const out = be.makeOutput(perm.map(p => x.shape[p]), x.dtype);
  return guarded(be, [out], () => {
    transposeHeap(be, be.ptr(x), be.ptr(out), x.shape, perm, x.dtype);
    return out;
  });
}

export const transposeConfig: KernelConfig = {
  kernelName: Transpose,
  backendName: 'simd',
  kernelFunc: transpose as unknown as KernelFunc,
};
