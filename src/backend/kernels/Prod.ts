import { Prod, KernelConfig } from '@tensorflow/tfjs-core';
import { reduceKernel } from '../elementwise_impl';

/**
 * `Prod`: product (float64 accumulation; bool/int32 → int32) over attr `axis` (number, number[] or null = all axes; negative counts from
 * the end) with `keepDims`. float32: SIMD (assembly/reduce.ts `prodInner` for a contiguous
 * reduced run, `prodMid` vectorized over a kept inner run, e.g. N,H,W of NHWC; other axis
 * sets are transposed into a scratch block first, as cpu does). int32 (and bool for
 * Sum/Prod): JS on heap views. Other dtypes: delegated to tfjs-backend-cpu.
 * Mirrors tfjs-backend-cpu kernels/Prod.
 */
export const prodConfig: KernelConfig = {
  kernelName: Prod,
  backendName: 'simd',
  kernelFunc: reduceKernel(Prod, 'prod', 'axis'),
};
