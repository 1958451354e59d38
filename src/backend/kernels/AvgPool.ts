import { AvgPool, KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { pool2dKernel } from '../kernel_utils';
import { avgPoolImpl } from '../pool_impl';

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
export const avgPool = pool2dKernel(AvgPool, avgPoolImpl);

/** Registers `avgPool` above as the `simd` backend's `AvgPool` kernel. */
export const avgPoolConfig: KernelConfig = {
  kernelName: AvgPool,
  backendName: 'simd',
  kernelFunc: avgPool as unknown as KernelFunc,
};
