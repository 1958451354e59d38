import { AddN, KernelConfig, KernelFunc, TensorInfo, util } from '@tensorflow/tfjs-core';
import type { BackendSimd } from '../backend_simd';
import { runOnCpu } from '../cpu_fallback';
import { guarded } from '../elementwise_impl';
import { wasmFn } from '../kernel_utils';

/**
 * `AddN` (tf.addN, gradient accumulation): y = x0 + x1 + … for inputs of one shape and dtype.
 * float32: repeated SIMD adds in place (assembly/elementwise.ts `addNd`, same order as cpu's
 * float32 accumulation); int32: JS on heap views. Throws "AddN: all inputs must have the same
 * shape and dtype …" otherwise; other dtypes delegated to tfjs-backend-cpu.
 * Mirrors tfjs-backend-cpu kernels/AddN.
 */
export function addN(args: { inputs: TensorInfo[]; backend: BackendSimd }): TensorInfo {
  const { inputs, backend: be } = args;
  if (!Array.isArray(inputs) || inputs.length === 0) throw new Error('AddN: expected at least one input tensor');
  const first = inputs[0];
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i];
    if (t == null) throw new Error(`AddN: input ${i} is missing`);
    if (!util.arraysEqual(t.shape, first.shape) || t.dtype !== first.dtype) {
      throw new Error(`AddN: all inputs must have the same shape and dtype; input 0 is ` +
          `${first.dtype} [${first.shape}], input ${i} is ${t.dtype} [${t.shape}]`);
    }
  }
  if (first.dtype !== 'float32' && first.dtype !== 'int32') return runOnCpu(AddN, inputs, {}, be) as TensorInfo;
  const fn = first.dtype === 'float32' ? wasmFn(be, 'addNd') : null;
  const out = be.makeOutput(first.shape, first.dtype);
  const n = util.sizeFromShape(first.shape);
  if (n === 0) return out;
  return guarded(be, [out], () => {
    if (fn === null) {
      const y = be.view(out) as Int32Array;
      y.fill(0);
      for (const t of inputs) {
        const v = be.view(t);
        for (let i = 0; i < n; i++) y[i] += v[i];
      }
      return out;
    }
    if (inputs.length === 1) {
      (be.view(out) as Float32Array).set(be.view(inputs[0]));
      return out;
    }
    // meta table for a rank-1 same-shape add: shape [n], strides (1, 1), counter.
    const meta = be.scratch(16);
    try {
      new Int32Array(be.heap.memory.buffer, meta, 4).set([n, 1, 1, 0]);
      fn(be.ptr(inputs[0]), be.ptr(inputs[1]), be.ptr(out), 1, meta);
      for (let i = 2; i < inputs.length; i++) fn(be.ptr(out), be.ptr(inputs[i]), be.ptr(out), 1, meta);
    } finally {
      be.freeScratch(meta);
    }
    return out;
  });
}

export const addNConfig: KernelConfig = {
  kernelName: AddN,
  backendName: 'simd',
  kernelFunc: addN as unknown as KernelFunc,
};
