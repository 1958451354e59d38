import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { crc32 } from 'node:zlib';
import { decodeImage, detectImageFormat, encodePng, toGrayscale } from '../src/io/index.js';

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

/** A PNG written by pngjs directly (independent of encodePng). colorType 0 gray, 2 RGB, 6 RGBA. */
function pngjsEncode(width: number, height: number, rgba: number[], colorType: 0 | 2 | 6): Uint8Array {
  const out = PNG.sync.write({ width, height, data: Buffer.from(rgba) }, { colorType, inputColorType: 6, inputHasAlpha: true });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Re-computes the CRC of the IHDR chunk (bytes 12..29, CRC at 29) after patching it. */
function fixIhdrCrc(png: Uint8Array): Uint8Array {
  new DataView(png.buffer, png.byteOffset).setUint32(29, crc32(png.subarray(12, 29)), false);
  return png;
}

// 3x2 image, RGBA: red, green, blue / white, black, transparent magenta
const RGBA = [
  255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255,
  255, 255, 255, 255, 0, 0, 0, 255, 255, 0, 255, 0,
];
const RGB = RGBA.filter((_, i) => i % 4 !== 3);
const OPAQUE = RGBA.map((v, i) => (i % 4 === 3 ? 255 : v));

test('decodes an RGB PNG exactly', () => {
  const img = decodeImage(pngjsEncode(3, 2, OPAQUE, 2));
  assert.equal({ width: img.width, height: img.height, channels: img.channels }, { width: 3, height: 2, channels: 3 });
  assert.ok(img.data instanceof Uint8Array);
  assert.equal(Array.from(img.data), RGB);
});

test('decoding an RGBA PNG drops alpha without compositing', () => {
  const img = decodeImage(pngjsEncode(3, 2, RGBA, 6));
  assert.is(img.channels, 3);
  assert.equal(Array.from(img.data), RGB); // the transparent pixel keeps its stored magenta
});

test('decoding a grayscale PNG replicates the gray level', () => {
  const gray = [0, 0, 0, 255, 100, 100, 100, 255, 255, 255, 255, 255, 17, 17, 17, 255];
  const img = decodeImage(pngjsEncode(2, 2, gray, 0));
  assert.equal(Array.from(img.data), [0, 0, 0, 100, 100, 100, 255, 255, 255, 17, 17, 17]);
});

test('decodes a JPEG approximately (lossy)', () => {
  const w = 32;
  const h = 24;
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      rgba.set([x * 8, y * 10, 128, 255], (y * w + x) * 4);
    }
  }
  const file = jpeg.encode({ width: w, height: h, data: rgba }, 95).data;
  const img = decodeImage(new Uint8Array(file));
  assert.equal({ width: img.width, height: img.height, channels: img.channels }, { width: w, height: h, channels: 3 });
  assert.is(img.data.length, w * h * 3);
  let maxErr = 0;
  let sumErr = 0;
  for (let p = 0; p < w * h; p++) {
    for (let c = 0; c < 3; c++) {
      const err = Math.abs(img.data[p * 3 + c] - rgba[p * 4 + c]);
      maxErr = Math.max(maxErr, err);
      sumErr += err;
    }
  }
  assert.ok(maxErr <= 12, `max error ${maxErr}`);
  assert.ok(sumErr / (w * h * 3) < 2, `mean error ${sumErr / (w * h * 3)}`);
});

test('detectImageFormat uses magic bytes only', () => {
  assert.is(detectImageFormat(pngjsEncode(1, 1, [1, 2, 3, 255], 2)), 'png');
  assert.is(detectImageFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])), 'jpeg');
  assert.is(detectImageFormat(new Uint8Array([0xff, 0xd8])), undefined);
  assert.is(detectImageFormat(new Uint8Array([0x47, 0x49, 0x46, 0x38])), undefined);
});

// ---------------------------------------------------------------- bad input

test('garbage and unknown formats are rejected with the first bytes shown', () => {
  assert.match(
    thrownMessage(() => decodeImage(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))),
    /image: unrecognized format \(first bytes 00 01 02 03 04 05 06 07 \.\.\.\); expected PNG .* or JPEG/,
  );
  assert.match(thrownMessage(() => decodeImage(new Uint8Array(0))), /unrecognized format \(first bytes \(empty\)\)/);
  assert.match(thrownMessage(() => decodeImage(new TextEncoder().encode('GIF89a....'))), /first bytes 47 49 46 38 39 61 2e 2e/);
});

test('truncated or corrupt PNGs are rejected', () => {
  const png = pngjsEncode(3, 2, RGBA, 6);
  assert.match(thrownMessage(() => decodeImage(png.subarray(0, 8))), /^PNG: truncated file: no IEND chunk before the end \(8 bytes\)/);
  assert.match(thrownMessage(() => decodeImage(png.subarray(0, 20))), /^PNG: truncated file: chunk "IHDR" at offset 8 needs 25 bytes but only 12 remain/);
  assert.match(thrownMessage(() => decodeImage(png.subarray(0, png.length - 2))), /^PNG: truncated file: chunk "IEND" at offset \d+ needs 12 bytes but only 10 remain/);
  assert.match(thrownMessage(() => decodeImage(png.subarray(0, png.length - 12))), /^PNG: truncated file: no IEND chunk/);
  const badCrc = png.slice();
  badCrc[29] ^= 0xff; // a byte of the IHDR CRC
  assert.match(thrownMessage(() => decodeImage(badCrc)), /^PNG: CRC mismatch in chunk "IHDR" at offset 8 \(corrupt file\)/);
  const badData = png.slice();
  badData[45] ^= 0xff; // inside the IDAT data
  assert.match(thrownMessage(() => decodeImage(badData)), /^PNG: CRC mismatch in chunk "IDAT" at offset 33/);
  const notIhdr = png.slice();
  notIhdr[12] = 0x78;
  assert.match(thrownMessage(() => decodeImage(fixIhdrCrc(notIhdr))), /PNG: first chunk must be a 13-byte IHDR, got "xHDR" of 13 bytes/);
  const badDepth = png.slice();
  badDepth[24] = 7; // bit depth 7 does not exist
  assert.match(thrownMessage(() => decodeImage(fixIhdrCrc(badDepth))), /^PNG: decoding failed \(corrupt or unsupported file\): /);
});

test('PNG dimensions are checked before decoding', () => {
  const png = pngjsEncode(3, 2, RGBA, 6);
  const huge = png.slice();
  new DataView(huge.buffer).setUint32(16, 100000, false);
  new DataView(huge.buffer).setUint32(20, 100000, false);
  assert.match(thrownMessage(() => decodeImage(fixIhdrCrc(huge))), /PNG: 100000x100000 = 10000000000 pixels exceeds the limit of 100000000/);
  assert.match(thrownMessage(() => decodeImage(png, { maxPixels: 5 })), /PNG: 3x2 = 6 pixels exceeds the limit of 5/);
  const empty = png.slice();
  new DataView(empty.buffer).setUint32(16, 0, false);
  assert.match(thrownMessage(() => decodeImage(fixIhdrCrc(empty))), /PNG: image has zero size \(0x2\)/);
});

test('truncated, corrupt or oversized JPEGs are rejected', () => {
  const rgba = new Uint8Array(64 * 64 * 4).fill(200);
  const file = new Uint8Array(jpeg.encode({ width: 64, height: 64, data: rgba }, 90).data);
  assert.match(thrownMessage(() => decodeImage(file.subarray(0, file.length - 2))), /^JPEG: decoding failed/);
  assert.match(thrownMessage(() => decodeImage(file.subarray(0, 100))), /^JPEG: decoding failed/);
  assert.match(thrownMessage(() => decodeImage(new Uint8Array([0xff, 0xd8, 0xff]))), /^JPEG: decoding failed/);
  assert.match(thrownMessage(() => decodeImage(file, { maxPixels: 1000 })), /^JPEG: decoding failed.*maxResolutionInMP limit exceeded/);
});

// ---------------------------------------------------------------- grayscale / encode

test('toGrayscale uses ITU-R BT.601 luma', () => {
  const g = toGrayscale({ width: 3, height: 2, channels: 3, data: new Uint8Array(RGB) });
  assert.equal({ width: g.width, height: g.height, channels: g.channels }, { width: 3, height: 2, channels: 1 });
  // red 76.245, green 149.685, blue 29.07, white 255, black 0, magenta 105.315
  assert.equal(Array.from(g.data), [76, 150, 29, 255, 0, 105]);
  const fromRgba = toGrayscale({ width: 3, height: 2, channels: 4, data: new Uint8Array(RGBA) });
  assert.equal(Array.from(fromRgba.data), [76, 150, 29, 255, 0, 105]);
  assert.match(thrownMessage(() => toGrayscale({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) })), /expected 3 or 4 channels, got 1/);
  assert.match(
    thrownMessage(() => toGrayscale({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) })),
    /toGrayscale: data has 11 bytes, expected 2x2x3 = 12/,
  );
});

test('encodePng writes gray, RGB and RGBA PNGs that decode back exactly', () => {
  const cases: [number[], number, number][] = [
    [[0, 50, 100, 150, 200, 255], 1, 0],
    [RGB, 3, 2],
    [RGBA, 4, 6],
  ];
  for (const [data, channels, colorType] of cases) {
    const file = encodePng(3, 2, new Uint8Array(data));
    assert.is(detectImageFormat(file), 'png');
    assert.is(file[25], colorType, `color type for ${channels} channels`);
    const back = PNG.sync.read(Buffer.from(file));
    assert.equal([back.width, back.height], [3, 2]);
    const rgba = Array.from(back.data);
    const expected = Array.from({ length: 6 }, (_, p) =>
      channels === 1 ? [data[p], data[p], data[p], 255] : channels === 3 ? [...data.slice(p * 3, p * 3 + 3), 255] : data.slice(p * 4, p * 4 + 4),
    ).flat();
    assert.equal(rgba, expected, `${channels} channels`);
  }
  const img = decodeImage(encodePng(3, 2, new Uint8Array(RGB)));
  assert.equal(Array.from(img.data), RGB);
});

test('encodePng rejects inconsistent sizes', () => {
  assert.match(thrownMessage(() => encodePng(0, 2, new Uint8Array(0))), /encodePng: width and height must be positive integers, got 0x2/);
  assert.match(thrownMessage(() => encodePng(1.5, 2, new Uint8Array(9))), /width and height must be positive integers, got 1.5x2/);
  assert.match(thrownMessage(() => encodePng(3, 2, new Uint8Array(12))), /encodePng: data has 12 bytes, expected 3x2 times 1, 3 or 4 channels/);
});

test.run();
