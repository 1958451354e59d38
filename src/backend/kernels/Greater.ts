import { Greater, KernelConfig } from '@tensorflow/tfjs-core';
import { compareKernel } from '../elementwise_impl';

/**
 * `Greater`: bool y = a > b, with tfjs broadcasting (inputs a, b of one dtype), in JS on heap
 * views (float32/int32/bool; no copies). Mixed or string dtypes are delegated to
 * tfjs-backend-cpu. Throws "Greater: Operands could not be broadcast together …" for
 * incompatible shapes. Mirrors tfjs-backend-cpu kernels/Greater.
 */
export const greaterConfig: KernelConfig = {
  kernelName: Greater,
  backendName: 'simd',
  kernelFunc: compareKernel(Greater, (a, b) => a > b),
};
