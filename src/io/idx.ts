/**
 * Reader for the IDX file format used by MNIST and Fashion-MNIST.
 *
 * Source: Yann LeCun's description of the format on the MNIST page
 * (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS FOR THE MNIST DATABASE"):
 *
 *   - magic: two zero bytes, a type byte (0x08 u8, 0x09 i8, 0x0B i16,
 *     0x0C i32, 0x0D f32, 0x0E f64) and a byte with the number of dims;
 *   - each dim as a big-endian u32;
 *   - the data, row-major (C order, last index fastest), big-endian.
 *
 * Fashion-MNIST (Zalando Research, https://github.com/zalandoresearch/fashion-mnist)
 * ships in this format with the same file names as MNIST, gzipped.
 *
 * Parsing is pure over bytes and safe on untrusted input: the declared size
 * is checked against the actual bytes before anything is allocated, gzip
 * output is capped, and every problem throws an `Error` starting with `IDX: `.
 */

import { LITTLE_ENDIAN_HOST, copyBytes, errorMessage, exactNumel, formatShape, hexPreview, swapBytesInPlace } from './_bytes.js';
import { firstExistingFile, gunzip, gunzipSync, isGzip, readFileBytes } from './node_fs.js';

/** Element types of IDX files. */
export type IdxDtype = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';

/** In-memory array type for each IDX element type (host byte order). */
export interface IdxDataMap {
  u8: Uint8Array;
  i8: Int8Array;
  i16: Int16Array;
  i32: Int32Array;
  f32: Float32Array;
  f64: Float64Array;
}

/** A parsed IDX array: `shape` are the dims (row-major), `data` has product(shape) elements. Narrow on `dtype`. */
export type IdxArray = {
  [D in IdxDtype]: { dtype: D; shape: number[]; data: IdxDataMap[D] };
}[IdxDtype];

/** Options of the IDX readers. */
export interface IdxOptions {
  /** Cap on the decompressed size of gzipped input, in bytes (default 1 GiB). */
  maxBytes?: number;
}

/** Largest supported number of dims. */
export const IDX_MAX_NDIM = 8;

const DEFAULT_MAX_BYTES = 2 ** 30;
const PREFIX = 'IDX: ';

type IdxCtor = { new (buffer: ArrayBuffer, byteOffset: number, length: number): IdxDataMap[IdxDtype] };

const TYPE_CODES: Record<number, { dtype: IdxDtype; itemsize: number; ctor: IdxCtor }> = {
  0x08: { dtype: 'u8', itemsize: 1, ctor: Uint8Array },
  0x09: { dtype: 'i8', itemsize: 1, ctor: Int8Array },
  0x0b: { dtype: 'i16', itemsize: 2, ctor: Int16Array },
  0x0c: { dtype: 'i32', itemsize: 4, ctor: Int32Array },
  0x0d: { dtype: 'f32', itemsize: 4, ctor: Float32Array },
  0x0e: { dtype: 'f64', itemsize: 8, ctor: Float64Array },
};

const hex2 = (b: number): string => `0x${b.toString(16).padStart(2, '0')}`;

/** Re-throws a gzip failure as an `IDX: ` error. */
function idxGzipError(e: unknown): Error {
  return new Error(`${PREFIX}${errorMessage(e)}`, { cause: e });
}

/**
 * Parses an IDX file (see module doc; Yann LeCun's MNIST format description).
 * Gzipped input (starting with `1f 8b`) is decompressed transparently with
 * `node:zlib` when running in Node >= 20.16; elsewhere use {@link loadIdx}.
 *
 * @param bytes the whole file (raw or gzipped); never modified or aliased by the result.
 * @returns `dtype`, `shape` (dims as stored, row-major) and `data`, converted
 *   from big-endian to host order.
 * @throws Error (message starts with `IDX: `) when the input is shorter than
 *   the 4-byte magic or than its dims; the first two bytes are not zero (bad
 *   magic); the type code is unknown; ndim is 0 or above {@link IDX_MAX_NDIM};
 *   the data length differs from product(dims)*itemsize (expected vs actual
 *   bytes); or gzip data is truncated/corrupt or decompresses past `maxBytes`.
 */
export function parseIdx(bytes: Uint8Array, options: IdxOptions = {}): IdxArray {
  if (!isGzip(bytes)) return decodeIdx(bytes);
  let raw: Uint8Array;
  try {
    raw = gunzipSync(bytes, options.maxBytes ?? DEFAULT_MAX_BYTES);
  } catch (e) {
    throw idxGzipError(e);
  }
  return decodeIdx(raw);
}

function decodeIdx(bytes: Uint8Array): IdxArray {
  if (bytes.length < 4) {
    throw new Error(`${PREFIX}input is ${bytes.length} bytes, shorter than the 4-byte magic number`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${PREFIX}bad magic (starts with ${hexPreview(bytes.subarray(0, 4))}; expected 00 00 <type> <ndim>): not an IDX file`);
  }
  const type = TYPE_CODES[bytes[2]];
  if (!type) {
    const known = Object.entries(TYPE_CODES).map(([code, t]) => `${hex2(Number(code))} ${t.dtype}`);
    throw new Error(`${PREFIX}unknown data type code ${hex2(bytes[2])} (expected one of ${known.join(', ')})`);
  }
  const ndim = bytes[3];
  if (ndim === 0 || ndim > IDX_MAX_NDIM) {
    throw new Error(`${PREFIX}number of dimensions is ${ndim}; expected 1 to ${IDX_MAX_NDIM}`);
  }
  const dataStart = 4 + 4 * ndim;
  if (bytes.length < dataStart) {
    throw new Error(`${PREFIX}header declares ${ndim} dimensions (${dataStart} header bytes) but the input is only ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, dataStart);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = exactNumel(shape) * BigInt(type.itemsize);
  const actual = bytes.length - dataStart;
  if (expected !== BigInt(actual)) {
    throw new Error(
      `${PREFIX}data length mismatch: shape ${formatShape(shape)} of ${type.dtype} needs ${expected} bytes ` +
        `after the ${dataStart}-byte header, but ${actual} bytes are present`,
    );
  }
  const raw = copyBytes(bytes, dataStart, bytes.length);
  if (LITTLE_ENDIAN_HOST) swapBytesInPlace(raw, type.itemsize);
  const data = new type.ctor(raw.buffer as ArrayBuffer, 0, actual / type.itemsize);
  return { dtype: type.dtype, shape, data } as IdxArray;
}

/**
 * Loads an IDX array from a file path (Node only) or from bytes, raw or
 * gzipped. Unlike {@link parseIdx} this also decompresses gzip outside Node
 * (via `DecompressionStream`).
 *
 * @throws the errors of {@link parseIdx} (with the path prepended for a
 *   path), or the `node:fs` error when the file cannot be read.
 */
export async function loadIdx(source: string | Uint8Array, options: IdxOptions = {}): Promise<IdxArray> {
  if (typeof source !== 'string') {
    if (!isGzip(source)) return decodeIdx(source);
    const raw = await gunzip(source, options.maxBytes ?? DEFAULT_MAX_BYTES).catch((e: unknown) => {
      throw idxGzipError(e);
    });
    return decodeIdx(raw);
  }
  const bytes = await readFileBytes(source);
  try {
    return await loadIdx(bytes, options);
  } catch (e) {
    throw new Error(`${source}: ${errorMessage(e)}`, { cause: e });
  }
}

/**
 * Reads an IDX file, raw or gzipped (Node only). Same as `loadIdx(path, options)`.
 * @throws see {@link loadIdx}.
 */
export function readIdxFile(path: string, options: IdxOptions = {}): Promise<IdxArray> {
  return loadIdx(path, options);
}

/** Fashion-MNIST class names, indexed by label 0..9 (Zalando Research). */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/** One split of (Fashion-)MNIST. */
export interface MnistSplit {
  /** `n * rows * cols` pixels, uint8 0..255, layout NHW (row-major; no channel dim). */
  images: Uint8Array;
  /** `n` class labels in 0..9. */
  labels: Uint8Array;
  n: number;
  rows: number;
  cols: number;
}

async function findSplitFile(dir: string, base: string): Promise<string> {
  const stem = `${dir.replace(/[\\/]+$/, '')}/${base}`;
  const candidates = [stem, `${stem}.gz`];
  const found = await firstExistingFile(candidates);
  if (!found) throw new Error(`${PREFIX}none of ${candidates.join(', ')} exists`);
  return found;
}

/**
 * Loads one split of Fashion-MNIST (or MNIST: same file names and format)
 * from `dir`, which holds `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
 * `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each raw or with `.gz`
 * (the raw file wins if both exist). Node only.
 *
 * @param split `'train'` (60000 examples in Fashion-MNIST) or `'test'` (10000, the `t10k-` files).
 * @returns images as uint8 NHW (`n*rows*cols`, 28x28 for Fashion-MNIST), labels as uint8.
 * @throws Error when a file is missing or fails {@link loadIdx}; when the
 *   images are not u8 with 3 dims or the labels not u8 with 1 dim; when the
 *   image and label counts differ; or when a label is outside 0..9.
 */
export async function loadFashionMnist(dir: string, split: 'train' | 'test', options: IdxOptions = {}): Promise<MnistSplit> {
  if (split !== 'train' && split !== 'test') {
    throw new Error(`${PREFIX}split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  }
  const prefix = split === 'train' ? 'train' : 't10k';
  const imagesPath = await findSplitFile(dir, `${prefix}-images-idx3-ubyte`);
  const labelsPath = await findSplitFile(dir, `${prefix}-labels-idx1-ubyte`);
  const [images, labels] = await Promise.all([loadIdx(imagesPath, options), loadIdx(labelsPath, options)]);
  if (images.dtype !== 'u8' || images.shape.length !== 3) {
    throw new Error(`${imagesPath}: expected u8 images with 3 dims [n, rows, cols], got ${images.dtype} ${formatShape(images.shape)}`);
  }
  if (labels.dtype !== 'u8' || labels.shape.length !== 1) {
    throw new Error(`${labelsPath}: expected u8 labels with 1 dim [n], got ${labels.dtype} ${formatShape(labels.shape)}`);
  }
  const [n, rows, cols] = images.shape;
  if (labels.shape[0] !== n) {
    throw new Error(`${PREFIX}${split} split has ${n} images but ${labels.shape[0]} labels`);
  }
  const bad = labels.data.findIndex((l) => l >= FASHION_MNIST_CLASSES.length);
  if (bad >= 0) {
    throw new Error(`${labelsPath}: label ${labels.data[bad]} at index ${bad} is outside 0..${FASHION_MNIST_CLASSES.length - 1}`);
  }
  return { images: images.data, labels: labels.data, n, rows, cols };
}

const IDX_TYPE_CODE: Record<IdxDtype, number> = { u8: 0x08, i8: 0x09, i16: 0x0b, i32: 0x0c, f32: 0x0d, f64: 0x0e };

/**
 * Serializes an array in the IDX format (the inverse of `parseIdx`, without gzip): magic
 * 0x0000, type code, ndim, big-endian u32 dims, big-endian data.
 * @throws Error when `data.length` differs from the product of `shape`, or a dim is not a u32.
 */
export function serializeIdx(arr: IdxArray): Uint8Array {
  const { dtype, shape, data } = arr;
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`IDX: data has ${data.length} elements, shape [${shape}] needs ${n}`);
  const item = data.BYTES_PER_ELEMENT;
  const out = new Uint8Array(4 + 4 * shape.length + n * item);
  const dv = new DataView(out.buffer);
  out[2] = IDX_TYPE_CODE[dtype];
  out[3] = shape.length;
  shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new Error(`IDX: dim ${i} = ${d} is not a u32`);
    dv.setUint32(4 + 4 * i, d, false);
  });
  const off = 4 + 4 * shape.length;
  for (let i = 0; i < n; i++) {
    const p = off + i * item;
    switch (dtype) {
      case 'u8': dv.setUint8(p, data[i] as number); break;
      case 'i8': dv.setInt8(p, data[i] as number); break;
      case 'i16': dv.setInt16(p, data[i] as number, false); break;
      case 'i32': dv.setInt32(p, data[i] as number, false); break;
      case 'f32': dv.setFloat32(p, data[i] as number, false); break;
      case 'f64': dv.setFloat64(p, data[i] as number, false); break;
    }
  }
  return out;
}
