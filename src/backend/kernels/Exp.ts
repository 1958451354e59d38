import { Exp, KernelConfig } from '@tensorflow/tfjs-core';
import { unaryFloatKernel } from '../elementwise_impl';

/**
 * `Exp`: y = e^x (vectorized polynomial, relative error < 3e-7; ±Infinity, NaN as Math.exp).
 * float32 any shape → same shape, SIMD (assembly/elementwise.ts `exp`); other dtypes are
 * delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/Exp.
 */
export const expConfig: KernelConfig = {
  kernelName: Exp,
  backendName: 'simd',
  kernelFunc: unaryFloatKernel(Exp, 'exp'),
};
