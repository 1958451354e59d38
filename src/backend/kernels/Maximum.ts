import { Maximum, KernelConfig } from '@tensorflow/tfjs-core';
import { binaryKernel } from '../elementwise_impl';

/**
 * `Maximum`: y = max(a, b), NaN if either is NaN (Math.max), with tfjs broadcasting (inputs a, b; output shape from
 * backend_util.assertAndGetBroadcastShape, dtype a's). float32: SIMD (assembly/elementwise.ts
 * `maxNd`: same-shape, scalar either side, bias-add and per-row patterns are one vector loop;
 * anything else a strided n-d walk). int32: JS on heap views, as cpu. Mixed or other dtypes:
 * delegated to tfjs-backend-cpu. Throws "Maximum: Operands could not be broadcast together with
 * shapes …" for incompatible shapes. Mirrors tfjs-backend-cpu kernels/Maximum.
 */
export const maximumConfig: KernelConfig = {
  kernelName: Maximum,
  backendName: 'simd',
  kernelFunc: binaryKernel(Maximum, 'maxNd', (a, b) => Math.max(a, b)),
};
