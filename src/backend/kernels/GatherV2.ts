import { backend_util, GatherV2, GatherV2Attrs, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { requireInput } from '../elementwise_impl';

/**
 * `GatherV2` (tf.gather): slices of x along attr `axis` picked by int32 `indices`, with
 * `batchDims` (shape logic: backend_util.segment_util.collectGatherOpShapeInfo, as cpu). x is
 * viewed as [batch, outer, dim, slice] and each picked slice copied between heap views.
 * Every index must lie in [0, dim-1], else throws "GatherV2: the index value … is not in
 * [0, …]" as cpu. float32/int32/bool x with int32 indices native; other dtypes delegated to
 * tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/GatherV2.
 */
export function gatherV2(args: { inputs: { x?: TensorInfo; indices?: TensorInfo }; backend: BackendSimd; attrs: GatherV2Attrs }): TensorInfo {
  const { backend: be, attrs } = args;
  const x = requireInput(GatherV2, 'x', args.inputs.x);
  const indices = requireInput(GatherV2, 'indices', args.inputs.indices);
  if (x.dtype === 'string' || x.dtype === 'complex64' || indices.dtype !== 'int32') {
    return runOnCpu(GatherV2, { x, indices }, attrs as unknown as NamedAttrMap, be) as TensorInfo;
  }
  const axis = util.parseAxisParam(attrs.axis, x.shape)[0];
  const dim = x.shape[axis];
  const idx = be.view(indices) as Int32Array;
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i];
    util.assert(v <= dim - 1 && v >= 0, () => `GatherV2: the index value ${v} is not in [0, ${dim - 1}]`);
  }
  const info = backend_util.segment_util.collectGatherOpShapeInfo(x, indices, axis, attrs.batchDims ?? 0);
  const out = be.makeOutput(info.outputShape, x.dtype);
  const outSize = util.sizeFromShape(info.outputShape);
  if (outSize === 0) return out;
  const { batchSize, outerSize, sliceSize } = info;
  const nIdx = util.sizeFromShape(indices.shape) / batchSize;
  const src = be.view(x), dst = be.view(out), ind = be.view(indices) as Int32Array;
  let d = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let o = 0; o < outerSize; o++) {
      const rowBase = (b * outerSize + o) * dim;
      for (let j = 0; j < nIdx; j++) {
        const s = (rowBase + ind[b * nIdx + j]) * sliceSize;
        if (sliceSize > 32) dst.set(src.subarray(s, s + sliceSize), d);
        else for (let k = 0; k < sliceSize; k++) dst[d + k] = src[s + k];
        d += sliceSize;
      }
    }
  }
  return out;
}

export const gatherV2Config: KernelConfig = {
  kernelName: GatherV2,
  backendName: 'simd',
  kernelFunc: gatherV2 as unknown as KernelFunc,
};
