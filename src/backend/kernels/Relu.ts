import { KernelConfig, Relu } from '@tensorflow/tfjs-core';
import { unaryKernel } from '../kernel_utils';

/** `Relu`: y = max(x, 0), SIMD (assembly/elementwise.ts `relu`); NaN propagates as on cpu. */
export const reluConfig: KernelConfig = {
  kernelName: Relu,
  backendName: 'simd',
  kernelFunc: unaryKernel(Relu, 'relu'),
};
