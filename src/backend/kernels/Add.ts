import { Add, KernelConfig } from '@tensorflow/tfjs-core';
import { binaryKernel } from '../elementwise_impl';

/**
 * `Add`: y = a + b, with tfjs broadcasting (inputs a, b; output shape from
 * backend_util.assertAndGetBroadcastShape, dtype a's). float32: SIMD (assembly/elementwise.ts
 * `addNd`: same-shape, scalar either side, bias-add and per-row patterns are one vector loop;
 * anything else a strided n-d walk). int32: JS on heap views, as cpu. Mixed or other dtypes:
 * delegated to tfjs-backend-cpu. Throws "Add: Operands could not be broadcast together with
 * shapes …" for incompatible shapes. Mirrors tfjs-backend-cpu kernels/Add.
 */
export const addConfig: KernelConfig = {
  kernelName: Add,
  backendName: 'simd',
  kernelFunc: binaryKernel(Add, 'addNd', (a, b) => a + b),
};
