import { Sqrt, KernelConfig } from '@tensorflow/tfjs-core';
import { unaryFloatKernel } from '../elementwise_impl';

/**
 * `Sqrt`: y = sqrt(x), correctly rounded (bit-identical to cpu); sqrt of x < 0 = NaN.
 * float32 any shape → same shape, SIMD (assembly/elementwise.ts `sqrt`); other dtypes are
 * delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/Sqrt.
 */
export const sqrtConfig: KernelConfig = {
  kernelName: Sqrt,
  backendName: 'simd',
  kernelFunc: unaryFloatKernel(Sqrt, 'sqrt'),
};
