import { LeakyRelu, KernelConfig } from '@tensorflow/tfjs-core';
import { unaryFloatKernel } from '../elementwise_impl';

/**
 * `LeakyRelu`: y = x < 0 ? alpha * x : x (attr alpha); NaN stays NaN.
 * float32 any shape → same shape, SIMD (assembly/elementwise.ts `leakyRelu`); other dtypes are
 * delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/LeakyRelu.
 */
export const leakyReluConfig: KernelConfig = {
  kernelName: LeakyRelu,
  backendName: 'simd',
  kernelFunc: unaryFloatKernel(LeakyRelu, 'leakyRelu', 'alpha'),
};
