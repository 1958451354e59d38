import {
  backend_util, FusedConv2D, FusedConv2DAttrs, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { conv2dImpl, zeroRowUnsafe } from '../conv_impl';
import { finishEpilogue, planEpilogue } from '../gemm_impl';
import { checkConvInputs } from './Conv2D';

/**
 * `FusedConv2D` (tf.fused.conv2d): act(conv2d(x, filter) + bias) with x [N, H, W, Cin] (NHWC),
 * filter [kh, kw, Cin, Cout] (HWIO), geometry as Conv2D (computeConv2DInfo), then tfjs-backend-cpu's
 * order: bias add, activation ('linear' | 'relu' | 'relu6' | 'leakyrelu' (attr leakyreluAlpha) |
 * 'prelu' (preluActivationWeights) | 'elu' | 'sigmoid').
 * Native for float32 NHWC: indirect GEMM whose accumulators start at the bias (per-channel [Cout]
 * or scalar) and whose epilogue applies linear/relu/relu6/leakyrelu and per-channel or scalar
 * prelu; other bias/prelu shapes, elu and sigmoid are applied afterwards by the simd kernels of
 * those names. 'NCHW', non-float32 inputs and padded convolutions whose filter holds Inf/NaN
 * (conv_impl.ts zeroRowUnsafe) are delegated to tfjs-backend-cpu.
 * Throws (before allocating) for rank/channel mismatches (see Conv2D), an unknown activation, or
 * 'prelu' without weights.
 */
export function fusedConv2D(args: {
  inputs: { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: BackendSimd; attrs: FusedConv2DAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, filter, bias, preluActivationWeights: prelu } = inputs;
  const { strides, pad, dataFormat, dilations, dimRoundingMode, activation, leakyreluAlpha } = attrs;
  const others = [bias, prelu].filter(t => t != null) as TensorInfo[];
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || others.some(t => t.dtype !== 'float32') ||
      dataFormat === 'NCHW') {
    return runOnCpu(FusedConv2D, inputs as Record<string, TensorInfo>, attrs as unknown as NamedAttrMap,
        backend) as TensorInfo;
  }
  checkConvInputs(FusedConv2D, x, filter);
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode,
      false, 'channelsLast');
  const plan = planEpilogue(FusedConv2D, info.outShape, bias, activation, prelu, leakyreluAlpha);
  if (zeroRowUnsafe(backend, filter, info)) {
    return runOnCpu(FusedConv2D, inputs as Record<string, TensorInfo>, attrs as unknown as NamedAttrMap,
        backend) as TensorInfo;
  }
  const y = conv2dImpl(backend, x, filter, info, plan);
  return finishEpilogue(backend, y, plan, prelu, leakyreluAlpha);
}

/** Registers `FusedConv2D` on the 'simd' backend (register_all_kernels.ts). */
export const fusedConv2DConfig: KernelConfig = {
  kernelName: FusedConv2D,
  backendName: 'simd',
  kernelFunc: fusedConv2D as unknown as KernelFunc,
};
