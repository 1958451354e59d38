import { Fill, FillAttrs, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';

/**
 * `Fill` (tf.fill, tf.zeros, tf.ones): a tensor of attr `shape` with every element attr
 * `value`, dtype attr `dtype` (default inferred from value, as cpu), filled in place in the
 * heap. Numeric dtypes (float32/int32/bool) native; string delegated to tfjs-backend-cpu.
 * Mirrors tfjs-backend-cpu kernels/Fill.
 */
export function fill(args: { backend: BackendSimd; attrs: FillAttrs }): TensorInfo {
  const { backend: be, attrs } = args;
  const { shape, value } = attrs;
  const dtype = attrs.dtype || util.inferDtype(value);
  if (dtype === 'string' || typeof value !== 'number') {
    return runOnCpu(Fill, {}, attrs as unknown as NamedAttrMap, be) as TensorInfo;
  }
  const out = be.makeOutput(shape, dtype);
  if (util.sizeFromShape(shape) > 0) be.view(out).fill(value);
  return out;
}

export const fillConfig: KernelConfig = {
  kernelName: Fill,
  backendName: 'simd',
  kernelFunc: fill as unknown as KernelFunc,
};
