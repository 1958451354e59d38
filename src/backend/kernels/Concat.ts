import { backend_util, Concat, ConcatAttrs, KernelConfig, KernelFunc, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { copyStrided } from '../elementwise_impl';
import { identity } from './Identity';

/**
 * `Concat` (tf.concat) of inputs [t0, t1, …] along attr `axis` (negative counts from the
 * end): shapes must agree except along axis (backend_util.assertParamsConsistent, as cpu);
 * output shape backend_util.computeOutShape. Empty inputs are skipped; a single non-empty
 * input is shared (refcounted), as on cpu. Each input is copied as rows
 * [outer, inner_i] into its column block of [outer, Σ inner_i] between heap views (one
 * memcpy per input when axis is 0). float32/int32/bool native, one dtype for all inputs;
 * anything else delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/Concat.
 */
export function concat(args: { inputs: TensorInfo[]; backend: BackendSimd; attrs: ConcatAttrs }): TensorInfo {
  const { inputs, backend: be, attrs } = args;
  if (!Array.isArray(inputs) || inputs.length === 0) throw new Error('Concat: expected at least one input tensor');
  inputs.forEach((t, i) => { if (t == null) throw new Error(`Concat: input ${i} is missing`); });
  const dtype = inputs[0].dtype;
  if (dtype === 'string' || dtype === 'complex64' || inputs.some(t => t.dtype !== dtype)) {
    return runOnCpu(Concat, inputs, { axis: attrs.axis }, be) as TensorInfo;
  }
  const axis = util.parseAxisParam(attrs.axis, inputs[0].shape)[0];
  backend_util.assertParamsConsistent(inputs.map(t => t.shape), axis);
  const outShape = backend_util.computeOutShape(inputs.map(t => t.shape), axis);
  if (util.sizeFromShape(outShape) === 0) return be.makeOutput(outShape, dtype);
  const nonEmpty = inputs.filter(t => util.sizeFromShape(t.shape) > 0);
  if (nonEmpty.length === 1) return identity({ inputs: { x: nonEmpty[0] }, backend: be });
  const out = be.makeOutput(outShape, dtype);
  const outer = util.sizeFromShape(outShape.slice(0, axis));
  const outInner = util.sizeFromShape(outShape.slice(axis));
  const y = be.view(out);
  let col = 0;
  for (const t of nonEmpty) {
    const inner = util.sizeFromShape(t.shape.slice(axis));
    copyStrided(y, col, [outInner, 1], be.view(t), 0, [inner, 1], [outer, inner]);
    col += inner;
  }
  return out;
}

export const concatConfig: KernelConfig = {
  kernelName: Concat,
  backendName: 'simd',
  kernelFunc: concat as unknown as KernelFunc,
};
