import { LessEqual, KernelConfig } from '@tensorflow/tfjs-core';
import { compareKernel } from '../elementwise_impl';

/**
 * `LessEqual`: bool y = a <= b, with tfjs broadcasting (inputs a, b of one dtype), in JS on heap
 * views (float32/int32/bool; no copies). Mixed or string dtypes are delegated to
 * tfjs-backend-cpu. Throws "LessEqual: Operands could not be broadcast together …" for
 * incompatible shapes. Mirrors tfjs-backend-cpu kernels/LessEqual.
 */
export const lessEqualConfig: KernelConfig = {
  kernelName: LessEqual,
  backendName: 'simd',
  kernelFunc: compareKernel(LessEqual, (a, b) => a <= b),
};
