import { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo, Unpack, UnpackAttrs, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { copyStrided, guarded, requireInput } from '../elementwise_impl';

/**
 * `Unpack` (tf.unstack): input `value` of shape S → S[axis] tensors of S without that axis
 * (attr `axis`, negative counts from the end), each one strided copy between heap views.
 * float32/int32/bool native; string/complex64 delegated to tfjs-backend-cpu. Throws
 * "Unpack: axis …" for an axis out of range. Mirrors tfjs-backend-cpu kernels/Unpack.
 */
export function unpack(args: { inputs: { value?: TensorInfo }; backend: BackendSimd; attrs: UnpackAttrs }): TensorInfo[] {
  const { backend: be, attrs } = args;
  const value = requireInput(Unpack, 'value', args.inputs.value);
  const rank = value.shape.length;
  const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) {
    throw new Error(`Unpack: axis must be an integer in [${-rank}, ${rank - 1}] for value of shape [${value.shape}], got ${attrs.axis}`);
  }
  if (value.dtype === 'string' || value.dtype === 'complex64') {
    return runOnCpu(Unpack, { value }, attrs as unknown as NamedAttrMap, be) as TensorInfo[];
  }
  const num = value.shape[axis];
  const outShape = value.shape.filter((_, i) => i !== axis);
  const outs: TensorInfo[] = [];
  return guarded(be, outs, () => {
    for (let i = 0; i < num; i++) outs.push(be.makeOutput(outShape, value.dtype));
    if (util.sizeFromShape(outShape) === 0) return outs;
    const outer = util.sizeFromShape(value.shape.slice(0, axis));
    const inner = util.sizeFromShape(value.shape.slice(axis + 1));
    const x = be.view(value);
    outs.forEach((o, i) => copyStrided(be.view(o), 0, [inner, 1], x, i * inner, [num * inner, 1], [outer, inner]));
    return outs;
  });
}

export const unpackConfig: KernelConfig = {
  kernelName: Unpack,
  backendName: 'simd',
  kernelFunc: unpack as unknown as KernelFunc,
};
