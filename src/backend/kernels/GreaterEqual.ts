import { GreaterEqual, KernelConfig } from '@tensorflow/tfjs-core';
import { compareKernel } from '../elementwise_impl';

/**
 * `GreaterEqual`: bool y = a >= b, with tfjs broadcasting (inputs a, b of one dtype), in JS on heap
 * views (float32/int32/bool; no copies). Mixed or string dtypes are delegated to
 * tfjs-backend-cpu. Throws "GreaterEqual: Operands could not be broadcast together …" for
 * incompatible shapes. Mirrors tfjs-backend-cpu kernels/GreaterEqual.
 */
export const greaterEqualConfig: KernelConfig = {
  kernelName: GreaterEqual,
  backendName: 'simd',
  kernelFunc: compareKernel(GreaterEqual, (a, b) => a >= b),
};
