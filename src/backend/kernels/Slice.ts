import { KernelConfig, KernelFunc, NamedAttrMap, Slice, SliceAttrs, slice_util, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { copyStrided, requireInput, stridesOf } from '../elementwise_impl';

/**
 * `Slice`: y = x[begin : begin + size] (attrs `begin`, `size`; numbers or arrays, size -1 =
 * to the end, parsed and checked by tfjs' slice_util as on cpu, which throws for ranges out
 * of bounds). float32/int32/bool: one copy between heap views (a single memcpy when the
 * slice is contiguous). string/complex64 are delegated to tfjs-backend-cpu.
 * Mirrors tfjs-backend-cpu kernels/Slice (sliceImpl).
 */
export function slice(args: { inputs: { x?: TensorInfo }; backend: BackendSimd; attrs: SliceAttrs }): TensorInfo {
  const { backend: be, attrs } = args;
  const x = requireInput(Slice, 'x', args.inputs.x);
  if (x.dtype === 'string' || x.dtype === 'complex64') {
    return runOnCpu(Slice, { x }, attrs as unknown as NamedAttrMap, be) as TensorInfo;
  }
  const [begin, size] = slice_util.parseSliceParams(x, attrs.begin, attrs.size);
  slice_util.assertParamsValid(x, begin, size);
  return sliceCopy(be, x, begin, size);
}

/** Copies the box [begin, begin + size) of x into a new tensor of shape `size` (validated). */
export function sliceCopy(be: BackendSimd, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = be.makeOutput(size, x.dtype);
  if (util.sizeFromShape(size) === 0) return out;
  const xs = stridesOf(x.shape);
  const offset = slice_util.computeFlatOffset(begin, xs);
  copyStrided(be.view(out), 0, stridesOf(size), be.view(x), offset, xs, size);
  return out;
}

export const sliceConfig: KernelConfig = {
  kernelName: Slice,
  backendName: 'simd',
  kernelFunc: slice as unknown as KernelFunc,
};
