/** Backend selection for the CLI: registers simd (via the library), cpu, and tfjs wasm if installed. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../index';

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
