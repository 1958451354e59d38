/**
 * Delegation of kernels that have no native `simd` implementation (or inputs a native kernel
 * does not handle, e.g. int32 or NCHW) to tfjs-backend-cpu, on a private MathBackendCPU.
 * Inputs are copied out of the wasm heap, the cpu kernel runs, outputs are copied back in and
 * the cpu copies are freed. This keeps every tfjs op usable on `simd` (the long tail: NMS,
 * TopK, string ops, …) at the price of two copies per call; hot kernels are native.
 */
import {
  getKernel, getKernelsForBackend, KernelConfig, KernelFunc, NamedAttrMap, registerKernel,
  TensorInfo, DataId,
} from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { BackendSimd } from './backend_simd';

type Inputs = Record<string, TensorInfo | undefined | null> | TensorInfo[];

/**
 * Runs tfjs-backend-cpu's kernel `kernelName` for inputs stored in the simd backend and
 * returns outputs stored in the simd backend. Throws whatever the cpu kernel throws
 * (after freeing every intermediate copy), or an Error when cpu has no such kernel.
 */
export function runOnCpu(kernelName: string, inputs: Inputs, attrs: NamedAttrMap | undefined,
    backend: BackendSimd): TensorInfo | TensorInfo[] {
  const config = getKernel(kernelName, 'cpu');
  if (config === undefined) throw new Error(`simd backend: kernel '${kernelName}' is not implemented`);
  const cpu = backend.cpu;
  const created: DataId[] = [];
  // Some cpu kernels read `.rank` (a Tensor property) and some take arrays of tensors
  // (the Ragged* kernels): copy recursively and keep `rank`.
  const copy = (t: unknown): unknown => {
    if (t == null) return t;
    if (Array.isArray(t)) return t.map(copy);
    const info = t as TensorInfo;
    const dataId = cpu.write(backend.readSync(info.dataId), info.shape, info.dtype);
    created.push(dataId);
    return { dataId, shape: info.shape, dtype: info.dtype, rank: info.shape.length };
  };
  try {
    const cpuInputs = Array.isArray(inputs) ? inputs.map(copy)
        : Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, copy(t)]));
    const out = config.kernelFunc({ inputs: cpuInputs as never, attrs: attrs ?? {}, backend: cpu });
    const outs = Array.isArray(out) ? out : [out];
    const results = outs.map(o => backend.makeTensorInfo(o.shape, o.dtype, cpu.readSync(o.dataId)));
    for (const o of outs) cpu.disposeData(o.dataId);
    return Array.isArray(out) ? results : results[0];
  } finally {
    for (const id of created) cpu.disposeData(id);
  }
}

/** Names of kernels served by delegation (filled by `registerCpuFallbacks`). */
export const FALLBACK_KERNELS: string[] = [];

/** Kernels tfjs-backend-cpu implements with tensor storage we do not have. */
const NOT_DELEGATED = new Set(['Complex', 'Real', 'Imag', 'ComplexAbs', 'FFT', 'IFFT', 'RFFT', 'IRFFT']);

/** Registers a delegating kernel on `backendName` for every cpu kernel not registered there yet. */
export function registerCpuFallbacks(backendName: string): void {
  const have = new Set(getKernelsForBackend(backendName).map(k => k.kernelName));
  for (const { kernelName } of getKernelsForBackend('cpu')) {
    if (have.has(kernelName) || NOT_DELEGATED.has(kernelName)) continue;
    const kernelFunc: KernelFunc = ({ inputs, attrs, backend }) =>
      runOnCpu(kernelName, inputs as Inputs, attrs, backend as BackendSimd);
    const config: KernelConfig = { kernelName, backendName, kernelFunc };
    registerKernel(config);
    FALLBACK_KERNELS.push(kernelName);
  }
}
