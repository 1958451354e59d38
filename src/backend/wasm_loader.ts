/**
 * Where the kernel module's bytes come from, and SIMD feature detection.
 *
 * Default: the copy embedded in the library (base64, see scripts/embed-wasm.mjs), so nothing
 * has to be served next to the bundle. Callers whose environment needs otherwise (a CSP that
 * forbids some compile paths, a webview with a custom scheme, a precompiled module shared
 * with a worker) call `setWasmSource()` before the backend is first selected.
 */
import { SIMD_WASM_BASE64, RELAXED_WASM_BASE64 } from './wasm_embedded';

/** Bytes, a URL to fetch, or an already compiled module. */
export type WasmSource = ArrayBuffer | Uint8Array | WebAssembly.Module | string | URL;

/** The raw exports of the kernel module: its memory, `heapBase()` and the kernels. */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  [kernel: string]: unknown;
}

let source: WasmSource | null = null;
let compiled: Promise<WebAssembly.Module> | null = null;
let compiledSync: WebAssembly.Module | null = null;
/** Which embedded variant was picked ('relaxed' where the engine validates relaxed SIMD). */
export let wasmVariant: 'simd' | 'relaxed' | 'custom' = 'simd';

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const SIMD_MISSING =
    "simdnet: this WebAssembly engine does not support SIMD (WebAssembly.validate rejected the " +
    "'simd' kernel module); select the 'webgl' or 'cpu' backend instead";

/**
 * Sets where the kernel module comes from; call before `tf.setBackend('simd')`.
 * @param src bytes (ArrayBuffer/Uint8Array), a URL string/URL to fetch, or a compiled
 *   `WebAssembly.Module`; `null` restores the embedded default.
 */
export function setWasmSource(src: WasmSource | null): void {
  source = src;
  compiled = null;
  compiledSync = null;
}

/** Embedded bytes, choosing relaxed SIMD where the engine accepts it (opt out: `SIMDNET_NO_RELAXED=1`). */
function embeddedBytes(): Uint8Array {
  const noRelaxed = typeof process !== 'undefined' && process.env?.SIMDNET_NO_RELAXED === '1';
  if (RELAXED_WASM_BASE64 && !noRelaxed) {
    const relaxed = base64ToBytes(RELAXED_WASM_BASE64);
    if (WebAssembly.validate(relaxed as BufferSource)) {
      wasmVariant = 'relaxed';
      return relaxed;
    }
  }
  wasmVariant = 'simd';
  return base64ToBytes(SIMD_WASM_BASE64);
}

/** True when this engine can run the embedded SIMD kernel module. Never throws. */
export function isSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && SIMD_WASM_BASE64.length > 0 &&
        WebAssembly.validate(base64ToBytes(SIMD_WASM_BASE64) as BufferSource);
  } catch {
    return false;
  }
}

function validated(bytes: Uint8Array): Uint8Array {
  if (!WebAssembly.validate(bytes as BufferSource)) throw new Error(SIMD_MISSING);
  return bytes;
}

async function compileFrom(src: WasmSource | null): Promise<WebAssembly.Module> {
  if (src === null) return new WebAssembly.Module(validated(embeddedBytes()) as BufferSource);
  wasmVariant = 'custom';
  if (src instanceof WebAssembly.Module) return src;
  if (src instanceof ArrayBuffer) return WebAssembly.compile(validated(new Uint8Array(src)) as BufferSource);
  if (src instanceof Uint8Array) return WebAssembly.compile(validated(src) as BufferSource);
  const res = await fetch(String(src));
  if (!res.ok) throw new Error(`simdnet: fetching the kernel module from ${String(src)} failed: HTTP ${res.status}`);
  return WebAssembly.compile(validated(new Uint8Array(await res.arrayBuffer())) as BufferSource);
}

/** Compiles (once) the kernel module from the configured source. Rejects with a clear message
 * when SIMD is unsupported or the source cannot be loaded. */
export function compileKernelModule(): Promise<WebAssembly.Module> {
  if (compiledSync !== null) return Promise.resolve(compiledSync);
  if (compiled === null) {
    compiled = compileFrom(source).then(m => (compiledSync = m));
    compiled.catch(() => { compiled = null; });
  }
  return compiled;
}

/** The compiled module if it is ready, compiling the embedded bytes synchronously when no
 * custom source is set (allowed in Node and workers; browsers limit sync compiles on the
 * main thread, so there `compileKernelModule()` is awaited by the backend factory). */
export function kernelModuleSync(): WebAssembly.Module | null {
  if (compiledSync === null && source === null) {
    compiledSync = new WebAssembly.Module(validated(embeddedBytes()) as BufferSource);
  }
  return compiledSync;
}

/** Instantiates the kernel module; each backend instance gets its own memory, except with
 * `memory`: the shared memory that the shared-memory variant (wasm_shared.ts) imports. */
export function instantiate(module: WebAssembly.Module, memory?: WebAssembly.Memory): KernelExports {
  const imports = {
    env: {
      abort(_msg: number, _file: number, line: number, col: number): never {
        throw new Error(`simdnet kernel aborted at ${line}:${col}`);
      },
      ...(memory !== undefined ? { memory } : {}),
    },
  };
  return new WebAssembly.Instance(module, imports).exports as unknown as KernelExports;
}

/**
 * The bytes of the configured kernel module (the embedded variant, or the bytes/URL given to
 * setWasmSource), for building its shared-memory variant (threads.ts).
 * @throws Error when the source is a compiled WebAssembly.Module (its bytes are not available),
 *   SIMD is unsupported, or fetching the URL fails.
 */
export async function kernelModuleBytes(): Promise<Uint8Array> {
  const src = source;
  if (src === null) return validated(embeddedBytes());
  if (src instanceof WebAssembly.Module) {
    throw new Error('simdnet threads: setWasmSource() was given a compiled WebAssembly.Module; threads need ' +
        'the module bytes or a URL (the shared-memory variant is made from the bytes)');
  }
  if (src instanceof ArrayBuffer) return validated(new Uint8Array(src));
  if (src instanceof Uint8Array) return validated(src);
  const res = await fetch(String(src));
  if (!res.ok) throw new Error(`simdnet: fetching the kernel module from ${String(src)} failed: HTTP ${res.status}`);
  return validated(new Uint8Array(await res.arrayBuffer()));
}
