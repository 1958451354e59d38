import {
  _FusedMatMul, _FusedMatMulAttrs, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { assertMatrix, batchMatMulImpl, broadcastBatches, finishEpilogue, planEpilogue } from '../gemm_impl';

/**
 * `_FusedMatMul` (tf.fused.matMul): act(matMul(a, b) + bias), shapes and transposes as
 * BatchMatMul, then tfjs-backend-cpu's order: bias add (broadcast), activation ('linear' |
 * 'relu' | 'relu6' | 'leakyrelu' (attr leakyreluAlpha) | 'prelu' (preluActivationWeights) |
 * 'elu' | 'sigmoid').
 * Native for float32: the GEMM's accumulators start at a per-column [N] or scalar bias and its
 * epilogue applies linear/relu/relu6/leakyrelu and per-column or scalar prelu; other bias/prelu
 * shapes, elu and sigmoid run afterwards through the simd kernels of those names. Other dtypes
 * are delegated to tfjs-backend-cpu.
 * Throws (before allocating) as BatchMatMul, and for an unknown activation or 'prelu' without
 * weights.
 */
export function fusedMatMul(args: {
  inputs: { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: BackendSimd; attrs: _FusedMatMulAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { a, b, bias, preluActivationWeights: prelu } = inputs;
  const { transposeA, transposeB, activation, leakyreluAlpha } = attrs;
  const all = [a, b, bias, prelu].filter(t => t != null) as TensorInfo[];
  if (all.some(t => t.dtype !== 'float32')) {
    return runOnCpu(_FusedMatMul, inputs as Record<string, TensorInfo>, attrs as unknown as NamedAttrMap,
        backend) as TensorInfo;
  }
  assertMatrix(_FusedMatMul, 'a', a);
  assertMatrix(_FusedMatMul, 'b', b);
  const m = transposeA ? a.shape[a.shape.length - 1] : a.shape[a.shape.length - 2];
  const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  const outer = broadcastBatches(_FusedMatMul, a.shape.slice(0, -2), b.shape.slice(0, -2));
  const plan = planEpilogue(_FusedMatMul, [...outer, m, n], bias, activation, prelu, leakyreluAlpha);
  const y = batchMatMulImpl(backend, _FusedMatMul, a, b, !!transposeA, !!transposeB, plan);
  return finishEpilogue(backend, y, plan, prelu, leakyreluAlpha);
}

/** Registers `_FusedMatMul` on the 'simd' backend (register_all_kernels.ts). */
export const _fusedMatMulConfig: KernelConfig = {
  kernelName: _FusedMatMul,
  backendName: 'simd',
  kernelFunc: fusedMatMul as unknown as KernelFunc,
};
