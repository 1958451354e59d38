/**
 * Every native `simd` kernel, one config per file in ./kernels (named like the tfjs kernel).
 * Kernels not listed here are delegated to tfjs-backend-cpu (cpu_fallback.ts).
 */
import { KernelConfig, registerKernel } from '@tensorflow/tfjs-core';
import { castConfig } from './kernels/Cast';
import { identityConfig } from './kernels/Identity';
import { reluConfig } from './kernels/Relu';
import { reshapeConfig } from './kernels/Reshape';
// -- elementwise & reductions (owned by the elementwise work) --
// -- end elementwise --
// -- conv & matmul --
// -- end conv & matmul --
// -- pooling --
// -- end pooling --

export const NATIVE_KERNEL_CONFIGS: KernelConfig[] = [
  castConfig,
  identityConfig,
  reluConfig,
  reshapeConfig,
  // elementwise & reductions:
  // conv & matmul:
  // pooling:
];

/** Names of the kernels with a native simd implementation. */
export const NATIVE_KERNELS: string[] = NATIVE_KERNEL_CONFIGS.map(c => c.kernelName);

export function registerAllKernels(): void {
  for (const c of NATIVE_KERNEL_CONFIGS) registerKernel(c);
}
