import {
  KernelConfig, KernelFunc, NamedAttrMap, slice_util, StridedSlice, StridedSliceAttrs, TensorInfo, util,
} from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { copyStrided, requireInput, stridesOf } from '../elementwise_impl';
import { reshape } from './Reshape';

/**
 * `StridedSlice` (tf.stridedSlice; attrs begin, end, strides and the begin/end/ellipsis/
 * newAxis/shrinkAxis masks, resolved by tfjs' slice_util.sliceInfo exactly as on cpu):
 * an identity slice is a copy-free reshape; anything else one strided copy between heap
 * views (negative strides walk backwards). float32/int32/bool native; string/complex64 are
 * delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/StridedSlice.
 */
export function stridedSlice(args: { inputs: { x?: TensorInfo }; backend: BackendSimd; attrs: StridedSliceAttrs }): TensorInfo {
  const { backend: be, attrs } = args;
  const x = requireInput(StridedSlice, 'x', args.inputs.x);
  const { begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask } = attrs;
  const info = slice_util.sliceInfo(x.shape, begin, end, strides, beginMask, endMask, ellipsisMask,
      newAxisMask, shrinkAxisMask);
  const rank = x.shape.length;
  if (x.dtype === 'string' || x.dtype === 'complex64' || info.finalShapeSparse.length !== rank ||
      info.begin.length !== rank || info.strides.length !== rank) {
    return runOnCpu(StridedSlice, { x }, attrs as unknown as NamedAttrMap, be) as TensorInfo;
  }
  if (info.isIdentity) return reshape({ inputs: { x }, backend: be, attrs: { shape: info.finalShape } });
  const out = be.makeOutput(info.finalShape, x.dtype);
  if (util.sizeFromShape(info.finalShape) === 0) return out;
  const xs = stridesOf(x.shape);
  let offset = 0;
  for (let i = 0; i < rank; i++) offset += info.begin[i] * xs[i];
  copyStrided(be.view(out), 0, stridesOf(info.finalShapeSparse), be.view(x), offset,
      xs.map((s, i) => s * info.strides[i]), info.finalShapeSparse);
  return out;
}

export const stridedSliceConfig: KernelConfig = {
  kernelName: StridedSlice,
  backendName: 'simd',
  kernelFunc: stridedSlice as unknown as KernelFunc,
};
