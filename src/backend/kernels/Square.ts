import { Square, KernelConfig } from '@tensorflow/tfjs-core';
import { unaryFloatKernel } from '../elementwise_impl';

/**
 * `Square`: y = x * x.
 * float32 any shape → same shape, SIMD (assembly/elementwise.ts `square`); other dtypes are
 * delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/Square.
 */
export const squareConfig: KernelConfig = {
  kernelName: Square,
  backendName: 'simd',
  kernelFunc: unaryFloatKernel(Square, 'square'),
};
