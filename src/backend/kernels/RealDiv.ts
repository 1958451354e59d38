import { RealDiv, KernelConfig } from '@tensorflow/tfjs-core';
import { binaryKernel } from '../elementwise_impl';

/**
 * `RealDiv`: y = a / b (int32: the double quotient stored into an int32, i.e. truncated,
 * x/0 → 0, as cpu), with tfjs broadcasting (inputs a, b; output shape from
 * backend_util.assertAndGetBroadcastShape, dtype a's). float32: SIMD (assembly/elementwise.ts
 * `divNd`: same-shape, scalar either side, bias-add and per-row patterns are one vector loop;
 * anything else a strided n-d walk). int32: JS on heap views, as cpu. Mixed or other dtypes:
 * delegated to tfjs-backend-cpu. Throws "RealDiv: Operands could not be broadcast together with
 * shapes …" for incompatible shapes. Mirrors tfjs-backend-cpu kernels/RealDiv.
 */
export const realDivConfig: KernelConfig = {
  kernelName: RealDiv,
  backendName: 'simd',
  kernelFunc: binaryKernel(RealDiv, 'divNd', (a, b) => a / b),
};
