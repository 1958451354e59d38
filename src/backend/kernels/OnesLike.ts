import { OnesLike, KernelConfig, KernelFunc, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { requireInput } from '../elementwise_impl';

/**
 * `OnesLike`: a tensor of x's shape and dtype filled with 1, in place in the heap
 * (float32/int32/bool). string (cpu throws "onesLike is not supported for string tensors")
 * and complex64 are delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/OnesLike.
 */
export function onesLike(args: { inputs: { x?: TensorInfo }; backend: BackendSimd }): TensorInfo {
  const { backend: be } = args;
  const x = requireInput(OnesLike, 'x', args.inputs.x);
  if (x.dtype === 'string' || x.dtype === 'complex64') return runOnCpu(OnesLike, { x }, {}, be) as TensorInfo;
  const out = be.makeOutput(x.shape, x.dtype);
  if (util.sizeFromShape(x.shape) > 0) be.view(out).fill(1);
  return out;
}

export const onesLikeConfig: KernelConfig = {
  kernelName: OnesLike,
  backendName: 'simd',
  kernelFunc: onesLike as unknown as KernelFunc,
};
