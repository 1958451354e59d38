import { NotEqual, KernelConfig } from '@tensorflow/tfjs-core';
import { compareKernel } from '../elementwise_impl';

/**
 * `NotEqual`: bool y = a !== b (NaN is unequal to everything), with tfjs broadcasting (inputs a, b of one dtype), in JS on heap
 * views (float32/int32/bool; no copies). Mixed or string dtypes are delegated to
 * tfjs-backend-cpu. Throws "NotEqual: Operands could not be broadcast together …" for
 * incompatible shapes. Mirrors tfjs-backend-cpu kernels/NotEqual.
 */
export const notEqualConfig: KernelConfig = {
  kernelName: NotEqual,
  backendName: 'simd',
  kernelFunc: compareKernel(NotEqual, (a, b) => a !== b),
};
