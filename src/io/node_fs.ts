/**
 * Platform helpers for `src/io`: file access and gzip. Node built-ins
 * (`node:fs`, `node:zlib`) are loaded lazily at call time — never by a static
 * or literal dynamic import — so that modules using these helpers still
 * bundle for browsers (esbuild, rollup, webpack, vite) unchanged;
 * the file helpers simply throw there. Gzip additionally falls back to the
 * standard `DecompressionStream` (async only) outside Node.
 */

import { bytesOf, errorMessage } from './_bytes.js';

type NodeZlib = typeof import('node:zlib');
type NodeFs = typeof import('node:fs/promises');

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** A Node built-in, synchronously, via `process.getBuiltinModule` (Node >= 20.16); `undefined` elsewhere. */
function builtinSync<T>(id: string): T | undefined {
  if (!isNode() || typeof process.getBuiltinModule !== 'function') return undefined;
  return process.getBuiltinModule(id) as T | undefined;
}

/**
 * A Node built-in, or `undefined` outside Node. The `import()` fallback (older
 * Node) takes a variable specifier so that bundlers leave it alone instead of
 * trying to resolve `node:*` for a browser build.
 */
async function builtin<T>(id: string): Promise<T | undefined> {
  if (!isNode()) return undefined;
  return builtinSync<T>(id) ?? ((await import(/* @vite-ignore */ /* webpackIgnore: true */ id)) as T);
}

async function nodeFs(): Promise<NodeFs> {
  const fs = await builtin<NodeFs>('node:fs/promises');
  if (!fs) throw new Error('file access needs Node.js (node:fs); in a browser, fetch the bytes and use the parse* functions');
  return fs;
}

/**
 * Reads a whole file (Node only). Returns a plain `Uint8Array` view over the
 * freshly read memory (not a `Buffer`, whose `slice` would alias).
 * @throws Error from `node:fs` (ENOENT, EACCES, ...) or when not running in Node.
 */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  const buf = await (await nodeFs()).readFile(path);
  return bytesOf(buf);
}

/**
 * Writes `bytes` to `path`, replacing any existing file (Node only).
 * @throws Error from `node:fs`, or when not running in Node.
 */
export async function writeFileBytes(path: string, bytes: Uint8Array): Promise<void> {
  await (await nodeFs()).writeFile(path, bytes);
}

/** The first of `paths` that exists as a regular file, or `undefined` (Node only). */
export async function firstExistingFile(paths: readonly string[]): Promise<string | undefined> {
  const fs = await nodeFs();
  for (const p of paths) {
    try {
      if ((await fs.stat(p)).isFile()) return p;
    } catch {
      // missing or unreadable: try the next candidate
    }
  }
  return undefined;
}

/** True when `bytes` starts with the gzip magic `1f 8b` (RFC 1952). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function gzipError(e: unknown, maxBytes: number): Error {
  const code = (e as { code?: string } | null)?.code;
  if (code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
    return new Error(`gzip: decompressed data exceeds the ${maxBytes}-byte limit`);
  }
  return new Error(`gzip: decompression failed (truncated or corrupt data): ${errorMessage(e)}`);
}

/**
 * Decompresses gzip data synchronously with `node:zlib` (RFC 1952; concatenated
 * members are joined). Output is capped at `maxBytes` to defuse gzip bombs.
 * @throws Error `gzip: ...` on truncated/corrupt input, when the output would
 *   exceed `maxBytes`, or when synchronous zlib is unavailable (browsers,
 *   Node < 20.16; use {@link gunzip} there).
 */
export function gunzipSync(bytes: Uint8Array, maxBytes: number): Uint8Array {
  const zlib = builtinSync<NodeZlib>('node:zlib');
  if (!zlib) {
    throw new Error('gzip: synchronous decompression needs node:zlib (Node.js >= 20.16); use the async loader or decompress first');
  }
  try {
    return bytesOf(zlib.gunzipSync(bytes, { maxOutputLength: maxBytes }));
  } catch (e) {
    throw gzipError(e, maxBytes);
  }
}

/**
 * Decompresses gzip data: `node:zlib` in Node, else the standard
 * `DecompressionStream('gzip')`. Output is capped at `maxBytes`.
 * @throws Error `gzip: ...` on truncated/corrupt input, or when the output would exceed `maxBytes`.
 */
export async function gunzip(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const zlib = await builtin<NodeZlib>('node:zlib');
  if (zlib) {
    try {
      return bytesOf(zlib.gunzipSync(bytes, { maxOutputLength: maxBytes }));
    } catch (e) {
      throw gzipError(e, maxBytes);
    }
  }
  if (typeof DecompressionStream !== 'function') {
    throw new Error('gzip: no decompressor available (neither node:zlib nor DecompressionStream)');
  }
  const input = new ReadableStream<BufferSource>({
    start(controller) {
      controller.enqueue(new Uint8Array(bytes)); // a copy: streams reject SharedArrayBuffer-backed chunks
      controller.close();
    },
  });
  const reader = input.pipeThrough(new DecompressionStream('gzip')).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel();
        throw new RangeError('too large');
      }
      chunks.push(value);
    }
  } catch (e) {
    throw gzipError(e, maxBytes);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
