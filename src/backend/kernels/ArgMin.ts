import { ArgMin, KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { argReduceKernel } from '../elementwise_impl';

/**
 * `ArgMin`: int32 index of the minimum along attr `axis` (one axis; an array uses its first
 * entry, as cpu). Ties give the FIRST index; NaN entries are skipped unless the first one is
 * NaN (then 0) — cpu's `v < min` scan. float32: SIMD (assembly/reduce.ts `argMinInner`,
 * `argMinMid`); int32: JS on heap views; other dtypes delegated to tfjs-backend-cpu.
 * Mirrors tfjs-backend-cpu kernels/ArgMin.
 */
export const argMinConfig: KernelConfig = {
  kernelName: ArgMin,
  backendName: 'simd',
  kernelFunc: argReduceKernel(ArgMin, 'argMin') as KernelFunc,
};
