import { KernelConfig, KernelFunc, Select, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { requireInput } from '../elementwise_impl';

/**
 * `Select` (tf.where, used by the LeakyRelu/Prelu/Elu gradients): y[i] = condition[i] ? t[i] :
 * e[i] for a bool condition and t, e of one shape and dtype (tf.where broadcasts all three to
 * one shape before the kernel), in JS on heap views. Other combinations (rank-1 condition
 * selecting rows, mixed dtypes, strings) are delegated to tfjs-backend-cpu.
 * Mirrors tfjs-backend-cpu kernels/Select.
 */
export function select(args: { inputs: { condition?: TensorInfo; t?: TensorInfo; e?: TensorInfo }; backend: BackendSimd }): TensorInfo {
  const { backend: be } = args;
  const condition = requireInput(Select, 'condition', args.inputs.condition);
  const t = requireInput(Select, 't', args.inputs.t);
  const e = requireInput(Select, 'e', args.inputs.e);
  const native = condition.dtype === 'bool' && t.dtype === e.dtype && t.dtype !== 'string' && t.dtype !== 'complex64' &&
      util.arraysEqual(condition.shape, t.shape) && util.arraysEqual(t.shape, e.shape);
  if (!native) return runOnCpu(Select, { condition, t, e }, {}, be) as TensorInfo;
  const out = be.makeOutput(t.shape, t.dtype);
  const n = util.sizeFromShape(t.shape);
  if (n === 0) return out;
  const c = be.view(condition), tv = be.view(t), ev = be.view(e), y = be.view(out);
  for (let i = 0; i < n; i++) y[i] = c[i] === 1 ? tv[i] : ev[i];
  return out;
}

export const selectConfig: KernelConfig = {
  kernelName: Select,
  backendName: 'simd',
  kernelFunc: select as unknown as KernelFunc,
};
