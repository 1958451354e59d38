import { KernelConfig, KernelFunc, Reshape, ReshapeAttrs, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';

/**
 * `Reshape` without a copy: the output shares the input's heap block (refcounted), as in
 * tfjs-backend-cpu/wasm. Throws when the element counts differ (naming both shapes).
 */
export function reshape(args: { inputs: { x: TensorInfo }; backend: BackendSimd; attrs: ReshapeAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs: { shape } } = args;
  const size = util.sizeFromShape(x.shape);
  const known = util.sizeFromShape(shape.filter(d => d !== -1));
  const ok = shape.includes(-1) ? (known === 0 ? size === 0 : size % known === 0) : known === size;
  if (!ok) {
    throw new Error(`Reshape: cannot reshape tensor x of shape [${x.shape}] (${size} elements) ` +
        `into shape [${shape}]`);
  }
  const $shape = util.inferFromImplicitShape(shape, size);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: $shape, dtype: x.dtype };
}

export const reshapeConfig: KernelConfig = {
  kernelName: Reshape,
  backendName: 'simd',
  kernelFunc: reshape as unknown as KernelFunc,
};
