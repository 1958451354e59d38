/**
 * Registration of the `simd` backend with tfjs-core.
 *
 * `registerSimdBackend()` registers the backend factory and its kernels: the native ones
 * (register_all_kernels.ts) and, for every other tfjs-backend-cpu kernel, a delegating one.
 * The factory validates the kernel module with `WebAssembly.validate`; on an engine without
 * SIMD it throws a clear message and tfjs moves on to the next backend (webgl, cpu).
 */
import { registerBackend, findBackend, findBackendFactory } from '@tensorflow/tfjs-core';
import { BackendSimd } from './backend_simd';
import { registerAllKernels, NATIVE_KERNELS } from './register_all_kernels';
import { registerCpuFallbacks, FALLBACK_KERNELS } from './cpu_fallback';
import { compileKernelModule, instantiate, kernelModuleSync } from './wasm_loader';
import { takePreparedBackend } from './threads';

export { BackendSimd } from './backend_simd';
export type { SimdMemoryInfo, TensorData } from './backend_simd';
export { setWasmSource, isSimdSupported, wasmVariant } from './wasm_loader';
export type { WasmSource } from './wasm_loader';
export { enableThreads, setThreads, disableThreads, threadsInfo, threadsSupported } from './threads';
export type { ThreadsOptions, ThreadsInfo } from './threads';
export { NATIVE_KERNELS, FALLBACK_KERNELS };

/** The backend's name in tfjs' registry. */
export const SIMD_BACKEND_NAME = 'simd';

/** Sync module compile is refused for large modules on a browser's main thread. */
const onBrowserMainThread = typeof window !== 'undefined' && typeof document !== 'undefined';

function createBackend(): BackendSimd | Promise<BackendSimd> {
  const threaded = takePreparedBackend(); // enableThreads() ran first
  if (threaded !== null) return threaded;
  if (!onBrowserMainThread) {
    const m = kernelModuleSync();
    if (m !== null) return new BackendSimd(instantiate(m));
  }
  return compileKernelModule().then(m => new BackendSimd(instantiate(m)));
}

/**
 * Registers backend 'simd' (idempotent). `priority` 3 places it above webgl (2) and cpu (1),
 * so it becomes tfjs' default where it initializes. Returns false if it was already registered.
 */
export function registerSimdBackend(priority = 3): boolean {
  if (findBackendFactory(SIMD_BACKEND_NAME) != null) return false;
  registerBackend(SIMD_BACKEND_NAME, createBackend, priority);
  registerAllKernels();
  registerCpuFallbacks(SIMD_BACKEND_NAME);
  return true;
}

/** The active simd backend instance (after `await tf.setBackend('simd')`). */
export function simdBackend(): BackendSimd {
  const b = findBackend(SIMD_BACKEND_NAME);
  if (b == null) throw new Error("simdnet: backend 'simd' is not initialized; await tf.setBackend('simd') first");
  return b as BackendSimd;
}
