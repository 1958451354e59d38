import { Rsqrt, KernelConfig } from '@tensorflow/tfjs-core';
import { unaryFloatKernel } from '../elementwise_impl';

/**
 * `Rsqrt`: y = 1/sqrt(x), computed in float64 and rounded once (bit-identical to cpu).
 * float32 any shape → same shape, SIMD (assembly/elementwise.ts `rsqrt`); other dtypes are
 * delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/Rsqrt.
 */
export const rsqrtConfig: KernelConfig = {
  kernelName: Rsqrt,
  backendName: 'simd',
  kernelFunc: unaryFloatKernel(Rsqrt, 'rsqrt'),
};
