import {
  BatchMatMul, BatchMatMulAttrs, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { batchMatMulImpl, LINEAR } from '../gemm_impl';

/**
 * `BatchMatMul` (tf.matMul, tf.dot): a [...batchA, M, K] (or [..., K, M] with transposeA) ×
 * b [...batchB, K, N] (or [..., N, K] with transposeB) → [...broadcast(batchA, batchB), M, N].
 * Native for float32: 4×8 register-tiled SIMD GEMM over B packed in 8-column panels (packed once
 * per tensor when b is one matrix, e.g. a weight), Aᵀ transposed in scratch (gemm_impl.ts,
 * XNNPACK f32-gemm). Other dtypes (int32) are delegated to tfjs-backend-cpu.
 * Throws (before allocating) for rank < 2, mismatched inner dimensions, or batch dimensions that
 * do not broadcast.
 */
export function batchMatMul(args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: BackendSimd;
    attrs: BatchMatMulAttrs }): TensorInfo {
  const { inputs: { a, b }, backend, attrs } = args;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    return runOnCpu(BatchMatMul, { a, b }, attrs as unknown as NamedAttrMap, backend) as TensorInfo;
  }
  return batchMatMulImpl(backend, BatchMatMul, a, b, !!attrs.transposeA, !!attrs.transposeB, LINEAR);
}

/** Registers `BatchMatMul` on the 'simd' backend (register_all_kernels.ts). */
export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'simd',
  kernelFunc: batchMatMul as unknown as KernelFunc,
};
