import { KernelConfig, KernelFunc, Pack, PackAttrs, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { copyStrided } from '../elementwise_impl';
import { reshape } from './Reshape';

/**
 * `Pack` (tf.stack): N inputs of one shape S and dtype → shape S with N inserted at attr
 * `axis` (negative: counted from the end of the output rank). One input is a copy-free
 * reshape (cpu: expandDims); otherwise each input is copied into its slot between heap
 * views. Throws "All tensors passed to stack must have matching shapes/dtypes" as cpu.
 * float32/int32/bool native; string/complex64 delegated to tfjs-backend-cpu.
 * Mirrors tfjs-backend-cpu kernels/Pack.
 */
export function pack(args: { inputs: TensorInfo[]; backend: BackendSimd; attrs: PackAttrs }): TensorInfo {
  const { inputs, backend: be, attrs: { axis } } = args;
  if (!Array.isArray(inputs) || inputs.length === 0) throw new Error('Pack: expected at least one input tensor');
  inputs.forEach((t, i) => { if (t == null) throw new Error(`Pack: input ${i} is missing`); });
  const shape = inputs[0].shape;
  const dtype = inputs[0].dtype;
  const rank = shape.length;
  if (!Number.isInteger(axis) || axis < -(rank + 1) || axis > rank) {
    throw new Error(`Pack: axis must be an integer in [${-(rank + 1)}, ${rank}] for inputs of rank ${rank}, got ${axis}`);
  }
  const dim = axis < 0 ? axis + rank + 1 : axis;
  for (const t of inputs) {
    util.assertShapesMatch(shape, t.shape, 'All tensors passed to stack must have matching shapes');
    util.assert(dtype === t.dtype, () => 'All tensors passed to stack must have matching dtypes');
  }
  const outShape = shape.slice();
  outShape.splice(dim, 0, inputs.length);
  if (inputs.length === 1) return reshape({ inputs: { x: inputs[0] }, backend: be, attrs: { shape: outShape } });
  if (dtype === 'string' || dtype === 'complex64') return runOnCpu(Pack, inputs, { axis }, be) as TensorInfo;
  const out = be.makeOutput(outShape, dtype);
  if (util.sizeFromShape(outShape) === 0) return out;
  const outer = util.sizeFromShape(shape.slice(0, dim));
  const inner = util.sizeFromShape(shape.slice(dim));
  const y = be.view(out);
  const n = inputs.length;
  inputs.forEach((t, i) => copyStrided(y, i * inner, [n * inner, 1], be.view(t), 0, [inner, 1], [outer, inner]));
  return out;
}

export const packConfig: KernelConfig = {
  kernelName: Pack,
  backendName: 'simd',
  kernelFunc: pack as unknown as KernelFunc,
};
