import { Log, KernelConfig } from '@tensorflow/tfjs-core';
import { unaryFloatKernel } from '../elementwise_impl';

/**
 * `Log`: y = ln x (vectorized polynomial, relative error < 3e-7; log 0 = -Infinity, log of x < 0 = NaN).
 * float32 any shape → same shape, SIMD (assembly/elementwise.ts `log`); other dtypes are
 * delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/Log.
 */
export const logConfig: KernelConfig = {
  kernelName: Log,
  backendName: 'simd',
  kernelFunc: unaryFloatKernel(Log, 'log'),
};
