import { Identity, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';

/**
 * `Identity` (tf.clone): shares x's heap block (refcounted), as tfjs-backend-cpu does.
 * Tensors are immutable, so sharing is safe; it also keeps tfjs' per-kernel leak check exact
 * when gradients save their inputs by cloning them.
 */
export function identity(args: { inputs: { x: TensorInfo }; backend: BackendSimd }): TensorInfo {
  const { inputs: { x }, backend } = args;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'simd',
  kernelFunc: identity as unknown as KernelFunc,
};
