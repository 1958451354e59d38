import { AvgPoolGrad, AvgPoolGradAttrs, backend_util, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { assertRank } from '../kernel_utils';
import { avgPoolGradImpl } from '../pool_impl';

/**
 * `AvgPoolGrad` (gradient of tf.avgPool): inputs dy [N, outH, outW, C] and input x
 * [N, H, W, C] (only its shape is used), attrs filterSize, strides, pad → dx [N, H, W, C].
 * Semantics of tfjs-backend-cpu kernels/AvgPoolGrad.ts: the geometry is computed without
 * dimRoundingMode (cpu ignores it), and every window spreads dy / (filterHeight × filterWidth)
 * over its in-bounds taps (the filter area, not the in-bounds count the forward divided by).
 * float32 runs natively (pool_impl.ts `avgPoolGradImpl`); other dtypes go to cpu.
 * @throws Error if dy or input is not rank 4, dy's shape is not the pooled shape, or the
 *   geometry is invalid.
 */
export function avgPoolGrad(args: {
  inputs: { dy: TensorInfo; input: TensorInfo }; backend: BackendSimd; attrs: AvgPoolGradAttrs;
}): TensorInfo {
  const { inputs: { dy, input }, backend, attrs } = args;
  assertRank(AvgPoolGrad, 'dy', dy, 4);
  assertRank(AvgPoolGrad, 'input', input, 4);
  if (dy.dtype !== 'float32' || input.dtype !== 'float32') {
    return runOnCpu(AvgPoolGrad, { dy, input }, attrs as unknown as NamedAttrMap, backend) as TensorInfo;
  }
  const { filterSize, strides, pad } = attrs;
  const convInfo = backend_util.computePool2DInfo(input.shape as [number, number, number, number],
      filterSize, strides, 1, pad);
  return avgPoolGradImpl(backend, dy, convInfo, { divisor: 'filter' });
}

/** Registers `avgPoolGrad` above as the `simd` backend's `AvgPoolGrad` kernel. */
export const avgPoolGradConfig: KernelConfig = {
  kernelName: AvgPoolGrad,
  backendName: 'simd',
  kernelFunc: avgPoolGrad as unknown as KernelFunc,
};
