import {
  backend_util, Conv2DBackpropInput, Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { assertRank } from '../kernel_utils';
import { checkConvInfo, checkDy, conv2dBackpropInputImpl } from '../conv_backprop_impl';

/**
 * `Conv2DBackpropInput` (tf.conv2dTranspose, and the input gradient of tf.conv2d):
 * dy [N, outH, outW, outC] and filter [kh, kw, inC, outC] (HWIO) → dx = attrs.inputShape
 * [N, H, W, inC], float32 NHWC, with strides, pad ('same' | 'valid' | number | explicit) and
 * dimRoundingMode as in tfjs-backend-cpu's kernel of the same name (computeConv2DInfo, dilation 1).
 * Native: float32 NHWC, SIMD sub-convolutions per stride phase (conv_backprop_impl.ts); NCHW or
 * other dtypes are delegated to tfjs-backend-cpu.
 * Throws (before allocating) when dy/filter are not rank 4, inputShape is not length 4, the
 * filter's channels disagree with inputShape / dy, or dy is smaller than the conv's output
 * (a larger dy is cropped to its top-left corner, as on cpu).
 */
export function conv2DBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: BackendSimd;
    attrs: Conv2DBackpropInputAttrs }): TensorInfo {
  const K = Conv2DBackpropInput;
  const { inputs: { dy, filter }, backend, attrs } = args;
  const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs;
  assertRank(K, 'dy', dy, 4);
  assertRank(K, 'filter', filter, 4);
  if (!Array.isArray(inputShape) || inputShape.length !== 4) {
    throw new Error(`${K}: attr inputShape must have length 4, got [${inputShape}]`);
  }
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32' || dataFormat === 'NCHW') {
    return runOnCpu(K, { dy, filter }, attrs as unknown as NamedAttrMap, backend) as TensorInfo;
  }
  const ci = inputShape[3], fci = filter.shape[2];
  if (fci !== ci) {
    throw new Error(`${K}: filter [${filter.shape}] has ${fci} input channels, inputShape [${inputShape}] has ${ci}`);
  }
  const info = backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number],
      strides, 1, pad, dimRoundingMode, false, backend_util.convertConv2DDataFormat(dataFormat));
  checkConvInfo(K, info);
  checkDy(K, info, dy);
  return conv2dBackpropInputImpl(backend, dy, filter, info);
}

/** Registration of `conv2DBackpropInput` as the simd backend's kernel (register_all_kernels.ts). */
export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'simd',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
