import { MaxPool, KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { pool2dKernel } from '../kernel_utils';
import { maxPoolImpl } from '../pool_impl';

/**
 * `MaxPool` (tf.maxPool, tf.pool 'max'): x [N, H, W, C] (NHWC) → [N, outH, outW, C], the
 * geometry from `backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad,
 * dimRoundingMode)` exactly as tfjs-backend-cpu kernels/MaxPool.ts (pad 'valid' | 'same' |
 * number | explicit [[0,0],[t,b],[l,r],[0,0]]; dilations are always 1 here: tf.pool dilates
 * via SpaceToBatchND). Like cpu, a 1×1 filter whose output shape equals the input shape
 * returns x itself (shared, refcounted). float32 runs natively (pool_impl.ts `maxPoolImpl`:
 * NaN ignored, empty / all-NaN windows give -Infinity); other dtypes go to cpu.
 * @throws Error if x is not rank 4, or the geometry is invalid (e.g. filter larger than the
 *   padded input).
 */
export const maxPool = pool2dKernel(MaxPool, maxPoolImpl);

/** Registers `maxPool` above as the `simd` backend's `MaxPool` kernel. */
export const maxPoolConfig: KernelConfig = {
  kernelName: MaxPool,
  backendName: 'simd',
  kernelFunc: maxPool as unknown as KernelFunc,
};
