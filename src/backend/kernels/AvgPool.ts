import { AvgPool, AvgPoolAttrs, backend_util, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { assertRank } from '../kernel_utils';
import { avgPoolImpl } from '../pool_impl';
import { identity } from './Identity';

/**
 * `AvgPool` (tf.avgPool, tf.pool 'avg'): x [N, H, W, C] (NHWC) → [N, outH, outW, C], the
 * geometry from `backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad,
 * dimRoundingMode)` exactly as tfjs-backend-cpu kernels/AvgPool.ts. Each output is the mean of
 * the window's in-bounds taps (tfjs divides by their count: PyTorch count_include_pad=False;
 * a window without in-bounds taps gives NaN, as on cpu). A 1×1 filter whose output shape equals
 * the input shape returns x itself, like cpu. float32 runs natively (pool_impl.ts
 * `avgPoolImpl`); other dtypes go to cpu.
 * @throws Error if x is not rank 4, or the geometry is invalid.
 */
export function avgPool(args: { inputs: { x: TensorInfo }; backend: BackendSimd; attrs: AvgPoolAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs } = args;
  assertRank(AvgPool, 'x', x, 4);
  if (x.dtype !== 'float32') return runOnCpu(AvgPool, { x }, attrs as unknown as NamedAttrMap, backend) as TensorInfo;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const convInfo = backend_util.computePool2DInfo(x.shape as [number, number, number, number],
      filterSize, strides, 1, pad, dimRoundingMode);
  if (convInfo.filterWidth === 1 && convInfo.filterHeight === 1 &&
      util.arraysEqual(convInfo.inShape, convInfo.outShape)) {
    return identity({ inputs: { x }, backend });
  }
  return avgPoolImpl(backend, x, convInfo);
}

/** Registers `avgPool` above as the `simd` backend's `AvgPool` kernel. */
export const avgPoolConfig: KernelConfig = {
  kernelName: AvgPool,
  backendName: 'simd',
  kernelFunc: avgPool as unknown as KernelFunc,
};
