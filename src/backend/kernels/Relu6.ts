import { Relu6, KernelConfig } from '@tensorflow/tfjs-core';
import { unaryFloatKernel } from '../elementwise_impl';

/**
 * `Relu6`: y = min(max(x, 0), 6); NaN stays NaN (as cpu's Math.min(Math.max(0, x), 6)).
 * float32 any shape → same shape, SIMD (assembly/elementwise.ts `relu6`); other dtypes are
 * delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/Relu6.
 */
export const relu6Config: KernelConfig = {
  kernelName: Relu6,
  backendName: 'simd',
  kernelFunc: unaryFloatKernel(Relu6, 'relu6'),
};
