import {
  backend_util, Conv2D, Conv2DAttrs, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { assertRank } from '../kernel_utils';
import { conv2dImpl, zeroRowUnsafe } from '../conv_impl';
import { LINEAR } from '../gemm_impl';

/** Checks x/filter ranks and channel agreement (NHWC, HWIO), naming `kernel`; throws otherwise. */
export function checkConvInputs(kernel: string, x: TensorInfo, filter: TensorInfo): void {
  assertRank(kernel, 'x', x, 4);
  assertRank(kernel, 'filter', filter, 4);
  if (x.shape[3] !== filter.shape[2]) {
    throw new Error(`${kernel}: x [${x.shape}] has ${x.shape[3]} channels (NHWC) but filter ` +
        `[${filter.shape}] expects ${filter.shape[2]} input channels (HWIO [kh, kw, Cin, Cout])`);
  }
}

/**
 * `Conv2D` (tf.conv2d, tf.conv1d): x [N, H, W, Cin] (NHWC) * filter [kh, kw, Cin, Cout] (HWIO)
 * → [N, outH, outW, Cout], strides/dilations ≥ 1, pad 'same' | 'valid' | number | explicit
 * [[0,0],[t,b],[l,r],[0,0]], dimRoundingMode — geometry from backend_util.computeConv2DInfo,
 * exactly as tfjs-backend-cpu's Conv2D. Native for float32 NHWC: indirect GEMM (conv_impl.ts,
 * XNNPACK IGEMM); dataFormat 'NCHW', other dtypes, and padded convolutions whose filter holds
 * Inf/NaN (see conv_impl.ts zeroRowUnsafe) are delegated to tfjs-backend-cpu.
 * Throws (before allocating) when x or filter is not rank 4 or their channels disagree.
 */
export function conv2D(args: { inputs: { x: TensorInfo; filter: TensorInfo }; backend: BackendSimd;
    attrs: Conv2DAttrs }): TensorInfo {
  const { inputs: { x, filter }, backend, attrs } = args;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || dataFormat === 'NCHW') {
    return runOnCpu(Conv2D, { x, filter }, attrs as unknown as NamedAttrMap, backend) as TensorInfo;
  }
  checkConvInputs(Conv2D, x, filter);
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode,
      false, 'channelsLast');
  if (zeroRowUnsafe(backend, filter, info)) {
    return runOnCpu(Conv2D, { x, filter }, attrs as unknown as NamedAttrMap, backend) as TensorInfo;
  }
  return conv2dImpl(backend, x, filter, info, LINEAR);
}

/** Registers `Conv2D` on the 'simd' backend (register_all_kernels.ts). */
export const conv2DConfig: KernelConfig = {
  kernelName: Conv2D,
  backendName: 'simd',
  kernelFunc: conv2D as unknown as KernelFunc,
};
