import { Minimum, KernelConfig } from '@tensorflow/tfjs-core';
import { binaryKernel } from '../elementwise_impl';

/**
 * `Minimum`: y = min(a, b), NaN if either is NaN (Math.min), with tfjs broadcasting (inputs a, b; output shape from
 * backend_util.assertAndGetBroadcastShape, dtype a's). float32: SIMD (assembly/elementwise.ts
 * `minNd`: same-shape, scalar either side, bias-add and per-row patterns are one vector loop;
 * anything else a strided n-d walk). int32: JS on heap views, as cpu. Mixed or other dtypes:
 * delegated to tfjs-backend-cpu. Throws "Minimum: Operands could not be broadcast together with
 * shapes …" for incompatible shapes. Mirrors tfjs-backend-cpu kernels/Minimum.
 */
export const minimumConfig: KernelConfig = {
  kernelName: Minimum,
  backendName: 'simd',
  kernelFunc: binaryKernel(Minimum, 'minNd', (a, b) => Math.min(a, b)),
};
