/**
 * A second `simd` backend for `npm run bench`, named 'simd-plain', on its own instance of the
 * plain-SIMD kernel module (build/simdnet.simd.wasm, embedded as SIMD_WASM_BASE64) while 'simd'
 * runs the relaxed-SIMD one: the two builds side by side in one process, so that their ratio
 * (the speed-up of f32x4.relaxed_madd, a fused multiply-add, over f32x4.mul + f32x4.add) is
 * measured under the same load. Same BackendSimd class and the same kernel functions: every
 * kernel config registered for 'simd' (native and cpu-delegating) is registered again for
 * 'simd-plain'; kernels reach the wasm exports through the backend instance they are given.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendSimd } from '../src/backend/backend_simd';
import { instantiate } from '../src/backend/wasm_loader';
import { SIMD_WASM_BASE64 } from '../src/backend/wasm_embedded';

/** The name of the plain-SIMD backend. */
export const PLAIN_BACKEND = 'simd-plain';

/**
 * Registers 'simd-plain' (priority 0: never tfjs' default) with copies of all of 'simd''s
 * kernels; call after the simdnet import registered 'simd'. Idempotent.
 * @throws when the embedded plain module is missing (`npm run build:wasm` not run).
 */
export function registerPlainSimdBackend(): void {
  if (tf.findBackendFactory(PLAIN_BACKEND) != null) return;
  if (!SIMD_WASM_BASE64) throw new Error('simd-plain: no embedded plain-SIMD module; run `npm run build:wasm`');
  const bytes = Uint8Array.from(atob(SIMD_WASM_BASE64), ch => ch.charCodeAt(0));
  tf.registerBackend(PLAIN_BACKEND, () => new BackendSimd(instantiate(new WebAssembly.Module(bytes))), 0);
  for (const k of tf.getKernelsForBackend('simd')) tf.registerKernel({ ...k, backendName: PLAIN_BACKEND });
}
