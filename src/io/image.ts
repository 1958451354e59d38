/**
 * PNG/JPEG decoding to RGB uint8, grayscale conversion and PNG encoding.
 *
 * Sources: PNG per the W3C/ISO PNG specification (decoded with pngjs,
 * https://github.com/lukeapage/pngjs); JPEG per ITU-T T.81 / JFIF (decoded
 * with jpeg-js, https://github.com/jpeg-js/jpeg-js); luma weights per
 * ITU-R BT.601. The format is detected from magic bytes, never from a
 * file name. Node only in practice: pngjs needs Node's `Buffer` and `zlib`.
 *
 * Safe on untrusted input: image dimensions are checked against a pixel cap
 * before any pixel buffer is allocated, jpeg-js runs with its resolution and
 * memory limits, and every failure throws an `Error` starting with
 * `image: `, `PNG: ` or `JPEG: `.
 */

import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { errorMessage, hexPreview } from './_bytes.js';

/** An 8-bit image, row-major HWC: `data[(y * width + x) * channels + c]`, length `width*height*channels`. */
export interface ImageU8<C extends number = number> {
  width: number;
  height: number;
  channels: C;
  data: Uint8Array;
}

/** Decoded image: always RGB (3 channels). */
export type RgbImage = ImageU8<3>;

/** Single-channel image. */
export type GrayImage = ImageU8<1>;

/** Image container formats recognized by {@link detectImageFormat}. */
export type ImageFormat = 'png' | 'jpeg';

/** Options of {@link decodeImage}. */
export interface DecodeImageOptions {
  /** Largest accepted `width * height` (default 100 million, jpeg-js's default). */
  maxPixels?: number;
  /** Memory cap for the JPEG decoder in MB (default 512, jpeg-js's default). */
  maxMemoryMB?: number;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];
const DEFAULT_MAX_PIXELS = 100_000_000;

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/**
 * Detects the container format from magic bytes: PNG `89 50 4E 47 0D 0A 1A 0A`,
 * JPEG `FF D8 FF` (SOI followed by a marker).
 * @returns `'png'`, `'jpeg'`, or `undefined` when neither matches.
 */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, PNG_MAGIC)) return 'png';
  if (startsWith(bytes, JPEG_MAGIC)) return 'jpeg';
  return undefined;
}

function checkPixels(kind: string, width: number, height: number, maxPixels: number): void {
  if (width === 0 || height === 0) throw new Error(`${kind}: image has zero size (${width}x${height})`);
  if (width * height > maxPixels) {
    throw new Error(`${kind}: ${width}x${height} = ${width * height} pixels exceeds the limit of ${maxPixels}`);
  }
}

/** Drops every 4th byte: RGBA -> RGB. */
function rgbaToRgb(rgba: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += 4, o += 3) {
    out[o] = rgba[i];
    out[o + 1] = rgba[i + 1];
    out[o + 2] = rgba[i + 2];
  }
  return out;
}

function nodeBuffer(kind: string, bytes: Uint8Array): Buffer {
  if (typeof Buffer === 'undefined') throw new Error(`${kind}: needs Node.js (Buffer), which is not available here`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309 / ITU-T V.42, polynomial 0xEDB88320) as used by PNG chunks. */
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Walks the PNG chunk structure (PNG spec section 5.3: length, type, data,
 * CRC) up to IEND, so that truncation and corruption get precise messages
 * (pngjs reports them as generic stream errors), and returns the IHDR size.
 */
function scanPng(bytes: Uint8Array): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let size: { width: number; height: number } | undefined;
  for (let at = PNG_MAGIC.length; ; ) {
    if (at + 8 > bytes.length) throw new Error(`PNG: truncated file: no IEND chunk before the end (${bytes.length} bytes)`);
    const length = view.getUint32(at, false);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const end = at + 12 + length;
    if (end > bytes.length) {
      throw new Error(`PNG: truncated file: chunk ${JSON.stringify(type)} at offset ${at} needs ${12 + length} bytes but only ${bytes.length - at} remain`);
    }
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length, false)) {
      throw new Error(`PNG: CRC mismatch in chunk ${JSON.stringify(type)} at offset ${at} (corrupt file)`);
    }
    if (!size) {
      if (type !== 'IHDR' || length !== 13) throw new Error(`PNG: first chunk must be a 13-byte IHDR, got ${JSON.stringify(type)} of ${length} bytes`);
      size = { width: view.getUint32(at + 8, false), height: view.getUint32(at + 12, false) };
    }
    if (type === 'IEND') return size;
    at = end;
  }
}

function decodePng(bytes: Uint8Array, maxPixels: number): RgbImage {
  const { width, height } = scanPng(bytes);
  checkPixels('PNG', width, height, maxPixels);
  let png: { width: number; height: number; data: Uint8Array };
  try {
    png = PNG.sync.read(nodeBuffer('PNG', bytes), { checkCRC: false }); // CRCs were checked by scanPng
  } catch (e) {
    throw new Error(`PNG: decoding failed (corrupt or unsupported file): ${errorMessage(e)}`, { cause: e });
  }
  if (png.width !== width || png.height !== height || png.data.length !== width * height * 4) {
    throw new Error(`PNG: decoder returned ${png.data.length} bytes for ${png.width}x${png.height}, expected ${width}x${height} RGBA`);
  }
  return { width, height, channels: 3, data: rgbaToRgb(png.data, width * height) };
}

function decodeJpeg(bytes: Uint8Array, maxPixels: number, maxMemoryMB: number): RgbImage {
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB: maxMemoryMB,
    });
  } catch (e) {
    throw new Error(`JPEG: decoding failed (truncated, corrupt or unsupported file?): ${errorMessage(e)}`, { cause: e });
  }
  checkPixels('JPEG', img.width, img.height, maxPixels);
  if (img.data.length !== img.width * img.height * 3) {
    throw new Error(`JPEG: decoder returned ${img.data.length} bytes for ${img.width}x${img.height}, expected RGB`);
  }
  return { width: img.width, height: img.height, channels: 3, data: img.data };
}

/**
 * Decodes a PNG or JPEG file (detected by magic bytes) to RGB.
 *
 * PNG: any bit depth / color type / interlacing; 16-bit samples are scaled to
 * 8 bits; gray is replicated to RGB; an alpha channel (or tRNS transparency)
 * is dropped, not composited, so fully transparent pixels keep whatever color
 * they store. JPEG: baseline and progressive; grayscale replicated to RGB;
 * CMYK converted to RGB; decoded strictly (jpeg-js `tolerantDecoding: false`),
 * so a truncated file, even one missing only its EOI marker, is an error.
 *
 * @param bytes the whole file; not modified.
 * @param options `maxPixels` (default 100 million) and `maxMemoryMB` (JPEG, default 512).
 * @returns `{width, height, channels: 3, data}`, `data` uint8 RGB, row-major HWC.
 * @throws Error when the format is neither PNG nor JPEG (message shows the
 *   first bytes), when the file is truncated or corrupt, or when
 *   `width*height` exceeds `maxPixels` (or the JPEG decoder's memory cap).
 */
export function decodeImage(bytes: Uint8Array, options: DecodeImageOptions = {}): RgbImage {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const format = detectImageFormat(bytes);
  if (format === 'png') return decodePng(bytes, maxPixels);
  if (format === 'jpeg') return decodeJpeg(bytes, maxPixels, options.maxMemoryMB ?? 512);
  throw new Error(
    `image: unrecognized format (first bytes ${hexPreview(bytes)}); expected PNG (89 50 4e 47 0d 0a 1a 0a) or JPEG (ff d8 ff)`,
  );
}

function checkDims(fn: string, width: number, height: number): void {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    throw new Error(`${fn}: width and height must be positive integers, got ${width}x${height}`);
  }
}

function checkImage(fn: string, width: number, height: number, channels: number, data: Uint8Array): void {
  checkDims(fn, width, height);
  if (data.length !== width * height * channels) {
    throw new Error(`${fn}: data has ${data.length} bytes, expected ${width}x${height}x${channels} = ${width * height * channels}`);
  }
}

/**
 * Converts an RGB (or RGBA; alpha ignored) image to one channel with the
 * ITU-R BT.601 luma weights: `Y = round(0.299 R + 0.587 G + 0.114 B)`.
 *
 * @param image uint8 HWC with 3 or 4 channels.
 * @returns `{width, height, channels: 1, data}`, uint8, row-major HW.
 * @throws Error when `channels` is not 3 or 4, or `data.length` differs from `width*height*channels`.
 */
export function toGrayscale(image: ImageU8): GrayImage {
  const { width, height, channels, data } = image;
  if (channels !== 3 && channels !== 4) throw new Error(`toGrayscale: expected 3 or 4 channels, got ${channels}`);
  checkImage('toGrayscale', width, height, channels, data);
  const out = new Uint8Array(width * height);
  for (let p = 0, i = 0; p < out.length; p++, i += channels) {
    out[p] = Math.round(0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]);
  }
  return { width, height, channels: 1, data: out };
}

/**
 * Encodes 8-bit pixels as a PNG file (via pngjs; Node only). The number of
 * channels is inferred from `data.length / (width*height)`: 1 gray, 3 RGB,
 * 4 RGBA, and the PNG color type matches it (0, 2 or 6).
 *
 * @param data uint8 HWC, row-major, `width*height*channels` bytes.
 * @returns the PNG file bytes.
 * @throws Error when width/height are not positive integers or
 *   `data.length` is not `width*height` times 1, 3 or 4.
 */
export function encodePng(width: number, height: number, data: Uint8Array): Uint8Array {
  checkDims('encodePng', width, height);
  const channels = data.length / (width * height);
  const colorType = channels === 1 ? 0 : channels === 3 ? 2 : channels === 4 ? 6 : undefined;
  if (colorType === undefined) {
    throw new Error(`encodePng: data has ${data.length} bytes, expected ${width}x${height} times 1, 3 or 4 channels`);
  }
  const png = PNG.sync.write(
    { width, height, data: nodeBuffer('encodePng', data) },
    { colorType, inputColorType: colorType, inputHasAlpha: colorType === 6, bitDepth: 8 },
  );
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
