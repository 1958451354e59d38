/**
 * Where dataset items come from and how they become HWC uint8 RGB images, on every platform:
 *  - bytes: a `File`/`Blob` (`arrayBuffer()`), an http(s):/blob:/data: URL (`fetch`; in a
 *    browser any string, relative ones resolved against the page), or a file path (Node `fs`);
 *  - decoding: in a browser (page or worker: `createImageBitmap` and `OffscreenCanvas` exist),
 *    the browser's decoder (`createImageBitmap` → OffscreenCanvas → `getImageData`, RGB kept,
 *    alpha dropped, no colour-space conversion, not premultiplied); elsewhere (Node) src/io's
 *    `decodeImage` (pngjs / jpeg-js). PNG decodes to the same pixels either way (lossless); JPEG
 *    may differ by a few levels between the browser's decoder and jpeg-js (IDCT rounding).
 * Node built-ins are loaded lazily (`process.getBuiltinModule`), so this module bundles for browsers.
 */
import { decodeImage, type RgbImage } from '../io/image.js';
import { readFileBytes } from '../io/node_fs.js';

/** A `File` or `Blob` (with `webkitRelativePath`/`name` when it is a File). */
export type FileLike = Blob & { name?: string; webkitRelativePath?: string };

/** The name a File-list dataset uses: `webkitRelativePath` when non-empty, else `name`, else 'blob'. */
export function relativePathOf(f: FileLike): string {
  return f.webkitRelativePath || f.name || 'blob';
}

function isBrowserLike(): boolean {
  return typeof process === 'undefined' || typeof process.versions?.node !== 'string';
}

/** True for strings that must be read with `fetch` rather than the file system. */
export function isFetchUrl(path: string): boolean {
  return /^(https?|blob|data):/i.test(path) || isBrowserLike();
}

/**
 * The undecoded bytes of one item: `file` when given, else `fetch(path)` for URLs (and any
 * string in a browser), else the file system (Node).
 * @throws Error `HTTP <status> <text>` for a failed fetch, the fs error for a missing file.
 */
export async function readSourceBytes(s: { path: string; file?: Blob }): Promise<Uint8Array> {
  if (s.file) return new Uint8Array(await s.file.arrayBuffer());
  if (isFetchUrl(s.path)) {
    const res = await fetch(s.path);
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
    return new Uint8Array(await res.arrayBuffer());
  }
  if (/^file:/i.test(s.path)) {
    const url = process.getBuiltinModule?.('node:url') as typeof import('node:url') | undefined;
    if (url) return readFileBytes(url.fileURLToPath(s.path));
  }
  return readFileBytes(s.path);
}

/** True where the browser decoder is used (createImageBitmap + OffscreenCanvas available). */
export function usesBrowserDecoder(): boolean {
  return typeof createImageBitmap === 'function' && typeof OffscreenCanvas === 'function';
}

/**
 * Decodes PNG/JPEG bytes to `{width, height, channels: 3, data}` (uint8 RGB, row-major HWC):
 * the browser's decoder where {@link usesBrowserDecoder}, else src/io `decodeImage`.
 * @throws Error for an unrecognized or corrupt file (src/io's message, or the browser's
 *   "cannot decode" error).
 */
export async function decodeImageBytes(bytes: Uint8Array): Promise<RgbImage> {
  if (!usesBrowserDecoder()) return decodeImage(bytes);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as unknown as BlobPart]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    throw new Error(`the browser cannot decode this image (${(e as Error).message})`);
  }
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D | null;
  if (!ctx) throw new Error('decodeImageBytes: no 2d context on OffscreenCanvas');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height * 3);
  for (let p = 0, i = 0, o = 0; p < width * height; p++, i += 4, o += 3) {
    data[o] = rgba[i];
    data[o + 1] = rgba[i + 1];
    data[o + 2] = rgba[i + 2];
  }
  return { width, height, channels: 3, data };
}
