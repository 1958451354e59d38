/**
 * Gradient registration check.
 *
 * tfjs-core registers its gradient functions only through the side-effect module
 * `@tensorflow/tfjs-core/dist/register_all_gradients` (the `@tensorflow/tfjs` union package does
 * that import for you; tfjs-core alone does not). Bundlers (rollup/esbuild/webpack) resolve that
 * ESM module fine, so the library entry point (src/index.ts) does it. Plain Node with tfjs-core's
 * CommonJS bundle cannot import it (its ESM dist uses extension-less and directory imports; the
 * project's scripts/node-env.mjs hooks fix that), which is why src/train only *checks* and
 * explains instead of importing it.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Kernels whose gradients every CNN training step here needs. */
const PROBE_KERNELS = ['Conv2D', 'MaxPool', 'Relu', 'BatchMatMul', 'Sum', 'LogSoftmax', 'Add'];

/** True if tfjs-core's gradients are registered (probes a few kernels via `tf.getGradient`). */
export function gradientsRegistered(): boolean {
  return PROBE_KERNELS.every((k) => tf.getGradient(k) != null);
}

/**
 * @throws Error with instructions when tfjs-core's gradients are not registered; otherwise a
 *   no-op. Called by `trainModel` before the first step, so a missing registration fails fast
 *   instead of as "gradient function not found for Sum" in the middle of an epoch.
 */
export function assertGradientsRegistered(): void {
  const missing = PROBE_KERNELS.filter((k) => tf.getGradient(k) == null);
  if (missing.length) {
    throw new Error(
      `trainModel: tfjs-core gradients are not registered (missing for ${missing.join(', ')}). ` +
        `Importing the simdnet entry point (src/index.ts) registers them; otherwise import ` +
        `'@tensorflow/tfjs-core/dist/register_all_gradients' once (bundlers, or Node with ` +
        `scripts/node-env.mjs), or use the @tensorflow/tfjs union package.`,
    );
  }
}
