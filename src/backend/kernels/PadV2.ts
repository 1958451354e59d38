import { KernelConfig, KernelFunc, NamedAttrMap, PadV2, PadV2Attrs, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { copyStrided, requireInput, stridesOf } from '../elementwise_impl';

/**
 * `PadV2` (tf.pad): y has shape before_i + x.shape[i] + after_i (attr `paddings`
 * [[before, after], …] one pair per dim, non-negative integers) filled with attr
 * `constantValue`, x copied into the interior between heap views. float32/int32/bool native;
 * string/complex64 delegated to tfjs-backend-cpu. Throws "PadV2: paddings …" for a wrong
 * number of pairs or negative/non-integer entries. Mirrors tfjs-backend-cpu kernels/PadV2.
 */
export function padV2(args: { inputs: { x?: TensorInfo }; backend: BackendSimd; attrs: PadV2Attrs }): TensorInfo {
  const { backend: be, attrs } = args;
  const x = requireInput(PadV2, 'x', args.inputs.x);
  const { paddings, constantValue } = attrs;
  const rank = x.shape.length;
  if (!Array.isArray(paddings) || paddings.length !== rank ||
      paddings.some(p => !Array.isArray(p) || p.length !== 2 || !p.every(v => Number.isInteger(v) && v >= 0))) {
    throw new Error(`PadV2: paddings must be ${rank} pairs of non-negative integers for x of shape ` +
        `[${x.shape}], got ${JSON.stringify(paddings)}`);
  }
  if (x.dtype === 'string' || x.dtype === 'complex64') {
    return runOnCpu(PadV2, { x }, attrs as unknown as NamedAttrMap, be) as TensorInfo;
  }
  const outShape = paddings.map((p, i) => p[0] + x.shape[i] + p[1]);
  const out = be.makeOutput(outShape, x.dtype);
  if (util.sizeFromShape(outShape) === 0) return out;
  const y = be.view(out);
  y.fill(constantValue);
  const os = stridesOf(outShape);
  let offset = 0;
  for (let i = 0; i < rank; i++) offset += paddings[i][0] * os[i];
  copyStrided(y, offset, os, be.view(x), 0, stridesOf(x.shape), x.shape);
  return out;
}

export const padV2Config: KernelConfig = {
  kernelName: PadV2,
  backendName: 'simd',
  kernelFunc: padV2 as unknown as KernelFunc,
};
