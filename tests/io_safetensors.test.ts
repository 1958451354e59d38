import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  int64ToInt32,
  parseSafetensors,
  parseSafetensorsHeader,
  readSafetensorsFile,
  serializeSafetensors,
  writeSafetensorsFile,
  type SafetensorsTensor,
  type SafetensorsTensorInput,
} from '../src/io/index.js';

const FIXTURE = new URL('./fixtures/io/reference.safetensors', import.meta.url);

/** Builds a file by hand: u64 header length, header text (unpadded unless given so), data bytes. */
function build(header: unknown, data: ArrayLike<number> = [], headerLenOverride?: bigint): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLenOverride ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(Array.from(data), 8 + text.length);
  return out;
}

const f32Bytes = (...v: number[]): number[] => Array.from(new Uint8Array(new Float32Array(v).buffer));

/** Raw bytes of the (only) tensor's data region of a serialized file. */
function dataRegion(file: Uint8Array): Uint8Array {
  return file.subarray(parseSafetensorsHeader(file).dataStart);
}

function get(file: ReturnType<typeof parseSafetensors>, name: string): SafetensorsTensor {
  const t = file.tensors.get(name);
  if (!t) throw new Error(`missing tensor ${name}`);
  return t;
}

/** The message of the Error that `fn` throws (fails the test if it returns or throws a non-Error). */
function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.instance(e, Error);
    return (e as Error).message;
  }
  assert.unreachable('expected an error');
  return '';
}

const bits32 = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

// ---------------------------------------------------------------- reference file

test('parses a file written by the reference implementation (safetensors 0.8.0)', async () => {
  const f = parseSafetensors(new Uint8Array(await readFile(FIXTURE)));
  assert.equal(f.metadata, { format: 'np', source: 'safetensors 0.8.0' });
  assert.equal([...f.tensors.keys()], [
    'bias', 'conv.weight', 'counts', 'empty', 'gamma', 'labels', 'mask', 'offsets',
    'pixels', 'scale', 'small', 'steps', 'uint', 'ushort',
  ]);
  const w = get(f, 'conv.weight');
  assert.is(w.dtype, 'F32');
  assert.equal(w.shape, [2, 3]);
  assert.ok(w.data instanceof Float32Array);
  assert.equal(Array.from(w.data), [-0.625, -0.375, -0.125, 0.125, 0.375, 0.625]);
  const bias = get(f, 'bias');
  assert.is(bias.dtype, 'F16');
  assert.ok(bias.data instanceof Float32Array);
  assert.equal(Array.from(bias.data), [1, -2.5, 65504]);
  const gamma = get(f, 'gamma');
  assert.is(gamma.dtype, 'BF16');
  assert.equal(Array.from(gamma.data as Float32Array), [1, -0.5, 3.140625]);
  const steps = get(f, 'steps');
  assert.ok(steps.data instanceof BigInt64Array);
  assert.equal(Array.from(steps.data as BigInt64Array), [0n, -1n, 2n ** 40n, -(2n ** 62n)]);
  assert.equal(Array.from(get(f, 'counts').data as BigUint64Array), [2n ** 64n - 1n, 5n]);
  assert.equal(Array.from(get(f, 'scale').data as Float64Array), [Math.PI, -1e-300]);
  assert.equal(Array.from(get(f, 'labels').data as Int32Array), [3, -4]);
  assert.equal(Array.from(get(f, 'uint').data as Uint32Array), [4294967295]);
  assert.equal(Array.from(get(f, 'small').data as Int16Array), [-32768, 32767, 7]);
  assert.equal(Array.from(get(f, 'ushort').data as Uint16Array), [65535, 1]);
  assert.equal(Array.from(get(f, 'offsets').data as Int8Array), [-128, 127]);
  assert.equal(Array.from(get(f, 'pixels').data as Uint8Array), [0, 127, 255]);
  const mask = get(f, 'mask');
  assert.is(mask.dtype, 'BOOL');
  assert.equal(mask.shape, [2, 2]);
  assert.equal(Array.from(mask.data as Uint8Array), [1, 0, 0, 1]);
  const empty = get(f, 'empty');
  assert.equal(empty.shape, [0, 4]);
  assert.is(empty.data.length, 0);
});

test('re-serializing the reference file reproduces it byte for byte', async () => {
  const bytes = new Uint8Array(await readFile(FIXTURE));
  const f = parseSafetensors(bytes);
  const again = serializeSafetensors(f.tensors, f.metadata);
  assert.is(again.length, bytes.length);
  assert.ok(Buffer.from(again).equals(Buffer.from(bytes)));
});

// ---------------------------------------------------------------- round trips

const ALL: Record<string, SafetensorsTensorInput> = {
  f32: { dtype: 'F32', shape: [2, 3], data: new Float32Array([0, -0, 1.5, -3.25e-40, Infinity, NaN]) },
  f32nan: { dtype: 'F32', shape: [2], data: new Float32Array(new Uint32Array([0x7f800001, 0xffc01234]).buffer) },
  f64: { dtype: 'F64', shape: [2], data: new Float64Array([Math.E, -Number.MAX_VALUE]) },
  f16: { dtype: 'F16', shape: [4], data: new Float32Array([1, -2, 6.103515625e-5, 5.960464477539063e-8]) },
  bf16: { dtype: 'BF16', shape: [3], data: new Float32Array([1, -0.5, 3.140625]) },
  i64: { dtype: 'I64', shape: [3], data: new BigInt64Array([-(2n ** 63n), 0n, 2n ** 63n - 1n]) },
  u64: { dtype: 'U64', shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) },
  i32: { dtype: 'I32', shape: [2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) },
  u32: { dtype: 'U32', shape: [1], data: new Uint32Array([2 ** 32 - 1]) },
  i16: { dtype: 'I16', shape: [1], data: new Int16Array([-5]) },
  u16: { dtype: 'U16', shape: [1], data: new Uint16Array([65535]) },
  i8: { dtype: 'I8', shape: [3], data: new Int8Array([-128, 0, 127]) },
  u8: { dtype: 'U8', shape: [1, 1, 3], data: new Uint8Array([1, 2, 3]) },
  bool: { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
  scalar: { dtype: 'F32', shape: [], data: new Float32Array([42]) },
  none: { dtype: 'I32', shape: [3, 0], data: new Int32Array(0) },
};

test('round trip of every dtype is bit-exact', () => {
  const f = parseSafetensors(serializeSafetensors(ALL, { k: 'v' }));
  assert.equal(f.metadata, { k: 'v' });
  assert.is(f.tensors.size, Object.keys(ALL).length);
  for (const [name, input] of Object.entries(ALL)) {
    const t = get(f, name);
    assert.is(t.dtype, input.dtype, name);
    assert.equal(t.shape, [...input.shape], name);
    assert.is(t.data.constructor, input.data.constructor, name);
    const a = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const d = input.data as ArrayBufferView;
    const b = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    assert.equal(Array.from(a), Array.from(b), name);
  }
});

test('serialization: padded header, reference layout, deterministic', () => {
  const out = serializeSafetensors({
    zeta: { dtype: 'U8', shape: [3], data: new Uint8Array([7, 8, 9]) },
    alpha: { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
    beta: { dtype: 'F32', shape: [1], data: new Float32Array([2]) },
    ids: { dtype: 'I64', shape: [1], data: [5] },
  }, { b: '2', a: '1' });
  const n = Number(new DataView(out.buffer).getBigUint64(0, true));
  assert.is(n % 8, 0);
  const header = new TextDecoder().decode(out.subarray(8, 8 + n));
  assert.ok(/^\{.*\} *$/.test(header));
  assert.is(
    header.trimEnd(),
    '{"__metadata__":{"a":"1","b":"2"},' +
      '"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},' +
      '"alpha":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
      '"beta":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},' +
      '"zeta":{"dtype":"U8","shape":[3],"data_offsets":[16,19]}}',
  );
  assert.is(out.length, 8 + n + 19);
  // insertion order does not matter
  const again = serializeSafetensors({
    ids: { dtype: 'I64', shape: [1], data: new BigInt64Array([5n]) },
    beta: { dtype: 'F32', shape: [1], data: [2] },
    alpha: { dtype: 'F32', shape: [1], data: [1] },
    zeta: { dtype: 'U8', shape: [3], data: [7, 8, 9] },
  }, { a: '1', b: '2' });
  assert.ok(Buffer.from(again).equals(Buffer.from(out)));
  // no metadata -> no __metadata__ key
  const bare = new TextDecoder().decode(serializeSafetensors({ x: { dtype: 'U8', shape: [1], data: [1] } }));
  assert.not.ok(bare.includes('__metadata__'));
});

test('F16 encoding rounds to nearest even and all 65536 half values survive a round trip', () => {
  const cases: [number, number][] = [
    [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65519.99, 0x7bff], [65520, 0x7c00], [1e10, 0x7c00],
    [-Infinity, 0xfc00], [2 ** -24, 0x0001], [2 ** -25, 0x0000], [1.5 * 2 ** -25, 0x0001],
    [2 ** -14, 0x0400], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [-0, 0x8000], [0.1, 0x2e66],
  ];
  const enc = serializeSafetensors({ h: { dtype: 'F16', shape: [cases.length], data: cases.map((c) => c[0]) } });
  assert.equal(Array.from(new Uint16Array(dataRegion(enc).slice().buffer)), cases.map((c) => c[1]));
  const nanBits = new Uint16Array(dataRegion(
    serializeSafetensors({ h: { dtype: 'F16', shape: [1], data: [NaN] } }),
  ).slice().buffer)[0];
  assert.is(nanBits & 0x7c00, 0x7c00);
  assert.ok((nanBits & 0x3ff) !== 0, 'NaN must stay NaN');

  const every = new Uint16Array(65536).map((_, i) => i);
  const file = build(
    { h: { dtype: 'F16', shape: [65536], data_offsets: [0, 131072] } },
    new Uint8Array(every.buffer),
  );
  const parsed = get(parseSafetensors(file), 'h');
  assert.is(parsed.data[0x3c00], 1);
  assert.is(parsed.data[0x0001], 2 ** -24);
  assert.is(parsed.data[0xfc00], -Infinity);
  const back = dataRegion(serializeSafetensors({ h: parsed }));
  assert.ok(Buffer.from(back).equals(Buffer.from(every.buffer)), 'F16 -> F32 -> F16 must be the identity on bits');
});

test('BF16 encoding rounds to nearest even and keeps NaN', () => {
  const f = new Float32Array(new Uint32Array([0x3f808000, 0x3f818000, 0x3f807fff, 0x7fc00001, 0x7f800001, 0xff800000]).buffer);
  const out = new Uint16Array(dataRegion(
    serializeSafetensors({ b: { dtype: 'BF16', shape: [f.length], data: f } }),
  ).slice().buffer);
  assert.equal(Array.from(out), [0x3f80, 0x3f82, 0x3f80, 0x7fc0, 0x7fc0, 0xff80]);
  const back = get(parseSafetensors(serializeSafetensors({ b: { dtype: 'BF16', shape: [2], data: [1, -2] } })), 'b');
  assert.equal(bits32(back.data as Float32Array), [0x3f800000, 0xc0000000]);
});

test('unaligned offsets and unaligned/Buffer input are copied, never aliased', () => {
  // 5-byte header -> data starts at absolute offset 13; tensor b starts 1 byte later.
  const header = '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}}';
  const file = build(header, [200, ...f32Bytes(1.25, -7)]);
  const backing = new Uint8Array(file.length + 3);
  backing.set(file, 3);
  const input = Buffer.from(backing.buffer, 3, file.length); // odd byteOffset, and a Buffer
  const f = parseSafetensors(input);
  const b = get(f, 'b');
  assert.equal(Array.from(b.data as Float32Array), [1.25, -7]);
  assert.is(b.data.byteOffset, 0);
  input.fill(0); // mutating the input must not change the result
  assert.equal(Array.from(b.data as Float32Array), [1.25, -7]);
  assert.equal(Array.from(get(f, 'a').data as Uint8Array), [200]);
});

test('parseSafetensorsHeader reports infos without decoding', () => {
  const file = serializeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: [1, 2, 3, 4] } });
  const h = parseSafetensorsHeader(file);
  assert.equal(h.tensors.get('w'), { dtype: 'F32', shape: [2, 2], dataOffsets: [0, 16] });
  assert.is(h.dataStart, file.length - 16);
  assert.is(h.dataStart % 8, 0);
});

// ---------------------------------------------------------------- malformed input

const ok = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
const eight = f32Bytes(1, 2);

const MALFORMED: [string, () => Uint8Array, RegExp][] = [
  ['file shorter than 8 bytes', () => new Uint8Array(5), /file is 5 bytes, shorter than the 8-byte header-length prefix/],
  ['empty file', () => new Uint8Array(0), /file is 0 bytes/],
  ['header length beyond the file', () => build('{}', [], 100n), /header length 100 exceeds the file: only 2 bytes follow/],
  ['header length above the cap', () => build('{}', [], 2n ** 40n), /header length 1099511627776 exceeds the 100000000-byte limit/],
  ['header length u64 max', () => build('{}', [], 2n ** 64n - 1n), /header length 18446744073709551615 exceeds the 100000000-byte limit/],
  ['invalid UTF-8', () => { const b = build('{"a":1}'); b[10] = 0xff; return b; }, /header is not valid UTF-8/],
  ['invalid JSON', () => build('{"a": {'), /header is not valid JSON/],
  ['header is an array', () => build([1, 2]), /header must be a JSON object, got an array/],
  ['header is null', () => build('null'), /header must be a JSON object, got null/],
  ['entry not an object', () => build({ w: 3 }), /tensor "w": header entry must be an object with dtype, shape and data_offsets, got a number/],
  ['missing dtype', () => build({ w: { shape: [2], data_offsets: [0, 8] } }, eight), /tensor "w": missing or non-string "dtype" \(got a undefined\)/],
  ['missing shape', () => build({ w: { dtype: 'F32', data_offsets: [0, 8] } }, eight), /tensor "w": missing or non-array "shape"/],
  ['missing data_offsets', () => build({ w: { dtype: 'F32', shape: [2] } }, eight), /tensor "w": "data_offsets" must be an array \[begin, end\], got nothing/],
  ['data_offsets of length 3', () => build({ w: { ...ok, data_offsets: [0, 4, 8] } }, eight), /"data_offsets" must be an array \[begin, end\], got \[0,4,8\]/],
  ['unknown dtype', () => build({ w: { ...ok, dtype: 'F128' } }, eight), /tensor "w": unknown or unsupported dtype "F128" \(supported: /],
  ['negative dim', () => build({ w: { ...ok, shape: [2, -2] } }, eight), /tensor "w": shape\[1\] must be a non-negative integer, got -2/],
  ['fractional dim', () => build({ w: { ...ok, shape: [1.5] } }, eight), /shape\[0\] must be a non-negative integer, got 1.5/],
  ['string dim', () => build({ w: { ...ok, shape: ['2'] } }, eight), /shape\[0\] must be a non-negative integer, got "2"/],
  ['huge dim', () => build({ w: { ...ok, shape: [1e300] } }, eight), /shape\[0\] must be a non-negative integer, got 1e\+300/],
  ['non-integer offsets', () => build({ w: { ...ok, data_offsets: [0, 7.5] } }, eight), /tensor "w": data_offsets \[0,7.5\] must be non-negative integers/],
  ['negative offsets', () => build({ w: { ...ok, data_offsets: [-8, 0] } }, eight), /data_offsets \[-8,0\] must be non-negative integers/],
  ['begin > end', () => build({ w: { ...ok, data_offsets: [8, 0] } }, eight), /tensor "w": data_offsets \[8, 0\] have begin > end/],
  ['end beyond the data', () => build({ w: { ...ok, data_offsets: [0, 16] } }, eight), /tensor "w": data_offsets \[0, 16\] end beyond the 8-byte data buffer/],
  ['size mismatch', () => build({ w: { ...ok, shape: [2, 3], data_offsets: [0, 20] } }, new Uint8Array(20)),
    /tensor "w": shape \[2, 3\] of F32 needs 24 bytes but data_offsets \[0, 20\] span 20 bytes/],
  ['size mismatch with overflowing shape', () => build({ w: { ...ok, shape: [2 ** 52, 2 ** 52, 0.5 * 2 ** 10] } }, eight),
    new RegExp(`needs ${2n ** 115n} bytes but data_offsets \\[0, 8\\] span 8 bytes`)],
  ['overlap', () => build({ a: ok, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)),
    /tensor "b" \[4, 12\] overlaps tensor "a" \[0, 8\]/],
  ['duplicate region', () => build({ a: ok, b: ok }, eight), /tensor "b" \[0, 8\] overlaps tensor "a" \[0, 8\]/],
  ['hole between tensors', () => build({ a: ok, b: { dtype: 'U8', shape: [2], data_offsets: [12, 14] } }, new Uint8Array(14)),
    /hole of 4 bytes after tensor "a" \(ends at 8\), before tensor "b" \(begins at 12\)/],
  ['hole at the start', () => build({ a: { ...ok, data_offsets: [4, 12] } }, new Uint8Array(12)),
    /hole of 4 bytes at the start of the data buffer, before tensor "a"/],
  ['trailing bytes', () => build({ a: ok }, new Uint8Array(12)), /data buffer is 12 bytes but the tensors cover only 8 \(4 trailing bytes\)/],
  ['metadata value not a string', () => build({ __metadata__: { k: 1 } }), /"__metadata__" value for key "k" must be a string, got a number/],
  ['metadata not an object', () => build({ __metadata__: ['x'] }), /"__metadata__" must be an object of strings, got an array/],
];

for (const [name, make, pattern] of MALFORMED) {
  test(`rejects malformed file: ${name}`, () => {
    const message = thrownMessage(() => parseSafetensors(make()));
    assert.match(message, /^safetensors: /);
    assert.match(message, pattern);
  });
}

test('a custom header cap is honoured', () => {
  const file = serializeSafetensors({ x: { dtype: 'U8', shape: [1], data: [1] } });
  assert.throws(() => parseSafetensors(file, { maxHeaderBytes: 16 }), /exceeds the 16-byte limit/);
});

test('a tensor named __proto__ and metadata key __proto__ stay plain data', () => {
  const raw = build('{"__proto__":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"__proto__":"x"}}', eight);
  const g = parseSafetensors(raw);
  assert.equal(Array.from(get(g, '__proto__').data as Float32Array), [1, 2]);
  assert.is(Object.getOwnPropertyDescriptor(g.metadata, '__proto__')?.value, 'x');
  assert.is(Object.getPrototypeOf(g.metadata), Object.prototype);
});

// ---------------------------------------------------------------- serializer errors

test('serializer rejects bad input with clear messages', () => {
  assert.throws(
    () => serializeSafetensors({ w: { dtype: 'F32', shape: [2, 3], data: new Float32Array(5) } }),
    /tensor "w": shape \[2, 3\] has 6 elements but data has 5/,
  );
  assert.throws(() => serializeSafetensors({ w: { dtype: 'I32', shape: [2], data: [1, 2 ** 31] } }), /tensor "w": element 1 = 2147483648 is not an integer in \[-2147483648, 2147483647\]/);
  assert.throws(() => serializeSafetensors({ w: { dtype: 'U8', shape: [1], data: [1.5] } }), /element 0 = 1.5 is not an integer in \[0, 255\]/);
  assert.throws(() => serializeSafetensors({ w: { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 2]) } }), /element 1 = 2 is not an integer in \[0, 1\]/);
  assert.throws(() => serializeSafetensors({ w: { dtype: 'I64', shape: [1], data: [2 ** 60] } }), new RegExp(`element 0 = ${2 ** 60} is not a safe integer`));
  assert.throws(() => serializeSafetensors({ w: { dtype: 'U64', shape: [1], data: [-1n] } }), /element 0 = -1 is outside \[0, 18446744073709551615\]/);
  assert.throws(() => serializeSafetensors({ w: { dtype: 'F32', shape: [-1], data: [] } }), /shape\[0\] must be a non-negative integer, got -1/);
  assert.throws(() => serializeSafetensors({ w: { dtype: 'Q4', shape: [1], data: [1] } as unknown as SafetensorsTensorInput }), /unknown or unsupported dtype "Q4"/);
  assert.throws(() => serializeSafetensors({ __metadata__: { dtype: 'U8', shape: [1], data: [1] } }), /"__metadata__" is reserved/);
  assert.throws(() => serializeSafetensors({}, { k: 3 as unknown as string }), /metadata value for key "k" must be a string, got a number/);
});

test('int64ToInt32 converts in range and names the first bad element', () => {
  assert.equal(Array.from(int64ToInt32(new BigInt64Array([-2147483648n, 0n, 2147483647n]))), [-2147483648, 0, 2147483647]);
  assert.throws(() => int64ToInt32(new BigInt64Array([1n, 2147483648n]), 'tensor "ids"'), /tensor "ids": element 1 = 2147483648 is outside the int32 range/);
  assert.throws(() => int64ToInt32([-2147483649n]), /element 0 = -2147483649/);
});

// ---------------------------------------------------------------- files

test('writeSafetensorsFile / readSafetensorsFile round trip; errors name the path', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simdnet-io-'));
  try {
    const path = join(dir, 'model.safetensors');
    await writeSafetensorsFile(path, { w: { dtype: 'F32', shape: [2], data: [0.5, -1] } }, { epoch: '3' });
    const f = await readSafetensorsFile(path);
    assert.equal(f.metadata, { epoch: '3' });
    assert.equal(Array.from(get(f, 'w').data as Float32Array), [0.5, -1]);
    const bad = join(dir, 'bad.safetensors');
    await writeFile(bad, new Uint8Array(3));
    let message = '';
    await readSafetensorsFile(bad).catch((e: Error) => (message = e.message));
    assert.ok(message.startsWith(`${bad}: safetensors: file is 3 bytes`), message);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
