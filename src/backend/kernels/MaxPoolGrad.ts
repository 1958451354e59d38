import { backend_util, KernelConfig, KernelFunc, MaxPoolGrad, MaxPoolGradAttrs, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { assertRank } from '../kernel_utils';
import { maxPoolGradImpl } from '../pool_impl';

/**
 * `MaxPoolGrad` (gradient of tf.maxPool): inputs dy [N, outH, outW, C], input x [N, H, W, C]
 * (the forward input, NHWC) and output (the forward output: unused, as on cpu, which
 * recomputes the argmax from x); attrs filterSize, strides, pad, dimRoundingMode →
 * dx [N, H, W, C]. Semantics of tfjs-backend-cpu kernels/MaxPoolGrad.ts + pool_utils.ts
 * `maxPoolPositions`: each dy goes to the FIRST window position (row-major scan, strict `>`,
 * NaN ignored) holding the max; windows whose max is -Infinity pass nothing. float32 runs
 * natively (pool_impl.ts `maxPoolGradImpl`); other dtypes go to cpu.
 * @throws Error if dy or input is not rank 4, dy's shape is not the pooled shape, or the
 *   geometry is invalid.
 */
export function maxPoolGrad(args: {
  inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo }; backend: BackendSimd; attrs: MaxPoolGradAttrs;
}): TensorInfo {
  const { inputs: { dy, input, output }, backend, attrs } = args;
  assertRank(MaxPoolGrad, 'dy', dy, 4);
  assertRank(MaxPoolGrad, 'input', input, 4);
  if (dy.dtype !== 'float32' || input.dtype !== 'float32') {
    return runOnCpu(MaxPoolGrad, { dy, input, output }, attrs as unknown as NamedAttrMap, backend) as TensorInfo;
  }
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const convInfo = backend_util.computePool2DInfo(input.shape as [number, number, number, number],
      filterSize, strides, 1, pad, dimRoundingMode);
  return maxPoolGradImpl(backend, dy, input, convInfo);
}

/** Registers `maxPoolGrad` above as the `simd` backend's `MaxPoolGrad` kernel. */
export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'simd',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
