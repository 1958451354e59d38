/** Backend selection for the CLI: registers simd (via the library), cpu, and tfjs wasm if installed. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { enableThreads } from '../index';

/**
 * Activates `name` ('simd', 'cpu', 'webgl' where available) and returns it.
 * @throws Error naming the backend when it is unknown or fails to initialize.
 */
export async function useBackend(name: string): Promise<string> {
  if (tf.findBackendFactory(name) == null) {
    throw new Error(`unknown backend '${name}' (registered here: ${Object.keys(tf.engine().registryFactory).join(', ')}` +
        `${name === 'webgl' ? '; webgl needs a browser: use simdnet in a page or worker' : ''})`);
  }
  if (!(await tf.setBackend(name))) throw new Error(`backend '${name}' failed to initialize on this machine`);
  // tfjs-backend-cpu prints a one-time "install tfjs-node" notice on first use; the CLI runs
  // cpu only as a reference, so skip it.
  const active = tf.backend() as unknown as { firstUse?: boolean };
  if (active.firstUse !== undefined) active.firstUse = false;
  return tf.getBackend();
}

/**
 * The CLI's `--threads <n>`: with n > 1, starts the opt-in worker threads of the `simd` backend
 * (src/backend/threads.ts `enableThreads({ numThreads: n })`) before any backend is initialized;
 * n = 1 (the default) changes nothing. Results are bit-identical to one thread.
 * @throws Error when n > 1 and the backend is not 'simd', or the threads cannot start.
 */
export async function useThreads(n: number | undefined, backend: string): Promise<void> {
  if (n === undefined || n === 1) return;
  if (backend !== 'simd') throw new Error(`--threads ${n} needs --backend simd (got --backend ${backend})`);
  const info = await enableThreads({ numThreads: n });
  const workers = info.poolThreads - 1;
  console.error(`simd backend: ${info.numThreads} threads (this one and ${workers} worker${workers === 1 ? '' : 's'})`);
}
