import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FASHION_MNIST_CLASSES, loadFashionMnist, loadIdx, parseIdx, readIdxFile } from '../src/io/index.js';

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

const CODES = { u8: 0x08, i8: 0x09, i16: 0x0b, i32: 0x0c, f32: 0x0d, f64: 0x0e } as const;
const SIZES = { u8: 1, i8: 1, i16: 2, i32: 4, f32: 4, f64: 8 } as const;

/** Writes an IDX file independently of the parser: big-endian header and data via DataView. */
function idx(dtype: keyof typeof CODES, dims: number[], values: number[]): Uint8Array {
  const head = 4 + 4 * dims.length;
  const out = new Uint8Array(head + values.length * SIZES[dtype]);
  const v = new DataView(out.buffer);
  out[2] = CODES[dtype];
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  values.forEach((x, i) => {
    const at = head + i * SIZES[dtype];
    if (dtype === 'u8') v.setUint8(at, x);
    else if (dtype === 'i8') v.setInt8(at, x);
    else if (dtype === 'i16') v.setInt16(at, x, false);
    else if (dtype === 'i32') v.setInt32(at, x, false);
    else if (dtype === 'f32') v.setFloat32(at, x, false);
    else v.setFloat64(at, x, false);
  });
  return out;
}

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

async function rejectionMessage(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, Error);
    return (e as Error).message;
  }
  assert.unreachable('expected a rejection');
  return '';
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'simdnet-idx-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- synthetic files

test('parses every element type, big-endian, with the right shape and array type', () => {
  const u8 = parseIdx(idx('u8', [2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]));
  assert.is(u8.dtype, 'u8');
  assert.equal(u8.shape, [2, 2, 3]);
  assert.ok(u8.data instanceof Uint8Array);
  assert.equal(Array.from(u8.data), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);

  const cases: [keyof typeof CODES, unknown, number[]][] = [
    ['i8', Int8Array, [-128, -1, 127]],
    ['i16', Int16Array, [-2, 258, -32768]],
    ['i32', Int32Array, [-2, 16909060, -2147483648]],
    ['f32', Float32Array, [1.5, -0.25, 3.4028234663852886e38]],
    ['f64', Float64Array, [Math.PI, -1e-300, 2 ** 60]],
  ];
  for (const [dtype, ctor, values] of cases) {
    const a = parseIdx(idx(dtype, [values.length], values));
    assert.is(a.dtype, dtype);
    assert.is(a.data.constructor, ctor, dtype);
    assert.equal(a.shape, [values.length]);
    assert.equal(Array.from(a.data as ArrayLike<number>), values, dtype);
  }
});

test('big-endian byte order is honoured (i16 0x0102 = 258)', () => {
  const bytes = new Uint8Array([0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe]);
  assert.equal(Array.from(parseIdx(bytes).data), [258, -2]);
});

test('unaligned input (a Buffer at an odd offset) is copied, not aliased', () => {
  const file = idx('i32', [2], [7, -9]);
  const backing = new Uint8Array(file.length + 1);
  backing.set(file, 1);
  const input = Buffer.from(backing.buffer, 1, file.length);
  const a = parseIdx(input);
  input.fill(0);
  assert.equal(Array.from(a.data), [7, -9]);
});

test('gzipped input is decompressed transparently (sync and async)', async () => {
  const file = idx('f32', [2, 2], [1, 2, 3, 4]);
  const gz = new Uint8Array(gzipSync(file));
  assert.equal(parseIdx(gz), parseIdx(file));
  const a = await loadIdx(gz);
  assert.equal(a.shape, [2, 2]);
  assert.equal(Array.from(a.data), [1, 2, 3, 4]);
});

test('loadIdx and readIdxFile read raw and gzipped files from disk', async () => {
  await withTempDir(async (dir) => {
    const file = idx('u8', [3], [9, 8, 7]);
    await writeFile(join(dir, 'a.idx'), file);
    await writeFile(join(dir, 'a.idx.gz'), gzipSync(file));
    for (const p of ['a.idx', 'a.idx.gz']) {
      assert.equal(Array.from((await loadIdx(join(dir, p))).data), [9, 8, 7], p);
      assert.equal(Array.from((await readIdxFile(join(dir, p))).data), [9, 8, 7], p);
    }
    await writeFile(join(dir, 'bad.idx'), new Uint8Array([1, 2, 3, 4, 5]));
    const msg = await rejectionMessage(readIdxFile(join(dir, 'bad.idx')));
    assert.ok(msg.startsWith(`${join(dir, 'bad.idx')}: IDX: bad magic`), msg);
  });
});

// ---------------------------------------------------------------- malformed input

const gz = new Uint8Array(gzipSync(idx('u8', [64], Array.from({ length: 64 }, (_, i) => i * 3))));

const MALFORMED: [string, () => Uint8Array, RegExp][] = [
  ['empty', () => new Uint8Array(0), /input is 0 bytes, shorter than the 4-byte magic number/],
  ['too short', () => new Uint8Array([0, 0, 8]), /input is 3 bytes, shorter than the 4-byte magic number/],
  ['bad magic', () => new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0]), /bad magic \(starts with 50 4b 03 04; expected 00 00 <type> <ndim>\): not an IDX file/],
  ['unknown type code', () => new Uint8Array([0, 0, 0x0a, 1, 0, 0, 0, 0]), /unknown data type code 0x0a \(expected one of 0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32, 0x0e f64\)/],
  ['ndim 0', () => new Uint8Array([0, 0, 8, 0]), /number of dimensions is 0; expected 1 to 8/],
  ['ndim 9', () => new Uint8Array([0, 0, 8, 9, ...new Array(36).fill(0)]), /number of dimensions is 9; expected 1 to 8/],
  ['truncated dims', () => idx('u8', [2, 2, 2], new Array(8).fill(1)).subarray(0, 10), /header declares 3 dimensions \(16 header bytes\) but the input is only 10 bytes/],
  ['truncated data', () => idx('i32', [3], [1, 2, 3]).subarray(0, 19),
    /data length mismatch: shape \[3\] of i32 needs 12 bytes after the 8-byte header, but 11 bytes are present/],
  ['trailing data', () => new Uint8Array([...idx('u8', [2], [1, 2]), 0]), /shape \[2\] of u8 needs 2 bytes after the 8-byte header, but 3 bytes are present/],
  ['huge declared dims', () => idx('f64', [0xffffffff, 0xffffffff, 0xffffffff], []),
    new RegExp(`shape \\[4294967295, 4294967295, 4294967295\\] of f64 needs ${8n * 4294967295n ** 3n} bytes after the 16-byte header, but 0 bytes are present`)],
  ['truncated gzip', () => gz.subarray(0, gz.length - 12), /IDX: gzip: decompression failed \(truncated or corrupt data\)/],
  ['corrupt gzip', () => { const b = gz.slice(); b.fill(0xaa, 12, 30); return b; }, /IDX: gzip: decompression failed/],
];

for (const [name, make, pattern] of MALFORMED) {
  test(`rejects malformed input: ${name}`, async () => {
    const message = thrownMessage(() => parseIdx(make()));
    assert.match(message, /^IDX: /);
    assert.match(message, pattern);
    assert.match(await rejectionMessage(loadIdx(make())), pattern);
  });
}

test('gzip output is capped by maxBytes', async () => {
  const big = new Uint8Array(gzipSync(idx('u8', [4096], new Array(4096).fill(0))));
  assert.match(thrownMessage(() => parseIdx(big, { maxBytes: 1000 })), /IDX: gzip: decompressed data exceeds the 1000-byte limit/);
  assert.match(await rejectionMessage(loadIdx(big, { maxBytes: 1000 })), /exceeds the 1000-byte limit/);
  assert.is(parseIdx(big, { maxBytes: 5000 }).data.length, 4096);
});

// ---------------------------------------------------------------- Fashion-MNIST

test('FASHION_MNIST_CLASSES lists the 10 classes in label order', () => {
  assert.equal([...FASHION_MNIST_CLASSES], [
    'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
  ]);
  assert.ok(Object.isFrozen(FASHION_MNIST_CLASSES));
});

function classCounts(labels: Uint8Array): number[] {
  const counts = new Array(10).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

test('loads the real Fashion-MNIST test split (gzipped)', async () => {
  const s = await loadFashionMnist(FASHION_DIR, 'test');
  assert.is(s.n, 10000);
  assert.is(s.rows, 28);
  assert.is(s.cols, 28);
  assert.is(s.images.length, 10000 * 28 * 28);
  assert.is(s.labels.length, 10000);
  assert.equal(Array.from(s.labels.subarray(0, 10)), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
  assert.equal(classCounts(s.labels), new Array(10).fill(1000));
  assert.ok(s.images.some((p) => p === 255) && s.images.some((p) => p === 0));
});

test('loads the real Fashion-MNIST train split (gzipped)', async () => {
  const s = await loadFashionMnist(FASHION_DIR, 'train');
  assert.is(s.n, 60000);
  assert.is(s.images.length, 60000 * 28 * 28);
  assert.equal(classCounts(s.labels), new Array(10).fill(6000));
  assert.is(s.labels[0], 9); // the first training example is an ankle boot
});

test('loadFashionMnist reads plain files and checks consistency', async () => {
  await withTempDir(async (dir) => {
    const images = idx('u8', [2, 2, 3], Array.from({ length: 12 }, (_, i) => i * 20));
    await writeFile(join(dir, 't10k-images-idx3-ubyte'), images);
    await writeFile(join(dir, 't10k-labels-idx1-ubyte'), idx('u8', [2], [3, 8]));
    const s = await loadFashionMnist(`${dir}/`, 'test');
    assert.equal({ n: s.n, rows: s.rows, cols: s.cols }, { n: 2, rows: 2, cols: 3 });
    assert.equal(Array.from(s.labels), [3, 8]);
    assert.equal(Array.from(s.images), Array.from({ length: 12 }, (_, i) => i * 20));

    await writeFile(join(dir, 't10k-labels-idx1-ubyte'), idx('u8', [3], [3, 8, 1]));
    assert.match(await rejectionMessage(loadFashionMnist(dir, 'test')), /IDX: test split has 2 images but 3 labels/);

    await writeFile(join(dir, 't10k-labels-idx1-ubyte'), idx('u8', [2], [3, 10]));
    assert.match(await rejectionMessage(loadFashionMnist(dir, 'test')), /t10k-labels-idx1-ubyte: label 10 at index 1 is outside 0\.\.9/);

    await writeFile(join(dir, 't10k-labels-idx1-ubyte'), idx('i32', [2], [3, 1]));
    assert.match(await rejectionMessage(loadFashionMnist(dir, 'test')), /expected u8 labels with 1 dim \[n\], got i32 \[2\]/);

    await writeFile(join(dir, 't10k-images-idx3-ubyte'), idx('u8', [12], new Array(12).fill(0)));
    assert.match(await rejectionMessage(loadFashionMnist(dir, 'test')), /expected u8 images with 3 dims \[n, rows, cols\], got u8 \[12\]/);

    assert.match(
      await rejectionMessage(loadFashionMnist(dir, 'train')),
      /IDX: none of .*train-images-idx3-ubyte, .*train-images-idx3-ubyte\.gz exists/,
    );
    assert.match(await rejectionMessage(loadFashionMnist(dir, 'val' as 'train')), /split must be 'train' or 'test', got "val"/);
  });
});

test.run();
