import { Equal, KernelConfig } from '@tensorflow/tfjs-core';
import { compareKernel } from '../elementwise_impl';

/**
 * `Equal`: bool y = a === b (NaN never equal), with tfjs broadcasting (inputs a, b of one dtype), in JS on heap
 * views (float32/int32/bool; no copies). Mixed or string dtypes are delegated to
 * tfjs-backend-cpu. Throws "Equal: Operands could not be broadcast together …" for
 * incompatible shapes. Mirrors tfjs-backend-cpu kernels/Equal.
 */
export const equalConfig: KernelConfig = {
  kernelName: Equal,
  backendName: 'simd',
  kernelFunc: compareKernel(Equal, (a, b) => a === b),
};
