/**
 * Reader and writer for the safetensors format.
 *
 * Source: the safetensors specification by Hugging Face
 * (https://github.com/huggingface/safetensors, "Format" section; validation
 * rules follow the reference Rust crate `safetensors`):
 *
 *   - 8 bytes: `N`, little-endian u64, the byte length of the header;
 *   - `N` bytes: UTF-8 JSON object
 *     `{"<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 *       "__metadata__": {"<key>": "<string>", ...}}`
 *     (the writer pads it with trailing spaces to a multiple of 8 bytes);
 *   - the rest: the data buffer. `data_offsets` are byte offsets relative to
 *     its start; tensors are row-major (C order), little-endian, and must
 *     cover the buffer exactly (no overlaps, no holes, no trailing bytes).
 *
 * Everything here is pure over bytes and safe on untrusted input: every
 * declared size is checked against the actual input before anything is
 * allocated, and every problem throws an `Error` starting with
 * `"safetensors: "` that names the offending tensor and the expected vs
 * actual values. Decoded arrays are always fresh copies (never views into
 * the input), so unaligned offsets are fine.
 */

import { LITTLE_ENDIAN_HOST, bytesOf, copyBytes, errorMessage, exactNumel, formatShape, swapBytesInPlace } from './_bytes.js';
import { readFileBytes, writeFileBytes } from './node_fs.js';

/** The dtype strings of the safetensors header supported here (raw storage type). */
export type SafetensorsDtype =
  | 'F64' | 'F32' | 'F16' | 'BF16'
  | 'I64' | 'I32' | 'I16' | 'I8'
  | 'U64' | 'U32' | 'U16' | 'U8'
  | 'BOOL';

/**
 * In-memory array type for each dtype. F16 and BF16 are widened to
 * `Float32Array` (exactly; NaN payloads preserved); BOOL is one byte per
 * element (0 = false, 1 = true); 64-bit integers are bigint arrays
 * (see {@link int64ToInt32}).
 */
export interface SafetensorsDataMap {
  F64: Float64Array;
  F32: Float32Array;
  F16: Float32Array;
  BF16: Float32Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U64: BigUint64Array;
  U32: Uint32Array;
  U16: Uint16Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
}

/**
 * A decoded tensor: `dtype` is the raw dtype of the file, `shape` the dims
 * (row-major; `[]` is a scalar with one element), `data` has
 * `product(shape)` elements. Narrow on `dtype` to get the precise `data` type.
 */
export type SafetensorsTensor = {
  [D in SafetensorsDtype]: { dtype: D; shape: number[]; data: SafetensorsDataMap[D] };
}[SafetensorsDtype];

/**
 * A tensor to serialize. `data` may be the typed array of
 * {@link SafetensorsDataMap} (written as is) or any array-like of numbers
 * (bigints or safe-integer numbers for I64/U64), which is range-checked.
 */
export type SafetensorsTensorInput = {
  [D in SafetensorsDtype]: {
    dtype: D;
    shape: readonly number[];
    data: SafetensorsDataMap[D] | (D extends 'I64' | 'U64' ? ArrayLike<bigint | number> : ArrayLike<number>);
  };
}[SafetensorsDtype];

/** A parsed safetensors file: tensors keyed by name (sorted by code point) and the `__metadata__` strings. */
export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** Header entry of one tensor, validated but not decoded. Offsets are relative to the data buffer. */
export interface SafetensorsTensorInfo {
  dtype: SafetensorsDtype;
  shape: number[];
  dataOffsets: [begin: number, end: number];
}

/** Validated header of a safetensors file; `dataStart` is the absolute byte offset of the data buffer. */
export interface SafetensorsHeader {
  tensors: Map<string, SafetensorsTensorInfo>;
  metadata: Record<string, string>;
  dataStart: number;
}

/** Largest accepted header (bytes), the same cap as the reference implementation. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** Options of the safetensors readers. */
export interface SafetensorsParseOptions {
  /** Cap on the declared header length in bytes (default {@link SAFETENSORS_MAX_HEADER_BYTES}, 100 MB). */
  maxHeaderBytes?: number;
}

const METADATA_KEY = '__metadata__';
const PREFIX = 'safetensors: ';

type StorageArray =
  | Float64Array | Float32Array | BigInt64Array | BigUint64Array
  | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;
type StorageCtor = { new (buffer: ArrayBuffer, byteOffset: number, length: number): StorageArray; new (length: number): StorageArray };

interface DtypeSpec {
  itemsize: number;
  storage: StorageCtor;
  /** how values map between `data` and storage */
  kind: 'float' | 'int' | 'bigint' | 'bool' | 'f16' | 'bf16';
  /** order of the reference crate's `Dtype` enum; the writer lays out higher ranks first */
  rank: number;
  min?: number | bigint;
  max?: number | bigint;
}

const DTYPES: Record<SafetensorsDtype, DtypeSpec> = {
  BOOL: { itemsize: 1, storage: Uint8Array, kind: 'bool', rank: 0, min: 0, max: 1 },
  U8: { itemsize: 1, storage: Uint8Array, kind: 'int', rank: 1, min: 0, max: 2 ** 8 - 1 },
  I8: { itemsize: 1, storage: Int8Array, kind: 'int', rank: 2, min: -(2 ** 7), max: 2 ** 7 - 1 },
  I16: { itemsize: 2, storage: Int16Array, kind: 'int', rank: 3, min: -(2 ** 15), max: 2 ** 15 - 1 },
  U16: { itemsize: 2, storage: Uint16Array, kind: 'int', rank: 4, min: 0, max: 2 ** 16 - 1 },
  F16: { itemsize: 2, storage: Uint16Array, kind: 'f16', rank: 5 },
  BF16: { itemsize: 2, storage: Uint16Array, kind: 'bf16', rank: 6 },
  I32: { itemsize: 4, storage: Int32Array, kind: 'int', rank: 7, min: -(2 ** 31), max: 2 ** 31 - 1 },
  U32: { itemsize: 4, storage: Uint32Array, kind: 'int', rank: 8, min: 0, max: 2 ** 32 - 1 },
  F32: { itemsize: 4, storage: Float32Array, kind: 'float', rank: 9 },
  F64: { itemsize: 8, storage: Float64Array, kind: 'float', rank: 10 },
  I64: { itemsize: 8, storage: BigInt64Array, kind: 'bigint', rank: 11, min: -(2n ** 63n), max: 2n ** 63n - 1n },
  U64: { itemsize: 8, storage: BigUint64Array, kind: 'bigint', rank: 12, min: 0n, max: 2n ** 64n - 1n },
};

const SUPPORTED = Object.keys(DTYPES).join(', ');

function isDtype(s: string): s is SafetensorsDtype {
  return Object.prototype.hasOwnProperty.call(DTYPES, s);
}

/** `tensor "name"`, with the name JSON-escaped and shortened for messages. */
function tensorLabel(name: string): string {
  const quoted = JSON.stringify(name);
  return `tensor ${quoted.length > 120 ? `${quoted.slice(0, 117)}..."` : quoted}`;
}

function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Orders strings by Unicode code point, i.e. by their UTF-8 bytes (as Rust compares `String`s). */
function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done || cb.done) return (ca.done ? 0 : 1) - (cb.done ? 0 : 1);
    const d = ca.value.codePointAt(0)! - cb.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

// ---------------------------------------------------------------------------
// float16 / bfloat16 <-> float32

// JS numbers cannot carry signalling-NaN payloads (a float32 -> double
// conversion may quiet them), so these conversions work on raw bit patterns.

let halfTable: Uint32Array | undefined;

/** Float32 bit pattern of every float16 bit pattern (IEEE 754 binary16), built on first use. */
function halfToFloatBitsTable(): Uint32Array {
  if (halfTable) return halfTable;
  const table = new Uint32Array(65536);
  const asFloat = new Float32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) asFloat[h] = (sign ? -1 : 1) * mant * 2 ** -24; // zero or subnormal (exact)
    else if (exp === 0x1f) table[h] = (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf / NaN, payload kept
    else table[h] = (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  }
  return (halfTable = table);
}

/** float16 bits of the float32 with bits `x`, rounded to nearest-even (overflow -> ±inf, NaN keeps its top payload bits). */
function floatBitsToHalf(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant === 0 ? 0 : (mant >>> 13) || 0x200);
  const e = exp - 112; // re-biased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  let half: number;
  let shift: number;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    mant |= 0x800000;
    shift = 14 - e;
    half = mant >>> shift;
  } else {
    shift = 13;
    half = (e << 10) | (mant >>> 13);
  }
  const rem = mant & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (rem > halfway || (rem === halfway && (half & 1) === 1)) half++; // a carry rolls into the exponent correctly
  return sign | half;
}

/** bfloat16 bits of the float32 with bits `x`, rounded to nearest-even (NaN stays NaN with its top payload bits). */
function floatBitsToBfloat16(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) {
    const h = x >>> 16;
    return (h & 0x7f) === 0 ? h | 0x40 : h;
  }
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The float32 bit patterns of `data` (a view when it already is a Float32Array). */
function float32Bits(data: ArrayLike<number>): Uint32Array {
  const f = data instanceof Float32Array ? data : Float32Array.from(data);
  return new Uint32Array(f.buffer, f.byteOffset, f.length);
}

function decodeHalf(stored: Uint16Array): Float32Array {
  const table = halfToFloatBitsTable();
  const bits = new Uint32Array(stored.length);
  for (let i = 0; i < stored.length; i++) bits[i] = table[stored[i]];
  return new Float32Array(bits.buffer);
}

function decodeBfloat16(stored: Uint16Array): Float32Array {
  const bits = new Uint32Array(stored.length);
  for (let i = 0; i < stored.length; i++) bits[i] = stored[i] << 16;
  return new Float32Array(bits.buffer);
}

// ---------------------------------------------------------------------------
// header

/**
 * Parses and validates only the header of a safetensors file (no tensor data
 * is decoded or copied). See {@link parseSafetensors} for the rules and errors.
 *
 * @param bytes the whole file.
 * @returns tensor infos keyed by name (sorted by code point), metadata, and the
 *   absolute byte offset of the data buffer.
 */
export function parseSafetensorsHeader(bytes: Uint8Array, options: SafetensorsParseOptions = {}): SafetensorsHeader {
  const maxHeaderBytes = options.maxHeaderBytes ?? SAFETENSORS_MAX_HEADER_BYTES;
  if (bytes.length < 8) {
    throw new Error(`${PREFIX}file is ${bytes.length} bytes, shorter than the 8-byte header-length prefix`);
  }
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(maxHeaderBytes)) {
    throw new Error(`${PREFIX}header length ${declared} exceeds the ${maxHeaderBytes}-byte limit`);
  }
  const headerLen = Number(declared);
  if (8 + headerLen > bytes.length) {
    throw new Error(`${PREFIX}header length ${headerLen} exceeds the file: only ${bytes.length - 8} bytes follow the 8-byte prefix`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    throw new Error(`${PREFIX}header is not valid UTF-8`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${PREFIX}header is not valid JSON (${errorMessage(e)})`);
  }
  if (!isPlainObject(json)) {
    throw new Error(`${PREFIX}header must be a JSON object, got ${describeJson(json)}`);
  }

  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata = parseMetadata(json[METADATA_KEY]);
  const entries: [string, SafetensorsTensorInfo][] = [];
  for (const [name, entry] of Object.entries(json)) {
    if (name !== METADATA_KEY) entries.push([name, parseTensorInfo(name, entry, dataLen)]);
  }
  checkCoverage(entries, dataLen);
  entries.sort(([a], [b]) => compareCodePoints(a, b));
  return { tensors: new Map(entries), metadata, dataStart };
}

function parseMetadata(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) {
    throw new Error(`${PREFIX}"${METADATA_KEY}" must be an object of strings, got ${describeJson(raw)}`);
  }
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') {
      throw new Error(`${PREFIX}"${METADATA_KEY}" value for key ${JSON.stringify(k)} must be a string, got ${describeJson(v)}`);
    }
  }
  // Object.fromEntries defines own properties, so a "__proto__" key stays plain data.
  return Object.fromEntries(Object.entries(raw)) as Record<string, string>;
}

function parseTensorInfo(name: string, entry: unknown, dataLen: number): SafetensorsTensorInfo {
  const what = tensorLabel(name);
  if (!isPlainObject(entry)) {
    throw new Error(`${PREFIX}${what}: header entry must be an object with dtype, shape and data_offsets, got ${describeJson(entry)}`);
  }
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== 'string') {
    throw new Error(`${PREFIX}${what}: missing or non-string "dtype" (got ${describeJson(dtype)})`);
  }
  if (!isDtype(dtype)) {
    throw new Error(`${PREFIX}${what}: unknown or unsupported dtype ${JSON.stringify(dtype)} (supported: ${SUPPORTED})`);
  }
  if (!Array.isArray(shape)) {
    throw new Error(`${PREFIX}${what}: missing or non-array "shape" (got ${describeJson(shape)})`);
  }
  shape.forEach((d: unknown, i) => {
    if (!isCount(d)) {
      throw new Error(`${PREFIX}${what}: shape[${i}] must be a non-negative integer, got ${JSON.stringify(d)}`);
    }
  });
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    throw new Error(`${PREFIX}${what}: "data_offsets" must be an array [begin, end], got ${JSON.stringify(offsets) ?? 'nothing'}`);
  }
  const [begin, end] = offsets as unknown[];
  if (!isCount(begin) || !isCount(end)) {
    throw new Error(`${PREFIX}${what}: data_offsets ${JSON.stringify(offsets)} must be non-negative integers`);
  }
  if (begin > end) {
    throw new Error(`${PREFIX}${what}: data_offsets [${begin}, ${end}] have begin > end`);
  }
  if (end > dataLen) {
    throw new Error(`${PREFIX}${what}: data_offsets [${begin}, ${end}] end beyond the ${dataLen}-byte data buffer`);
  }
  const { itemsize } = DTYPES[dtype];
  const expected = exactNumel(shape as number[]) * BigInt(itemsize);
  if (expected !== BigInt(end - begin)) {
    throw new Error(
      `${PREFIX}${what}: shape ${formatShape(shape as number[])} of ${dtype} needs ${expected} bytes ` +
        `but data_offsets [${begin}, ${end}] span ${end - begin} bytes`,
    );
  }
  return { dtype, shape: (shape as number[]).slice(), dataOffsets: [begin, end] };
}

/** The reference implementation requires the tensors to tile the data buffer exactly. */
function checkCoverage(entries: [string, SafetensorsTensorInfo][], dataLen: number): void {
  const byOffset = entries
    .map(([name, info]) => ({ name, begin: info.dataOffsets[0], end: info.dataOffsets[1] }))
    .sort((a, b) => a.begin - b.begin || a.end - b.end);
  let prev = { name: '', begin: 0, end: 0 };
  for (const t of byOffset) {
    if (t.begin < prev.end) {
      throw new Error(
        `${PREFIX}${tensorLabel(t.name)} [${t.begin}, ${t.end}] overlaps ${tensorLabel(prev.name)} [${prev.begin}, ${prev.end}]`,
      );
    }
    if (t.begin > prev.end) {
      const after = prev.name ? `after ${tensorLabel(prev.name)} (ends at ${prev.end})` : 'at the start of the data buffer';
      throw new Error(`${PREFIX}hole of ${t.begin - prev.end} bytes ${after}, before ${tensorLabel(t.name)} (begins at ${t.begin})`);
    }
    prev = t;
  }
  if (prev.end !== dataLen) {
    throw new Error(`${PREFIX}data buffer is ${dataLen} bytes but the tensors cover only ${prev.end} (${dataLen - prev.end} trailing bytes)`);
  }
}

// ---------------------------------------------------------------------------
// parse / serialize

function decodeTensor(bytes: Uint8Array, info: SafetensorsTensorInfo, dataStart: number): SafetensorsTensor {
  const spec = DTYPES[info.dtype];
  const raw = copyBytes(bytes, dataStart + info.dataOffsets[0], dataStart + info.dataOffsets[1]);
  if (!LITTLE_ENDIAN_HOST) swapBytesInPlace(raw, spec.itemsize);
  const stored = new spec.storage(raw.buffer as ArrayBuffer, 0, raw.length / spec.itemsize);
  const data =
    spec.kind === 'f16' ? decodeHalf(stored as Uint16Array) : spec.kind === 'bf16' ? decodeBfloat16(stored as Uint16Array) : stored;
  return { dtype: info.dtype, shape: info.shape, data } as SafetensorsTensor;
}

/**
 * Parses a safetensors file (Hugging Face safetensors format, see module doc).
 *
 * @param bytes the whole file; never modified, never aliased by the result.
 * @returns `tensors` keyed by name, sorted by code point — each with the raw
 *   `dtype`, `shape` (row-major dims) and decoded `data` (see
 *   {@link SafetensorsDataMap}; F16/BF16 become Float32Array) — and the
 *   `__metadata__` string map (`{}` when absent).
 * @throws Error (message starts with `safetensors: `) when the file is shorter
 *   than 8 bytes; the header length exceeds the file or the cap; the header is
 *   not UTF-8, not JSON, or not an object; an entry is not an object or lacks
 *   dtype/shape/data_offsets; a dtype is unknown; a dim is negative or not an
 *   integer; offsets are not non-negative integers, have begin > end, or end
 *   beyond the data buffer; a byte span differs from product(shape)*itemsize;
 *   tensors overlap, leave a hole, or leave trailing bytes; a `__metadata__`
 *   value is not a string.
 */
export function parseSafetensors(bytes: Uint8Array, options: SafetensorsParseOptions = {}): SafetensorsFile {
  const header = parseSafetensorsHeader(bytes, options);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, info] of header.tensors) tensors.set(name, decodeTensor(bytes, info, header.dataStart));
  return { tensors, metadata: header.metadata };
}

function checkedInt(v: number, spec: DtypeSpec, what: string, i: number): number {
  if (!Number.isInteger(v) || v < (spec.min as number) || v > (spec.max as number)) {
    throw new Error(`${PREFIX}${what}: element ${i} = ${v} is not an integer in [${spec.min}, ${spec.max}]`);
  }
  return v;
}

function checkedBigInt(v: bigint | number, spec: DtypeSpec, what: string, i: number): bigint {
  if (typeof v === 'number' && !Number.isSafeInteger(v)) {
    throw new Error(`${PREFIX}${what}: element ${i} = ${v} is not a safe integer (pass bigints for 64-bit values)`);
  }
  const b = BigInt(v);
  if (b < (spec.min as bigint) || b > (spec.max as bigint)) {
    throw new Error(`${PREFIX}${what}: element ${i} = ${b} is outside [${spec.min}, ${spec.max}]`);
  }
  return b;
}

/** The tensor's elements in their storage representation (little-endian order is applied later). */
function toStorage(input: SafetensorsTensorInput, spec: DtypeSpec, what: string): StorageArray {
  const data = input.data as ArrayLike<number | bigint>;
  const n = data.length;
  if (spec.kind === 'f16' || spec.kind === 'bf16') {
    const toBits = spec.kind === 'f16' ? floatBitsToHalf : floatBitsToBfloat16;
    const bits = float32Bits(data as ArrayLike<number>);
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) out[i] = toBits(bits[i]);
    return out;
  }
  if (spec.kind !== 'bool' && data instanceof spec.storage) return data;
  const out = new spec.storage(n);
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (spec.kind === 'float') out[i] = v as number;
    else if (spec.kind === 'bigint') out[i] = checkedBigInt(v, spec, what, i);
    else out[i] = checkedInt(v as number, spec, what, i);
  }
  return out;
}

/** The reference writer's order: dtype rank descending (which keeps every tensor aligned), then name. */
function orderedEntries(
  tensors: Record<string, SafetensorsTensorInput> | ReadonlyMap<string, SafetensorsTensorInput>,
): [string, SafetensorsTensorInput][] {
  const entries: [string, SafetensorsTensorInput][] =
    tensors instanceof Map
      ? [...(tensors as ReadonlyMap<string, SafetensorsTensorInput>).entries()]
      : Object.entries(tensors as Record<string, SafetensorsTensorInput>);
  const rank = (t: SafetensorsTensorInput): number => (isDtype(t.dtype) ? DTYPES[t.dtype].rank : -1);
  return entries.sort(([na, a], [nb, b]) => rank(b) - rank(a) || compareCodePoints(na, nb));
}

/**
 * Serializes tensors to safetensors bytes (Hugging Face safetensors format).
 *
 * Output is deterministic and matches the reference writer (the Rust crate
 * behind Python's `safetensors.*.save_file`) byte for byte: the header lists
 * `__metadata__` first (only if non-empty; keys sorted here), then the
 * tensors in data order — dtype descending in the order U64, I64, F64, F32,
 * U32, I32, BF16, F16, U16, I16, I8, U8, BOOL (which keeps every tensor
 * aligned to its itemsize), then name (by code point) — and is padded with
 * spaces to a multiple of 8 bytes. `parseSafetensors(serializeSafetensors(t))`
 * reproduces every tensor bit-exactly. F16/BF16 data is rounded
 * to nearest-even from float32; data given as non-typed arrays is converted
 * with range checks.
 *
 * @param tensors name -> {dtype, shape (row-major dims), data with product(shape) elements};
 *   a `Map` such as `parseSafetensors(...).tensors` is accepted too.
 * @param metadata optional `__metadata__` string map.
 * @throws Error (message starts with `safetensors: `) for a tensor named
 *   `__metadata__`, an unknown dtype, a dim that is not a non-negative integer,
 *   a data length that differs from product(shape), an integer value out of
 *   range for its dtype (or not an integer; BOOL takes only 0/1), or a
 *   metadata value that is not a string.
 */
export function serializeSafetensors(
  tensors: Record<string, SafetensorsTensorInput> | ReadonlyMap<string, SafetensorsTensorInput>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const headerParts: string[] = [];
  const metaKeys = Object.keys(metadata).sort();
  if (metaKeys.length > 0) {
    const meta = metaKeys.map((k) => {
      const v: unknown = metadata[k];
      if (typeof v !== 'string') {
        throw new Error(`${PREFIX}metadata value for key ${JSON.stringify(k)} must be a string, got ${describeJson(v)}`);
      }
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    headerParts.push(`${JSON.stringify(METADATA_KEY)}:{${meta.join(',')}}`);
  }

  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of orderedEntries(tensors)) {
    const what = tensorLabel(name);
    if (name === METADATA_KEY) throw new Error(`${PREFIX}"${METADATA_KEY}" is reserved and cannot name a tensor`);
    if (!isDtype(t.dtype)) {
      throw new Error(`${PREFIX}${what}: unknown or unsupported dtype ${JSON.stringify(t.dtype)} (supported: ${SUPPORTED})`);
    }
    t.shape.forEach((d, i) => {
      if (!isCount(d)) throw new Error(`${PREFIX}${what}: shape[${i}] must be a non-negative integer, got ${d}`);
    });
    const numel = exactNumel(t.shape);
    if (numel !== BigInt(t.data.length)) {
      throw new Error(`${PREFIX}${what}: shape ${formatShape(t.shape)} has ${numel} elements but data has ${t.data.length}`);
    }
    const spec = DTYPES[t.dtype];
    let bytes = bytesOf(toStorage(t, spec, what));
    if (!LITTLE_ENDIAN_HOST && spec.itemsize > 1) {
      bytes = copyBytes(bytes, 0, bytes.length);
      swapBytesInPlace(bytes, spec.itemsize);
    }
    headerParts.push(
      `${JSON.stringify(name)}:{"dtype":${JSON.stringify(t.dtype)},"shape":${JSON.stringify(t.shape)},` +
        `"data_offsets":[${offset},${offset + bytes.length}]}`,
    );
    payloads.push(bytes);
    offset += bytes.length;
  }

  const json = new TextEncoder().encode(`{${headerParts.join(',')}}`);
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let at = 8 + headerLen;
  for (const p of payloads) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Converts 64-bit integers (e.g. an I64 tensor's `data`) to an `Int32Array`,
 * checking that every value fits.
 *
 * @param what label used in the error message (e.g. the tensor name).
 * @throws Error naming the first element index and value outside
 *   [-2147483648, 2147483647].
 */
export function int64ToInt32(data: ArrayLike<bigint>, what = 'int64 data'): Int32Array {
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < -2147483648n || v > 2147483647n) {
      throw new Error(`${what}: element ${i} = ${v} is outside the int32 range [-2147483648, 2147483647]`);
    }
    out[i] = Number(v);
  }
  return out;
}

/**
 * Reads and parses a safetensors file (Node only; `node:fs` is imported lazily).
 * @throws the errors of {@link parseSafetensors}, with the path prepended, or the `node:fs` error.
 */
export async function readSafetensorsFile(path: string, options: SafetensorsParseOptions = {}): Promise<SafetensorsFile> {
  const bytes = await readFileBytes(path);
  try {
    return parseSafetensors(bytes, options);
  } catch (e) {
    throw new Error(`${path}: ${errorMessage(e)}`, { cause: e });
  }
}

/**
 * Serializes (see {@link serializeSafetensors}) and writes a safetensors file
 * (Node only; `node:fs` is imported lazily). Replaces an existing file.
 * @throws the errors of {@link serializeSafetensors}, or the `node:fs` error.
 */
export async function writeSafetensorsFile(
  path: string,
  tensors: Record<string, SafetensorsTensorInput> | ReadonlyMap<string, SafetensorsTensorInput>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileBytes(path, serializeSafetensors(tensors, metadata));
}
