import { KernelConfig, KernelFunc, NamedAttrMap, Softmax, SoftmaxAttrs, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { guarded, requireInput } from '../elementwise_impl';
import { wasmFn } from '../kernel_utils';

/**
 * `Softmax` over the last axis (attr `dim` must be -1 or rank-1, as on cpu, which throws
 * "Softmax along a non-last dimension is not yet supported" otherwise): input `logits`
 * [..., n] float32 → same shape. Numerically stable per row (assembly/elementwise.ts
 * `softmax`): max-subtract, exp, float64 sum, divide — cpu's max/sub/exp/sum/div chain in
 * one pass, so large logits (1000) are fine and a row of -Infinity gives NaN like cpu.
 * Other dtypes are delegated to tfjs-backend-cpu. Mirrors tfjs-backend-cpu kernels/Softmax.
 */
export function softmax(args: { inputs: { logits?: TensorInfo }; backend: BackendSimd; attrs: SoftmaxAttrs }): TensorInfo {
  const { backend: be, attrs } = args;
  const logits = requireInput(Softmax, 'logits', args.inputs.logits);
  const rank = logits.shape.length;
  const dim = attrs.dim === -1 ? rank - 1 : attrs.dim;
  if (dim !== rank - 1) {
    throw new Error('Softmax along a non-last dimension is not yet supported. ' +
        `Logits was rank ${rank} and dim was ${dim}`);
  }
  if (logits.dtype !== 'float32') return runOnCpu(Softmax, { logits }, attrs as unknown as NamedAttrMap, be) as TensorInfo;
  const fn = wasmFn(be, 'softmax');
  const out = be.makeOutput(logits.shape, 'float32');
  const size = util.sizeFromShape(logits.shape);
  if (size === 0) return out;
  const n = rank === 0 ? 1 : logits.shape[rank - 1];
  guarded(be, [out], () => fn(be.ptr(logits), be.ptr(out), size / n, n));
  return out;
}

export const softmaxConfig: KernelConfig = {
  kernelName: Softmax,
  backendName: 'simd',
  kernelFunc: softmax as unknown as KernelFunc,
};
