import { ZerosLike, KernelConfig, KernelFunc, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { requireInput } from '../elementwise_impl';

/**
 * `ZerosLike`: a tensor of x's shape and dtype filled with 0, in place in the heap
 * (float32/int32/bool). string (cpu throws "zerosLike is not supported for string tensors")
 * and complex64 are delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/ZerosLike.
 */
export function zerosLike(args: { inputs: { x?: TensorInfo }; backend: BackendSimd }): TensorInfo {
  const { backend: be } = args;
  const x = requireInput(ZerosLike, 'x', args.inputs.x);
  if (x.dtype === 'string' || x.dtype === 'complex64') return runOnCpu(ZerosLike, { x }, {}, be) as TensorInfo;
  const out = be.makeOutput(x.shape, x.dtype);
  if (util.sizeFromShape(x.shape) > 0) be.view(out).fill(0);
  return out;
}

export const zerosLikeConfig: KernelConfig = {
  kernelName: ZerosLike,
  backendName: 'simd',
  kernelFunc: zerosLike as unknown as KernelFunc,
};
