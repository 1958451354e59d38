import { Tanh, KernelConfig } from '@tensorflow/tfjs-core';
import { unaryFloatKernel } from '../elementwise_impl';

/**
 * `Tanh`: y = tanh x (odd polynomial near 0, 1 - 2/(e^2|x| + 1) beyond; relative error < 5e-7).
 * float32 any shape → same shape, SIMD (assembly/elementwise.ts `tanh`); other dtypes are
 * delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/Tanh.
 */
export const tanhConfig: KernelConfig = {
  kernelName: Tanh,
  backendName: 'simd',
  kernelFunc: unaryFloatKernel(Tanh, 'tanh'),
};
