import { Less, KernelConfig } from '@tensorflow/tfjs-core';
import { compareKernel } from '../elementwise_impl';

/**
 * `Less`: bool y = a < b, with tfjs broadcasting (inputs a, b of one dtype), in JS on heap
 * views (float32/int32/bool; no copies). Mixed or string dtypes are delegated to
 * tfjs-backend-cpu. Throws "Less: Operands could not be broadcast together …" for
 * incompatible shapes. Mirrors tfjs-backend-cpu kernels/Less.
 */
export const lessConfig: KernelConfig = {
  kernelName: Less,
  backendName: 'simd',
  kernelFunc: compareKernel(Less, (a, b) => a < b),
};
