import { Sigmoid, KernelConfig } from '@tensorflow/tfjs-core';
import { unaryFloatKernel } from '../elementwise_impl';

/**
 * `Sigmoid`: y = 1 / (1 + e^-x), accurate in both tails (relative error < 5e-7).
 * float32 any shape → same shape, SIMD (assembly/elementwise.ts `sigmoid`); other dtypes are
 * delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/Sigmoid.
 */
export const sigmoidConfig: KernelConfig = {
  kernelName: Sigmoid,
  backendName: 'simd',
  kernelFunc: unaryFloatKernel(Sigmoid, 'sigmoid'),
};
