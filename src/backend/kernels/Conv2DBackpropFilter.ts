import {
  backend_util, Conv2DBackpropFilter, Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { assertRank } from '../kernel_utils';
import { checkConvInfo, checkDy, conv2dBackpropFilterImpl } from '../conv_backprop_impl';

/**
 * `Conv2DBackpropFilter` (the filter gradient of tf.conv2d / tf.conv2dTranspose): x [N, H, W, inC]
 * and dy [N, outH, outW, outC] → dw = attrs.filterShape [kh, kw, inC, outC] (HWIO), float32 NHWC,
 * with strides, pad ('same' | 'valid' | number | explicit) and dimRoundingMode as in
 * tfjs-backend-cpu's kernel of the same name (computeConv2DInfo, dilation 1).
 * Native: float32 NHWC, per filter row a (kw·inC) × outC SIMD GEMM over the output pixels
 * (conv_backprop_impl.ts); NCHW or other dtypes are delegated to tfjs-backend-cpu.
 * Throws (before allocating) when x/dy are not rank 4, filterShape is not length 4, its channels
 * disagree with x / dy, or dy is smaller than the conv's output
 * (a larger dy is cropped to its top-left corner, as on cpu).
 */
export function conv2DBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendSimd;
    attrs: Conv2DBackpropFilterAttrs }): TensorInfo {
  const K = Conv2DBackpropFilter;
  const { inputs: { x, dy }, backend, attrs } = args;
  const { filterShape, strides, pad, dataFormat, dimRoundingMode } = attrs;
  assertRank(K, 'x', x, 4);
  assertRank(K, 'dy', dy, 4);
  if (!Array.isArray(filterShape) || filterShape.length !== 4) {
    throw new Error(`${K}: attr filterShape must have length 4, got [${filterShape}]`);
  }
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || dataFormat === 'NCHW') {
    return runOnCpu(K, { x, dy }, attrs as unknown as NamedAttrMap, backend) as TensorInfo;
  }
  const ci = x.shape[3], fci = filterShape[2];
  if (fci !== ci) {
    throw new Error(`${K}: filterShape [${filterShape}] has ${fci} input channels, x [${x.shape}] has ${ci}`);
  }
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape,
      strides, 1, pad, dimRoundingMode, false, backend_util.convertConv2DDataFormat(dataFormat));
  checkConvInfo(K, info);
  checkDy(K, info, dy);
  return conv2dBackpropFilterImpl(backend, x, dy, info);
}

/** Registration of `conv2DBackpropFilter` as the simd backend's kernel (register_all_kernels.ts). */
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'simd',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
