import { Sub, KernelConfig } from '@tensorflow/tfjs-core';
import { binaryKernel } from '../elementwise_impl';

/**
 * `Sub`: y = a - b, with tfjs broadcasting (inputs a, b; output shape from
 * backend_util.assertAndGetBroadcastShape, dtype a's). float32: SIMD (assembly/elementwise.ts
 * `subNd`: same-shape, scalar either side, bias-add and per-row patterns are one vector loop;
 * anything else a strided n-d walk). int32: JS on heap views, as cpu. Mixed or other dtypes:
 * delegated to tfjs-backend-cpu. Throws "Sub: Operands could not be broadcast together with
 * shapes …" for incompatible shapes. Mirrors tfjs-backend-cpu kernels/Sub.
 */
export const subConfig: KernelConfig = {
  kernelName: Sub,
  backendName: 'simd',
  kernelFunc: binaryKernel(Sub, 'subNd', (a, b) => a - b),
};
