import { ArgMax, KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { argReduceKernel } from '../elementwise_impl';

/**
 * `ArgMax`: int32 index of the maximum along attr `axis` (one axis; an array uses its first
 * entry, as cpu). Ties give the FIRST index; NaN entries are skipped unless the first one is
 * NaN (then 0) — cpu's `v > max` scan. float32: SIMD (assembly/reduce.ts `argMaxInner`,
 * `argMaxMid`); int32: JS on heap views; other dtypes delegated to tfjs-backend-cpu.
 * Mirrors tfjs-backend-cpu kernels/ArgMax.
 */
export const argMaxConfig: KernelConfig = {
  kernelName: ArgMax,
  backendName: 'simd',
  kernelFunc: argReduceKernel(ArgMax, 'argMax') as KernelFunc,
};
