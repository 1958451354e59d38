import { Sum, KernelConfig } from '@tensorflow/tfjs-core';
import { reduceKernel } from '../elementwise_impl';

/**
 * `Sum`: sum (float64 accumulation, as cpu; bool/int32 → int32) over attr `axis` (number, number[] or null = all axes; negative counts from
 * the end) with `keepDims`. float32: SIMD (assembly/reduce.ts `sumInner` for a contiguous
 * reduced run, `sumMid` vectorized over a kept inner run, e.g. N,H,W of NHWC; other axis
 * sets are transposed into a scratch block first, as cpu does). int32 (and bool for
 * Sum/Prod): JS on heap views. Other dtypes: delegated to tfjs-backend-cpu.
 * Mirrors tfjs-backend-cpu kernels/Sum.
 */
export const sumConfig: KernelConfig = {
  kernelName: Sum,
  backendName: 'simd',
  kernelFunc: reduceKernel(Sum, 'sum', 'axis'),
};
