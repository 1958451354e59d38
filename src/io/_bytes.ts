/**
 * Internal byte-level helpers shared by the `src/io` parsers. Not re-exported
 * from `src/io/index.ts`; the public API lives in `safetensors.ts`, `idx.ts`
 * and `image.ts`.
 */

/** True when the host stores multi-byte numbers little-endian (every mainstream JS engine). */
export const LITTLE_ENDIAN_HOST: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Copies `src[begin, end)` into a fresh `Uint8Array` that owns its own
 * `ArrayBuffer` starting at byte 0, so that any typed-array view over it is
 * aligned and never aliases the caller's memory. (Deliberately avoids
 * `src.slice()`, which returns a shared view when `src` is a Node `Buffer`.)
 */
export function copyBytes(src: Uint8Array, begin: number, end: number): Uint8Array {
  const out = new Uint8Array(end - begin);
  out.set(src.subarray(begin, end));
  return out;
}

/** Reverses the byte order of every `itemsize`-byte element of `bytes`, in place. */
export function swapBytesInPlace(bytes: Uint8Array, itemsize: number): void {
  if (itemsize <= 1) return;
  for (let i = 0; i + itemsize <= bytes.length; i += itemsize) {
    for (let a = i, b = i + itemsize - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Views the memory of a typed array as bytes (no copy). */
export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Hex dump of the first `n` bytes, e.g. `"89 50 4e 47"`, for error messages. */
export function hexPreview(bytes: Uint8Array, n = 8): string {
  const shown = Array.from(bytes.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > n ? `${shown} ...` : shown || '(empty)';
}

/** `[2, 3, 4]` — a shape formatted for error messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Product of the dims, exact (as a bigint) even where a float product would round. */
export function exactNumel(shape: readonly number[]): bigint {
  let n = 1n;
  for (const d of shape) n *= BigInt(d);
  return n;
}

/** Message of an unknown thrown value. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
