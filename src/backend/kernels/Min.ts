import { Min, KernelConfig } from '@tensorflow/tfjs-core';
import { reduceKernel } from '../elementwise_impl';

/**
 * `Min`: minimum, NaN if any element is NaN (as cpu) over attr `axis` (number, number[] or null = all axes; negative counts from
 * the end) with `keepDims`. float32: SIMD (assembly/reduce.ts `minInner` for a contiguous
 * reduced run, `minMid` vectorized over a kept inner run, e.g. N,H,W of NHWC; other axis
 * sets are transposed into a scratch block first, as cpu does). int32 (and bool for
 * Sum/Prod): JS on heap views. Other dtypes: delegated to tfjs-backend-cpu.
 * Mirrors tfjs-backend-cpu kernels/Min.
 */
export const minConfig: KernelConfig = {
  kernelName: Min,
  backendName: 'simd',
  kernelFunc: reduceKernel(Min, 'min', 'axis'),
};
