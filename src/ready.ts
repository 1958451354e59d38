/**
 * Backend selection: `ready()` activates the first backend in a preference list that really
 * works here, and says why the others were skipped.
 *
 * Why not just `tf.setBackend()` / tfjs' priorities: `setBackend` returns false (with only a
 * console warning) when a backend fails to initialize, and tfjs then silently runs on whatever
 * comes next; and a WebGL backend that initializes can still compute in half-float precision
 * (mobile GPUs without float32 render targets: `3.3² = 10.88`, tensorflow/tfjs#265) or be plainly
 * wrong (driver bugs). So every candidate other than `cpu` must pass a known-answer check before
 * it is trusted (see {@link knownAnswerCheck}).
 *
 * WebGL is not forced on anyone: `@tensorflow/tfjs-backend-webgl` is imported lazily (a dynamic
 * `import()`), only when `'webgl'` is asked for, no `webgl` backend is registered yet and the
 * environment can have WebGL (a `document` or an `OffscreenCanvas`, i.e. a page or a worker).
 * In Node it is never loaded. Bundles that want it eagerly (the browser and worker bundles,
 * src/browser.ts) import it statically; bundlers turn the dynamic import into a lazy chunk.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { isSimdSupported, registerSimdBackend } from './backend/index';

/** Backend names `ready()` knows how to check; any other registered tfjs backend name works too. */
export type BackendName = 'simd' | 'webgl' | 'cpu' | (string & {});

export interface ReadyOptions {
  /** Candidates, best first. Default `['simd', 'webgl', 'cpu']`. */
  prefer?: BackendName[];
  /**
   * Accept a WebGL backend that computes in half-float (fp16) precision. Default false: such a
   * GPU is skipped (about 3 significant digits; classification usually survives, regression
   * and parity checks do not).
   */
  allowHalfFloat?: boolean;
}

export interface ReadyResult {
  /** The backend now active (`tf.getBackend()`). */
  backend: string;
  /** One line per candidate that was skipped, in order, e.g. `webgl: no WebGL2 or WebGL1 context`. */
  reasons: string[];
}

/**
 * Known-answer results per backend instance (a re-registered backend is checked again) and
 * per `allowHalfFloat` (the strict and the relaxed check differ).
 */
const verified = new WeakMap<tf.KernelBackend, Map<boolean, string | null>>();

function canHaveWebGL(): boolean {
  return typeof OffscreenCanvas !== 'undefined' ||
      (typeof document !== 'undefined' && typeof document.createElement === 'function');
}

/** Registers the webgl backend if this environment can have one; returns why not otherwise. */
async function ensureWebGLRegistered(): Promise<string | null> {
  if (tf.findBackendFactory('webgl') != null) return null;
  if (!canHaveWebGL()) return 'no WebGL in this environment (no document or OffscreenCanvas, e.g. Node.js)';
  try {
    await import('@tensorflow/tfjs-backend-webgl');
  } catch (e) {
    return `loading @tensorflow/tfjs-backend-webgl failed: ${(e as Error).message}`;
  }
  return tf.findBackendFactory('webgl') != null ? null : '@tensorflow/tfjs-backend-webgl did not register a backend';
}

/** Why the webgl backend cannot be trusted before trying it (no context, no float32 targets). */
function webglPrecheck(allowHalfFloat: boolean): string | null {
  const version = tf.env().getNumber('WEBGL_VERSION');
  if (version === 0) return 'no WebGL2 or WebGL1 context could be created';
  if (!tf.env().getBool('WEBGL_RENDER_FLOAT32_CAPABLE') && !allowHalfFloat) {
    return `float32 render targets are missing (WebGL${version} without EXT_color_buffer_float): ` +
        'only half-float precision; pass allowHalfFloat: true to accept it';
  }
  return null;
}

/** Waits for a promise-or-value from tfjs without leaking tensors. */
async function values(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

/**
 * Runs the known-answer check on the active backend and returns a description of the first
 * failure, or null when it passes. Three probes, each large enough (1024 elements) that
 * tfjs-webgl cannot hand it to the CPU (`WEBGL_CPU_HANDOFF_SIZE_THRESHOLD`, 128):
 *
 * - float32 precision: `1 + 2^-20` must survive an add on the device (fp16 returns 1);
 * - `3.3² = 10.89` within 1e-6 (fp16 gives 10.88, tensorflow/tfjs#265);
 * - a tiny conv2d against a hand-computed answer: x = [[1,2,3],[4,5,6],[7,8,9]] (NHWC
 *   [1,3,3,1]), filter [2,2,1,2] with output channel 0 = [[1,2],[3,4]] and channel 1 =
 *   [[1,0],[0,-1]], stride 1, 'valid': channel 0 = 1·1+2·2+4·3+5·4 = 37, 47, 67, 77 and
 *   channel 1 = 1−5 = −4 everywhere; NHWC output [37,−4, 47,−4, 67,−4, 77,−4].
 *
 * With `allowHalfFloat` the two precision probes only need 3 significant digits.
 */
export async function knownAnswerCheck(allowHalfFloat = false): Promise<string | null> {
  const n = 1024;
  const eps = 2 ** -20;
  const sum = await values(tf.tidy(() => tf.add(tf.fill([n], 1), tf.fill([n], eps))));
  const sq = await values(tf.tidy(() => tf.square(tf.fill([n], 3.3))));
  if (!allowHalfFloat) {
    const bad = sum.findIndex(v => Math.abs(v - (1 + eps)) > 2 ** -22);
    if (bad >= 0) return `returned half-float precision: 1 + 2^-20 came back as ${sum[bad]} (pass allowHalfFloat: true to accept)`;
    const badSq = sq.findIndex(v => Math.abs(v - 10.89) > 1e-6);
    if (badSq >= 0) return `returned half-float precision: 3.3² came back as ${sq[badSq]}, not 10.89 (pass allowHalfFloat: true to accept)`;
  } else {
    const bad = sq.findIndex(v => Math.abs(v - 10.89) > 0.02);
    if (bad >= 0 || sum.some(v => Math.abs(v - 1) > 1e-3)) return `wrong elementwise results (3.3² = ${sq[Math.max(bad, 0)]})`;
  }
  const conv = await values(tf.tidy(() => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    // filter [kh, kw, in, out]: (kh,kw) -> [ch0, ch1]
    const w = tf.tensor4d([1, 1, 2, 0, 3, 0, 4, -1], [2, 2, 1, 2]);
    return tf.conv2d(x, w, 1, 'valid');
  }));
  const expected = [37, -4, 47, -4, 67, -4, 77, -4];
  if (conv.length !== expected.length || expected.some((v, i) => Math.abs(conv[i] - v) > 1e-4)) {
    return `conv2d known-answer check failed: got [${Array.from(conv).join(', ')}], expected [${expected.join(', ')}]`;
  }
  return null;
}

/** Activates `name` and checks it; returns null on success or why it was skipped. */
async function tryBackend(name: string, allowHalfFloat: boolean): Promise<string | null> {
  if (name === 'simd') {
    registerSimdBackend();
    if (!isSimdSupported()) return 'WebAssembly SIMD validation failed (this engine rejects the SIMD kernel module)';
  } else if (name === 'webgl') {
    const why = (await ensureWebGLRegistered()) ?? webglPrecheck(allowHalfFloat);
    if (why) return why;
  } else if (tf.findBackendFactory(name) == null) {
    return `no backend '${name}' is registered (import its package first)`;
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    return `initialization threw: ${(e as Error).message}`;
  }
  if (!ok) return `tf.setBackend('${name}') returned false (initialization failed; see the console warning)`;
  if (name === 'cpu') return null;  // the reference itself
  const backend = tf.backend();
  let results = verified.get(backend);
  if (!results) verified.set(backend, results = new Map());
  if (!results.has(allowHalfFloat)) {
    try {
      results.set(allowHalfFloat, await knownAnswerCheck(allowHalfFloat));
    } catch (e) {
      results.set(allowHalfFloat, `known-answer check threw: ${(e as Error).message}`);
    }
  }
  return results.get(allowHalfFloat) ?? null;
}

/**
 * Picks and activates the first backend of `prefer` that works here.
 *
 * For each candidate, in order: `simd` needs `WebAssembly.validate` to accept the SIMD kernel
 * module; `webgl` needs a WebGL2 or WebGL1 context and float32 render targets (unless
 * `allowHalfFloat`), and is loaded lazily (see the module comment); any other name must be a
 * registered tfjs backend. Then `tf.setBackend(name)` must return true, and every backend but
 * `cpu` must pass {@link knownAnswerCheck} (float32 precision probe + a hand-computed conv2d),
 * run once per backend instance.
 *
 * @param options.prefer candidates, best first (default `['simd', 'webgl', 'cpu']`).
 * @param options.allowHalfFloat accept a half-float WebGL backend (default false).
 * @returns the active backend and one reason per skipped candidate (`'<name>: <why>'`).
 * @throws Error listing every reason when no candidate works (e.g. `prefer: ['webgl']` in Node);
 *   the backend active before the call (if any) is active again. A backend that failed its
 *   check stays registered (tfjs keeps it), so `tf.setBackend()` could still pick it by name.
 */
export async function ready({ prefer = ['simd', 'webgl', 'cpu'], allowHalfFloat = false }: ReadyOptions = {}): Promise<ReadyResult> {
  const before = tf.engine().backendName;
  const reasons: string[] = [];
  for (const name of prefer) {
    const why = await tryBackend(name, allowHalfFloat);
    if (why === null) return { backend: tf.getBackend(), reasons };
    reasons.push(`${name}: ${why}`);
  }
  if (before && tf.engine().backendName !== before) await tf.setBackend(before);
  throw new Error(`simdnet: no usable backend among [${prefer.join(', ')}]:\n  ${reasons.join('\n  ')}`);
}
