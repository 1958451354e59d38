import { Neg, KernelConfig } from '@tensorflow/tfjs-core';
import { unaryFloatKernel } from '../elementwise_impl';

/**
 * `Neg`: y = -x.
 * float32 any shape → same shape, SIMD (assembly/elementwise.ts `neg`); other dtypes are
 * delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/Neg.
 */
export const negConfig: KernelConfig = {
  kernelName: Neg,
  backendName: 'simd',
  kernelFunc: unaryFloatKernel(Neg, 'neg'),
};
