import { Mean, KernelConfig } from '@tensorflow/tfjs-core';
import { reduceKernel } from '../elementwise_impl';

/**
 * `Mean`: mean = Σ fround(x / R) (cpu divides first, then sums in float64; float32 output; int32 is delegated) over attr `axis` (number, number[] or null = all axes; negative counts from
 * the end) with `keepDims`. float32: SIMD (assembly/reduce.ts `meanInner` for a contiguous
 * reduced run, `meanMid` vectorized over a kept inner run, e.g. N,H,W of NHWC; other axis
 * sets are transposed into a scratch block first, as cpu does). int32 (and bool for
 * Sum/Prod): JS on heap views. Other dtypes: delegated to tfjs-backend-cpu.
 * Mirrors tfjs-backend-cpu kernels/Mean.
 */
export const meanConfig: KernelConfig = {
  kernelName: Mean,
  backendName: 'simd',
  kernelFunc: reduceKernel(Mean, 'mean', 'axis'),
};
