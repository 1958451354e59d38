/**
 * Image resampling with torchvision's semantics, over RGB/gray uint8 HWC images (`ImageU8`):
 * Pillow's antialiased bilinear resize (what torchvision's Resize does on PIL images) and
 * torchvision 0.14's tensor bilinear resize (no antialias), plus Resize(int)'s output size.
 * Shared by src/transforms and the ImageNet preprocessing in src/models/imagenet.ts.
 */
import type { ImageU8 } from '../io/image.js';

// ---------------------------------------------------------------------------------------------
// Pillow's bilinear resample (libImaging/Resample.c), 8 bits per channel
// ---------------------------------------------------------------------------------------------

const PRECISION_BITS = 32 - 8 - 2;

interface Coeffs {
  ksize: number;
  /** [xmin, count] per output index. */
  bounds: Int32Array;
  /** Fixed-point weights, ksize per output index. */
  kk: Int32Array;
}

/** Pillow `precompute_coeffs` + `normalize_coeffs_8bpc` for the bilinear (triangle) filter. */
function precomputeCoeffs(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(1, scale);
  const support = 1 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      const w = t < 1 ? 1 - t : 0;
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      const v = x < xmax && ww !== 0 ? k[x] / ww : 0;
      kk[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(v: number): number {
  if (v >= 1 << PRECISION_BITS << 8) return 255;
  if (v <= 0) return 0;
  return v >> PRECISION_BITS;
}

/**
 * Pillow's `Image.resize((outW, outH), Image.BILINEAR)` of an 8-bit HWC image (any channel
 * count): antialiased triangle filter, horizontal pass then vertical, each rounded to uint8.
 * Pure function over typed arrays.
 */
export function resizeBilinearPil(img: ImageU8, outW: number, outH: number): ImageU8 {
  const { width: w, height: h, channels: c, data } = img;
  checkImage(img, 'resizeBilinearPil');
  if (!(Number.isInteger(outW) && Number.isInteger(outH) && outW > 0 && outH > 0)) {
    throw new Error(`resizeBilinearPil: output size must be positive integers, got ${outW}x${outH}`);
  }
  const half = 1 << (PRECISION_BITS - 1);
  let src = data;
  let sw = w;
  let sh = h;
  let rowFirst = 0;
  const vert = precomputeCoeffs(h, outH);
  if (outW !== w) {
    // only the rows the vertical pass reads (Pillow's ybox_first / ybox_last)
    rowFirst = vert.bounds[0];
    const rowLast = vert.bounds[outH * 2 - 2] + vert.bounds[outH * 2 - 1];
    const hz = precomputeCoeffs(w, outW);
    const tmp = new Uint8Array(outW * (rowLast - rowFirst) * c);
    for (let y = rowFirst; y < rowLast; y++) {
      const inRow = y * w * c;
      const outRow = (y - rowFirst) * outW * c;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = hz.bounds[xx * 2];
        const n = hz.bounds[xx * 2 + 1];
        const kOff = xx * hz.ksize;
        for (let ch = 0; ch < c; ch++) {
          let ss = half;
          for (let x = 0; x < n; x++) ss += data[inRow + (x + xmin) * c + ch] * hz.kk[kOff + x];
          tmp[outRow + xx * c + ch] = clip8(ss);
        }
      }
    }
    src = tmp;
    sw = outW;
    sh = rowLast - rowFirst;
  }
  if (outH === h) {
    return outW === w ? { width: w, height: h, channels: c, data: data.slice() } : { width: outW, height: h, channels: c, data: src };
  }
  const out = new Uint8Array(outW * outH * c);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = vert.bounds[yy * 2] - rowFirst;
    const n = vert.bounds[yy * 2 + 1];
    const kOff = yy * vert.ksize;
    for (let xx = 0; xx < sw; xx++) {
      for (let ch = 0; ch < c; ch++) {
        let ss = half;
        for (let y = 0; y < n; y++) ss += src[((y + ymin) * sw + xx) * c + ch] * vert.kk[kOff + y];
        out[(yy * outW + xx) * c + ch] = clip8(ss);
      }
    }
  }
  void sh;
  return { width: outW, height: outH, channels: c, data: out };
}

/**
 * Plain bilinear resize with half-pixel centres (PyTorch `interpolate(mode='bilinear',
 * align_corners=False, antialias=False)`, torchvision 0.14's tensor Resize), computed in float64
 * and rounded half-to-even to uint8 like torchvision's uint8 tensor path. Pure function.
 */
export function resizeBilinearNoAntialias(img: ImageU8, outW: number, outH: number): ImageU8 {
  checkImage(img, 'resizeBilinearNoAntialias');
  const { width: w, height: h, channels: c, data } = img;
  const out = new Uint8Array(outW * outH * c);
  const src = (o: number, n: number, size: number): [number, number, number] => {
    const s = Math.max(0, ((o + 0.5) * n) / size - 0.5);
    const i0 = Math.min(Math.floor(s), n - 1);
    const i1 = Math.min(i0 + 1, n - 1);
    return [i0, i1, s - i0];
  };
  for (let y = 0; y < outH; y++) {
    const [y0, y1, fy] = src(y, h, outH);
    for (let x = 0; x < outW; x++) {
      const [x0, x1, fx] = src(x, w, outW);
      for (let ch = 0; ch < c; ch++) {
        const p = (yy: number, xx: number) => data[(yy * w + xx) * c + ch];
        const v = (1 - fy) * ((1 - fx) * p(y0, x0) + fx * p(y0, x1)) + fy * ((1 - fx) * p(y1, x0) + fx * p(y1, x1));
        out[(y * outW + x) * c + ch] = Math.min(255, Math.max(0, roundHalfEven(v)));
      }
    }
  }
  return { width: outW, height: outH, channels: c, data: out };
}

function checkImage(img: ImageU8, fn: string): void {
  const { width: w, height: h, channels: c, data } = img ?? ({} as ImageU8);
  if (!(Number.isInteger(w) && Number.isInteger(h) && Number.isInteger(c) && w > 0 && h > 0 && c > 0)) {
    throw new Error(`${fn}: image must have positive integer width/height/channels, got ${w}x${h}x${c}`);
  }
  if (!(data instanceof Uint8Array) || data.length !== w * h * c) {
    throw new Error(`${fn}: image data must be a Uint8Array of width*height*channels = ${w * h * c} bytes, got ${data?.length}`);
  }
}

/** Python's round(): half to even. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** torchvision's Resize(size) output size for an int size: shorter side = size. */
export function resizedSize(w: number, h: number, size: number): [number, number] {
  if (w <= h) return [size, Math.trunc((size * h) / w)];
  return [Math.trunc((size * w) / h), size];
}
