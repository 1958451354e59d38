import { Step, KernelConfig } from '@tensorflow/tfjs-core';
import { unaryFloatKernel } from '../elementwise_impl';

/**
 * `Step`: y = x > 0 ? 1 : alpha (attr alpha), NaN → NaN (as cpu).
 * float32 any shape → same shape, SIMD (assembly/elementwise.ts `step`); other dtypes are
 * delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/Step.
 */
export const stepConfig: KernelConfig = {
  kernelName: Step,
  backendName: 'simd',
  kernelFunc: unaryFloatKernel(Step, 'step', 'alpha'),
};
