/** Backend selection for the CLI: registers simd (via the library), cpu, and tfjs wasm if installed. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { enableThreads } from '../index';

/**
 * Activates `name` ('simd', 'cpu', 'webgl' where available) and returns it; the first 'simd'
 * starts the threads asked for with {@link requestThreads}.
 * @throws Error naming the backend when it is unknown or fails to initialize.
 */
export async function useBackend(name: string): Promise<string> {
  if (name === 'simd' && requestedThreads > 1) await startRequestedThreads();
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

/** Threads asked for with --threads, started by the first useBackend('simd'). */
let requestedThreads = 1;

/**
 * The CLI's `--threads <n>`: with n > 1, the opt-in worker threads of the `simd` backend
 * (src/backend/threads.ts `enableThreads({ numThreads: n })`) are started by the job's first
 * `useBackend('simd')`, i.e. after the job has checked its own options and before the backend
 * is initialized; n = 1 (the default) changes nothing. Results are bit-identical to one thread.
 * @throws Error at once when n > 1 and the backend is not 'simd'.
 */
export function requestThreads(n: number | undefined, backend: string): void {
  if (n === undefined || n === 1) return;
  if (backend !== 'simd') throw new Error(`--threads ${n} needs --backend simd (got --backend ${backend})`);
  requestedThreads = n;
}

async function startRequestedThreads(): Promise<void> {
  const n = requestedThreads;
  requestedThreads = 1;
  const info = await enableThreads({ numThreads: n });
  const workers = info.poolThreads - 1;
  console.error(`simd backend: ${info.numThreads} threads (this one and ${workers} worker${workers === 1 ? '' : 's'})`);
}
