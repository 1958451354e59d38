import { Abs, KernelConfig } from '@tensorflow/tfjs-core';
import { unaryFloatKernel } from '../elementwise_impl';

/**
 * `Abs`: y = |x|.
 * float32 any shape → same shape, SIMD (assembly/elementwise.ts `abs`); other dtypes are
 * delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/Abs.
 */
export const absConfig: KernelConfig = {
  kernelName: Abs,
  backendName: 'simd',
  kernelFunc: unaryFloatKernel(Abs, 'abs'),
};
