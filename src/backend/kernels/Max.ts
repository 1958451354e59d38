import { Max, KernelConfig } from '@tensorflow/tfjs-core';
import { reduceKernel } from '../elementwise_impl';

/**
 * `Max`: maximum, NaN if any element is NaN (as cpu) over attr `reductionIndices` (number, number[] or null = all axes; negative counts from
 * the end) with `keepDims`. float32: SIMD (assembly/reduce.ts `maxInner` for a contiguous
 * reduced run, `maxMid` vectorized over a kept inner run, e.g. N,H,W of NHWC; other axis
 * sets are transposed into a scratch block first, as cpu does). int32 (and bool for
 * Sum/Prod): JS on heap views. Other dtypes: delegated to tfjs-backend-cpu.
 * Mirrors tfjs-backend-cpu kernels/Max.
 */
export const maxConfig: KernelConfig = {
  kernelName: Max,
  backendName: 'simd',
  kernelFunc: reduceKernel(Max, 'max', 'reductionIndices'),
};
